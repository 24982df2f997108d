"""The Fréchet distance between two sets of feature vectors (the "FID" recipe, in any feature space).

Each set is summarised by a Gaussian with its mean and covariance; the distance between the two Gaussians is

    d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})

(Dowson & Landau, 1982; used for GANs by Heusel et al., 2017). Chapter 05 computes it in the feature space of a
classifier trained in the notebook, not in Inception's: its values are comparable within the chapter only.
The estimate is biased upwards for small sets, so compare sets of the same sizes; the distance between two real
sets of those sizes is the floor a generator can reach.
"""

from __future__ import annotations

import numpy as np

from .errors import ArgumentError


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance matrix (float64) of ``features``, shape ``(n_samples, n_features)``."""
    x = np.asarray(features, dtype="float64")
    if x.ndim != 2:
        raise ArgumentError(f"features must be a 2-D array (samples, features), got shape {x.shape}; "
                            "flatten each sample's features first")
    if x.shape[0] < 2:
        raise ArgumentError(f"a covariance needs at least 2 samples, got {x.shape[0]}")
    if not np.isfinite(x).all():
        raise ArgumentError("features contain NaN or infinity: check the model that produced them")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance (squared, as FID reports it) between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.asarray(mu1, dtype="float64"), np.asarray(mu2, dtype="float64")
    sigma1, sigma2 = np.asarray(sigma1, dtype="float64"), np.asarray(sigma2, dtype="float64")
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    if mu2.shape != mu1.shape or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ArgumentError(f"statistics do not match: means {mu1.shape} and {mu2.shape}, covariances "
                            f"{sigma1.shape} and {sigma2.shape}; both sets need the same number of features")
    # Tr((Σ₁Σ₂)^½) = Tr((A Σ₂ A)^½) with A = Σ₁^½: a symmetric PSD matrix, so eigh is exact and real
    # (scipy.linalg.sqrtm on the non-symmetric product returns complex round-off for near-singular covariances).
    root1 = _psd_sqrt(sigma1)
    middle = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_sqrt = float(np.sqrt(np.clip(middle, 0.0, None)).sum())
    distance = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(distance, 0.0)  # round-off can give -1e-12 for identical sets


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between two feature sets, each of shape ``(n_samples, n_features)``."""
    a, b = np.asarray(features_a), np.asarray(features_b)
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] != b.shape[1]:
        raise ArgumentError(f"the two sets have {a.shape[1]} and {b.shape[1]} features; "
                            "compute both with the same feature extractor")
    return frechet_distance_from_statistics(*feature_statistics(a), *feature_statistics(b))

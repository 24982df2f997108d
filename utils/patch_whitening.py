"""Patch whitening: a fixed first convolution that decorrelates the pixels of every small image patch.

airbench (Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU", 2024) starts its network with a 2x2
convolution whose filters are the eigenvectors of the training patches' covariance, each scaled by
1/sqrt(eigenvalue + eps), and their negatives (so a ReLU/GELU after it loses no information). The layer is not
trained. Its outputs on training patches have zero mean and (nearly) identity covariance, which makes the
first trainable layers learn faster. Everything here is NumPy; the result is set as a Keras ``Conv2D`` kernel.
"""

from __future__ import annotations

import numpy as np

from .errors import ArgumentError


def extract_patches(images, size: int) -> np.ndarray:
    """All ``size`` x ``size`` patches ('valid' positions, stride 1), flattened in (row, col, channel) order.

    ``images`` is (n, h, w, c); the result is (n * (h - size + 1) * (w - size + 1), size * size * c), the same
    order a Keras ``Conv2D`` kernel of shape (size, size, c, filters) flattens to.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ArgumentError(f"extract_patches needs images of shape (n, h, w, c), got shape {images.shape}")
    if not isinstance(size, int) or size < 1 or size > min(images.shape[1:3]):
        raise ArgumentError(f"patch size must be an int from 1 to {min(images.shape[1:3])}, got {size!r}")
    windows = np.lib.stride_tricks.sliding_window_view(images, (size, size), axis=(1, 2))
    # windows: (n, h', w', c, size, size) -> (n, h', w', size, size, c)
    windows = np.moveaxis(windows, 3, -1)
    return windows.reshape(-1, size * size * images.shape[-1])


def patch_whitening(images, size: int = 2, eps: float = 5e-4):
    """Kernel and bias of a ``Conv2D(2 * size * size * c, size, padding="valid")`` that whitens patches.

    Returns ``(kernel, bias)`` with kernel shape (size, size, c, 2 * size * size * c). The first half of the
    filters maps a patch ``p`` to ``V^T (p - mean) / sqrt(lambda + eps)`` (``V``, ``lambda``: eigenvectors and
    eigenvalues of the patch covariance), the second half is its negative.
    """
    if not eps > 0:
        raise ArgumentError(f"eps must be positive, got {eps!r}")
    patches = extract_patches(images, size)
    mean = patches.mean(axis=0)
    cov = np.cov(patches - mean, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    filters = eigenvectors / np.sqrt(eigenvalues + eps)  # (d, d): one filter per column
    filters = np.concatenate([filters, -filters], axis=1)
    bias = -mean @ filters
    channels = np.asarray(images).shape[-1]
    kernel = filters.reshape(size, size, channels, -1)
    return kernel.astype(np.float32), bias.astype(np.float32)

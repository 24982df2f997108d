"""utils.frechet: the Fréchet distance agrees with its closed form and fails clearly on bad input."""

import numpy as np
import pytest
import scipy.linalg

from utils import ArgumentError
from utils.frechet import feature_statistics, frechet_distance, frechet_distance_from_statistics


def _gaussian(n, mean, cov, seed):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n)


def test_identical_sets_are_at_distance_zero():
    x = _gaussian(500, np.zeros(8), np.eye(8), seed=0)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_shifted_gaussian_gives_the_squared_shift():
    x = _gaussian(20000, np.zeros(4), np.eye(4), seed=1)
    shift = np.array([3.0, 0.0, -1.0, 0.5])
    # The same samples shifted: covariances are equal, so d² = |shift|² exactly.
    assert frechet_distance(x, x + shift) == pytest.approx(float(shift @ shift), rel=1e-9)


def test_scaled_gaussians_match_the_closed_form():
    # Diagonal covariances: d² = |μ1 - μ2|² + Σ (σ1 - σ2)² over standard deviations.
    std1, std2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.5])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = float(np.sum((mu1 - mu2) ** 2) + np.sum((std1 - std2) ** 2))
    exact = frechet_distance_from_statistics(mu1, np.diag(std1**2), mu2, np.diag(std2**2))
    assert exact == pytest.approx(expected, rel=1e-12)
    sampled = frechet_distance(_gaussian(50000, mu1, np.diag(std1**2), 2), _gaussian(50000, mu2, np.diag(std2**2), 3))
    assert sampled == pytest.approx(expected, rel=0.03)


def test_agrees_with_scipy_sqrtm_on_full_covariances():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    reference = float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real))
    assert frechet_distance_from_statistics(mu1, s1, mu2, s2) == pytest.approx(reference, rel=1e-8)


def test_singular_covariances_stay_finite_and_non_negative():
    x = _gaussian(300, np.zeros(3), np.eye(3), seed=5)
    x = np.concatenate([x, x[:, :1]], axis=1)  # a duplicated feature: rank-deficient covariance
    distance = frechet_distance(x, x + 0.1)
    assert np.isfinite(distance) and distance == pytest.approx(4 * 0.01, abs=1e-6)
    assert frechet_distance(np.ones((10, 3)), np.ones((10, 3))) == 0.0


def test_distance_is_symmetric():
    x, y = _gaussian(400, np.zeros(5), np.eye(5), 6), _gaussian(300, np.ones(5), 2 * np.eye(5), 7)
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-9)


@pytest.mark.parametrize("a, b, message", [
    (np.zeros((10, 3)), np.zeros((10, 4)), "3 and 4 features"),
    (np.zeros((10, 3, 2)), np.zeros((10, 3, 2)), "2-D array"),
    (np.zeros((1, 3)), np.zeros((10, 3)), "at least 2 samples"),
    (np.full((10, 3), np.nan), np.zeros((10, 3)), "NaN"),
])
def test_bad_input_fails_with_a_clear_message(a, b, message):
    with pytest.raises(ArgumentError, match=message):
        frechet_distance(a, b)


def test_statistics_must_match():
    with pytest.raises(ArgumentError, match="statistics do not match"):
        frechet_distance_from_statistics(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    mu, sigma = feature_statistics(np.random.default_rng(0).normal(size=(50, 1)))
    assert mu.shape == (1,) and sigma.shape == (1, 1)

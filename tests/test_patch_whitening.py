import numpy as np
import pytest

from utils.errors import ArgumentError
from utils.patch_whitening import extract_patches, patch_whitening


def test_extract_patches_order_matches_conv_kernel_flattening():
    images = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, 4, 5, 3)
    patches = extract_patches(images, 2)
    assert patches.shape == (2 * 3 * 4, 12)
    np.testing.assert_array_equal(patches[0], images[0, 0:2, 0:2, :].reshape(-1))
    np.testing.assert_array_equal(patches[5], images[0, 1:3, 1:3, :].reshape(-1))  # row 1, col 1


def test_whitened_patches_have_zero_mean_and_identity_covariance():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 8, 8, 1))
    images = np.concatenate([base, 0.9 * base + 0.1 * rng.normal(size=base.shape),
                             3 * base + rng.normal(size=base.shape)], axis=-1)
    kernel, bias = patch_whitening(images, size=2, eps=1e-9)
    assert kernel.shape == (2, 2, 3, 24) and bias.shape == (24,)
    out = extract_patches(images, 2) @ kernel.reshape(12, 24).astype(float) + bias
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-3)
    half = out[:, :12]
    np.testing.assert_allclose(np.cov(half, rowvar=False), np.eye(12), atol=2e-2)
    np.testing.assert_allclose(out[:, 12:], -half, atol=1e-5)


def test_patch_whitening_matches_a_keras_conv():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(16, 6, 6, 3)).astype("float32")
    kernel, bias = patch_whitening(images, size=2)
    conv = keras.layers.Conv2D(24, 2, padding="valid")
    conv.build((None, 6, 6, 3))
    conv.set_weights([kernel, bias])
    out = keras.ops.convert_to_numpy(conv(images)).reshape(-1, 24)
    np.testing.assert_allclose(out, extract_patches(images, 2) @ kernel.reshape(12, 24) + bias, rtol=1e-4,
                               atol=1e-4)


def test_bad_arguments_raise_one_line_errors():
    with pytest.raises(ArgumentError, match="shape"):
        extract_patches(np.zeros((4, 4, 3)), 2)
    with pytest.raises(ArgumentError, match="patch size"):
        extract_patches(np.zeros((1, 4, 4, 3)), 5)
    with pytest.raises(ArgumentError, match="eps"):
        patch_whitening(np.zeros((1, 4, 4, 3)), eps=0)

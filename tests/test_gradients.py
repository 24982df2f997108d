import numpy as np
import pytest

import utils
from utils.errors import ArgumentError


def test_numerical_gradient_of_a_quadratic_is_exact_to_rounding():
    a = np.array([[2.0, -1.0], [0.5, 3.0]])
    w = np.array([0.3, -0.7])
    grad = utils.numerical_gradient(lambda: float(w @ a @ w), w)
    np.testing.assert_allclose(grad, (a + a.T) @ w, rtol=1e-8)
    np.testing.assert_array_equal(w, [0.3, -0.7])  # every entry restored


def test_gradient_check_passes_a_right_gradient_and_flags_a_wrong_one():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    params = {"w": rng.normal(size=3), "b": np.zeros(1)}

    def loss():
        return float(np.mean((x @ params["w"] + params["b"][0] - y) ** 2))

    residual = x @ params["w"] + params["b"][0] - y
    right = {"w": 2 * x.T @ residual / 20, "b": np.array([2 * residual.mean()])}
    wrong = {"w": x.T @ residual / 20, "b": right["b"]}  # forgot the factor 2
    assert max(utils.gradient_check(loss, params, right).values()) < 1e-7
    errors = utils.gradient_check(loss, params, wrong)
    assert errors["w"] > 0.1 and errors["b"] < 1e-7


def test_relative_error_scale():
    assert utils.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert utils.relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)


def test_float32_parameters_are_refused():
    with pytest.raises(ArgumentError, match="float64"):
        utils.numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))


def test_mismatched_names_are_refused():
    with pytest.raises(ArgumentError, match="differ"):
        utils.gradient_check(lambda: 0.0, {"w": np.zeros(2)}, {"v": np.zeros(2)})


def test_chain_rule_only_blocks_shortcuts_and_counts_forward_calls():
    import tensorflow as tf

    from utils.gradients import ShortcutError, chain_rule_only

    def square(x):
        return x * x

    namespace = {"square": square}
    w = np.array([1.0, 2.0])
    with chain_rule_only(namespace, ["square"]) as calls:
        assert namespace["square"](3.0) == 9.0
        with pytest.raises(ShortcutError):
            utils.numerical_gradient(lambda: float(w @ w), w)
        with pytest.raises(ShortcutError):
            tf.GradientTape()
        with pytest.raises(ShortcutError):
            tf.autodiff.GradientTape()
    assert calls == ["square"]
    assert namespace["square"] is square and callable(tf.GradientTape().__enter__)  # all restored
    np.testing.assert_allclose(utils.numerical_gradient(lambda: float(w @ w), w), 2 * w, rtol=1e-8)


def test_chain_rule_only_names_a_missing_function():
    from utils.gradients import chain_rule_only

    with pytest.raises(ArgumentError, match="forward_tanh"):
        with chain_rule_only({}, ["forward_tanh"]):
            pass


def test_float64_precision_keeps_backend_ops_in_float64_on_every_backend():
    """Under JAX, float64 inputs are computed in float32 unless x64 is on: a finite-difference check of a
    keras.ops function would then fail by rounding alone (runs under both backends: make test, make test-jax)."""
    import keras

    z = np.random.default_rng(0).normal(size=(3, 5))

    def log_sum_exp():
        return float(keras.ops.logsumexp(keras.ops.convert_to_tensor(z)))

    with utils.float64_precision():
        assert keras.ops.convert_to_tensor(z).dtype == "float64"
        numeric = utils.numerical_gradient(log_sum_exp, z)
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert utils.relative_error(numeric, softmax) < 1e-7
    assert keras.ops.convert_to_tensor(np.zeros(2, "float32")).dtype == "float32"  # nothing leaks out of the block

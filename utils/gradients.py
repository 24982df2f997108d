"""Numerical gradients, for checking derivations and backward passes against the definition.

Central differences: :math:`\\partial f/\\partial\\theta_i \\approx (f(\\theta + h e_i) - f(\\theta - h e_i)) / 2h`,
with an error of order :math:`h^2`. In float64 with ``h = 1e-6`` the relative error against a correct
analytic gradient is typically below ``1e-8``; a wrong derivation gives errors near 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager

import numpy as np

from .errors import ArgumentError


@contextmanager
def float64_precision():
    """Inside this block, backend ops on float64 inputs compute in float64 on every Keras backend.

    TensorFlow keeps float64 as given; JAX silently computes in float32 unless its x64 mode is on, which would make
    a finite-difference check (:func:`numerical_gradient`) fail by rounding alone. Models are unaffected: their
    weights keep Keras' float32 default.
    """
    import keras

    if keras.backend.backend() == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def numerical_gradient(f: Callable[[], float], param: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The central-difference gradient of ``f()`` with respect to ``param``, which is perturbed in place.

    ``f`` takes no arguments and reads ``param`` itself (e.g. a closure over a weights dict); every entry
    is restored after it is perturbed.
    """
    if not isinstance(param, np.ndarray) or param.dtype != np.float64:
        raise ArgumentError("numerical_gradient needs a float64 NumPy array (float32 rounding swamps the "
                            f"difference quotient), got {getattr(param, 'dtype', type(param).__name__)}")
    grad = np.zeros_like(param)
    flat, gflat = param.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def relative_error(a, b) -> float:
    """``‖a − b‖ / max(‖a‖ + ‖b‖, tiny)``: 0 for equal arrays, about 1 for unrelated ones."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ArgumentError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def gradient_check(loss: Callable[[], float], params: Mapping[str, np.ndarray],
                   analytic: Mapping[str, np.ndarray], h: float = 1e-6) -> dict[str, float]:
    """Relative error between ``analytic[name]`` and the numerical gradient of ``loss()`` for every parameter.

    ``loss`` reads the arrays in ``params`` (perturbed in place and restored). Returns ``{name: error}``.
    """
    if set(params) != set(analytic):
        raise ArgumentError(f"params {sorted(params)} and analytic gradients {sorted(analytic)} differ")
    return {name: relative_error(analytic[name], numerical_gradient(loss, params[name], h)) for name in params}


class ShortcutError(AssertionError):
    """A graded backward pass used numerical or automatic differentiation instead of the chain rule."""


@contextmanager
def chain_rule_only(namespace: dict, forward_names: Sequence[str] = ()):
    """For exercise checks: inside the block, backward passes must use the chain rule on cached values.

    Numerical differentiation (this module's functions) and ``tf.GradientTape`` raise :class:`ShortcutError`,
    and every call to a function named in ``forward_names`` (looked up in ``namespace``, usually ``globals()``)
    is recorded in the yielded list, so a check can reject a backward pass that re-runs the forward pass.
    Everything is restored on exit.
    """
    missing = [name for name in forward_names if not callable(namespace.get(name))]
    if missing:
        raise ArgumentError(f"chain_rule_only: no function(s) {missing} in the namespace")
    calls: list[str] = []

    def blocked(*args, **kwargs):
        raise ShortcutError("derive the gradient with the chain rule: numerical or automatic differentiation "
                            "is how the check verifies your answer, not the answer")

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return fn(*args, **kwargs)
        return wrapper

    import utils

    originals = {name: namespace[name] for name in forward_names}
    patches = [(utils, "numerical_gradient"), (utils, "gradient_check"),
               (sys.modules[__name__], "numerical_gradient"), (sys.modules[__name__], "gradient_check")]
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        patches.append((tf, "GradientTape"))
        if hasattr(tf, "autodiff"):  # the same class under another name
            patches.append((tf.autodiff, "GradientTape"))
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr in patches]
    try:
        for obj, attr in patches:
            setattr(obj, attr, blocked)
        namespace.update({name: counting(name, fn) for name, fn in originals.items()})
        yield calls
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)
        namespace.update(originals)

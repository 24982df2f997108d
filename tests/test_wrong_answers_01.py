"""Chapter 01's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "01_forward_backprop_math"


def tanh_answer(body):
    return "def backward_tanh(params, cache, Y):\n" + "".join(f"    {line}\n" for line in body)


def tape_answer(tape):
    return tanh_answer([
        'variables = {k: tf.Variable(v) for k, v in params.items()}',
        f'with {tape}() as tape:',
        '    logits = tf.tanh(cache["X"] @ variables["W1"] + variables["b1"]) @ variables["W2"] + variables["b2"]',
        '    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(Y, logits))',
        'return {k: g.numpy() for k, g in tape.gradient(loss, variables).items()}'])


RIGHT_END = ['dZ1 = dH * (1 - cache["H"] ** 2)',
             'return {"W1": cache["X"].T @ dZ1, "b1": dZ1.sum(axis=0), "W2": cache["H"].T @ dZ2, '
             '"b2": dZ2.sum(axis=0)}']
WRONG = [
    # Exercise 1: back-propagate through tanh
    wrong_answer("ex01-tanh-solution", "relu-derivative", tanh_answer([
        'dZ2 = (cache["P"] - Y) / len(Y)', 'dH = dZ2 @ params["W2"].T', 'dZ1 = dH * (cache["Z1"] > 0)',
        RIGHT_END[1]])),
    wrong_answer("ex01-tanh-solution", "forgot-the-square", tanh_answer([
        'dZ2 = (cache["P"] - Y) / len(Y)', 'dH = dZ2 @ params["W2"].T', 'dZ1 = dH * (1 - cache["H"])',
        RIGHT_END[1]])),
    wrong_answer("ex01-tanh-solution", "no-batch-mean", tanh_answer([
        'dZ2 = cache["P"] - Y', 'dH = dZ2 @ params["W2"].T', *RIGHT_END])),
    wrong_answer("ex01-tanh-solution", "numerical-gradient", tanh_answer([
        'def loss():',
        '    return cross_entropy(forward_tanh(params, cache["X"])["Z2"], Y)',
        'return {k: utils.numerical_gradient(loss, params[k]) for k in params}']), expect="ShortcutError"),
    wrong_answer("ex01-tanh-solution", "gradient-tape", tape_answer("tf.GradientTape"), expect="ShortcutError"),
    wrong_answer("ex01-tanh-solution", "autodiff-tape", tape_answer("tf.autodiff.GradientTape"),
                 expect="ShortcutError"),
    wrong_answer("ex01-tanh-solution", "own-finite-differences", tanh_answer([
        'grads = {}',
        'for k, p in params.items():',
        '    g = np.zeros_like(p)',
        '    for i in np.ndindex(p.shape):',
        '        old = p[i]',
        '        p[i] = old + 1e-6',
        '        up = cross_entropy(forward_tanh(params, cache["X"])["Z2"], Y)',
        '        p[i] = old - 1e-6',
        '        down = cross_entropy(forward_tanh(params, cache["X"])["Z2"], Y)',
        '        p[i] = old',
        '        g[i] = (up - down) / 2e-6',
        '    grads[k] = g',
        'return grads'])),
    # Exercise 2: RMSProp as Keras does it
    wrong_answer("ex01-rmsprop-solution", "eps-outside-the-root",
                 'def rmsprop_step(theta, g, state, lr=0.01, rho=0.9, eps=1e-7):\n'
                 '    state["s"] = rho * state.get("s", 0.0) + (1 - rho) * g**2\n'
                 '    return theta - lr * g / (np.sqrt(state["s"]) + eps)'),
    wrong_answer("ex01-rmsprop-solution", "no-one-minus-rho",
                 'def rmsprop_step(theta, g, state, lr=0.01, rho=0.9, eps=1e-7):\n'
                 '    state["s"] = rho * state.get("s", 0.0) + g**2\n'
                 '    return theta - lr * g / np.sqrt(state["s"] + eps)'),
    wrong_answer("ex01-rmsprop-solution", "state-not-kept",
                 'def rmsprop_step(theta, g, state, lr=0.01, rho=0.9, eps=1e-7):\n'
                 '    s = (1 - rho) * g**2\n'
                 '    return theta - lr * g / np.sqrt(s + eps)'),
    # Exercise 3: Nesterov momentum as Keras does it
    wrong_answer("ex01-nesterov-solution", "plain-momentum",
                 'def nesterov_step(theta, g, state, lr=0.01, mu=0.9):\n'
                 '    state["v"] = mu * state.get("v", 0.0) - lr * g\n'
                 '    return theta + state["v"]'),
    wrong_answer("ex01-nesterov-solution", "plain-sgd",
                 'def nesterov_step(theta, g, state, lr=0.01, mu=0.9):\n'
                 '    return theta - lr * g'),
    wrong_answer("ex01-nesterov-solution", "old-velocity",
                 'def nesterov_step(theta, g, state, lr=0.01, mu=0.9):\n'
                 '    v_old = state.get("v", 0.0)\n'
                 '    state["v"] = mu * v_old - lr * g\n'
                 '    return theta + mu * v_old - lr * g'),
    wrong_answer("ex01-nesterov-solution", "sign-error",
                 'def nesterov_step(theta, g, state, lr=0.01, mu=0.9):\n'
                 '    state["v"] = mu * state.get("v", 0.0) - lr * g\n'
                 '    return theta - mu * state["v"] - lr * g'),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)

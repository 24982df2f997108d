"""utils.distillation: the Distiller keeps its teacher frozen, computes Hinton et al.'s loss (T² included) as a
hand computation does, refuses swapped or mismatched models in one clear line, and trains like plain
cross-entropy when alpha = 1."""

from pathlib import Path

import keras
import numpy as np
import pytest

import utils
from utils.distillation import (
    Distiller,
    distillation_kl,
    gzipped_weights_bytes,
    interleaved_latency_ms,
    latency_ms,
    softened,
    weights_file_bytes,
)
from utils.errors import ArgumentError

N_CLASSES = 10


def mlp(hidden, n_out=N_CLASSES, n_in=20, name=None, dropout=0.0, batchnorm=False):
    layers = [keras.Input((n_in,)), keras.layers.Dense(hidden, activation="relu")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization())
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(n_out))
    return keras.Sequential(layers, name=name)


def toy_data(n=256, n_in=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)).astype("float32")
    y = (np.abs(x[:, :N_CLASSES]).argmax(axis=1)).astype("int32")
    return x, y


def identity_model(name):
    """A Dense(10) layer with identity kernel and zero bias: it returns its input, so x *is* the logits."""
    model = keras.Sequential([keras.Input((N_CLASSES,)), keras.layers.Dense(N_CLASSES)], name=name)
    model.set_weights([np.eye(N_CLASSES, dtype="float32"), np.zeros(N_CLASSES, "float32")])
    return model


def np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def hand_loss(student_logits, teacher_logits, labels, temperature, alpha):
    """Hinton et al. (2015), written out in float64 NumPy."""
    s, t = np.asarray(student_logits, np.float64), np.asarray(teacher_logits, np.float64)
    hard = -np_log_softmax(s)[np.arange(len(labels)), labels]
    log_p, log_q = np_log_softmax(t / temperature), np_log_softmax(s / temperature)
    kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=-1)
    return float(np.mean(alpha * hard + (1 - alpha) * temperature ** 2 * kl))


@pytest.fixture
def logits():
    rng = np.random.default_rng(1)
    teacher = (3 * rng.normal(size=(32, N_CLASSES))).astype("float32")
    student = rng.normal(size=(32, N_CLASSES)).astype("float32")
    labels = rng.integers(0, N_CLASSES, 32).astype("int32")
    return student, teacher, labels


def loss_of(distiller, student_logits, teacher_logits, labels, **kwargs):
    return float(distiller.compute_loss(x=teacher_logits, y=labels, y_pred=student_logits, **kwargs))


# --------------------------------------------------------------------------- the loss
@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (4.0, 0.1), (10.0, 0.0), (20.0, 0.9), (2.0, 1.0)])
def test_loss_matches_a_hand_computation_t_squared_included(logits, temperature, alpha):
    student, teacher, labels = logits
    distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=temperature,
                          alpha=alpha)
    expected = hand_loss(student, teacher, labels, temperature, alpha)
    np.testing.assert_allclose(loss_of(distiller, student, teacher, labels), expected, rtol=1e-5)


def test_soft_term_is_t_squared_times_the_kl(logits):
    student, teacher, labels = logits
    for temperature in (1.0, 3.0, 10.0):
        distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=temperature,
                              alpha=0.0)
        kl = float(np.mean(keras.ops.convert_to_numpy(distillation_kl(teacher, student, temperature))))
        np.testing.assert_allclose(loss_of(distiller, student, teacher, labels), temperature ** 2 * kl, rtol=1e-5)
        # and without the factor the hand computation would be off by exactly T²
        if temperature > 1:
            assert abs(loss_of(distiller, student, teacher, labels) - kl) > 0.5 * kl


def test_soft_term_agrees_with_keras_builtin_logits_distillation(logits):
    student, teacher, labels = logits
    distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=5.0, alpha=0.0)
    # An explicit KLDivergence instance: with its default loss="kl_divergence", Keras 3.15.1 resolves the string to
    # the function keras.losses.kl_divergence, skips the softmax-and-T² branch and compares the scaled logits.
    builtin = keras.distillation.LogitsDistillation(temperature=5.0, loss=keras.losses.KLDivergence())
    reference = float(builtin.compute_loss(keras.ops.convert_to_tensor(teacher), keras.ops.convert_to_tensor(student)))
    np.testing.assert_allclose(loss_of(distiller, student, teacher, labels), reference, rtol=1e-4)


def test_alpha_one_is_plain_cross_entropy_and_one_hot_labels_work(logits):
    student, teacher, labels = logits
    distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=3.0, alpha=1.0)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, student)
    np.testing.assert_allclose(loss_of(distiller, student, teacher, labels), float(ce), rtol=1e-6)
    mixed = Distiller(teacher=identity_model("t2"), student=identity_model("s2"), temperature=3.0, alpha=0.3)
    one_hot = keras.utils.to_categorical(labels, N_CLASSES)
    np.testing.assert_allclose(loss_of(mixed, student, teacher, one_hot), loss_of(mixed, student, teacher, labels),
                               rtol=1e-6)


def test_sample_weights_weight_each_example(logits):
    student, teacher, labels = logits
    distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=2.0, alpha=0.5)
    weights = np.zeros(len(labels), "float32")
    weights[:8] = 1.0
    weighted = loss_of(distiller, student, teacher, labels, sample_weight=weights)
    first = hand_loss(student[:8], teacher[:8], labels[:8], 2.0, 0.5)
    np.testing.assert_allclose(weighted, first * 8 / len(labels), rtol=1e-5)  # Keras' sum_over_batch_size


def test_integer_labels_of_shape_n_by_1_are_sparse_labels(logits):
    student, teacher, labels = logits
    distiller = Distiller(teacher=identity_model("t"), student=identity_model("s"), temperature=3.0, alpha=0.4)
    np.testing.assert_allclose(loss_of(distiller, student, teacher, labels[:, None]),
                               loss_of(distiller, student, teacher, labels), rtol=1e-6)
    with pytest.raises(ArgumentError, match="one-hot labels have 7 columns but the student outputs 10"):
        loss_of(distiller, student, teacher, np.zeros((len(labels), 7), "float32"))


def test_the_students_regularization_losses_are_added_and_the_teachers_are_not(logits):
    student_logits, teacher_logits, labels = logits
    penalty = 0.01

    def regularized(name, l2):
        model = keras.Sequential([keras.Input((N_CLASSES,)), keras.layers.Dense(
            N_CLASSES, kernel_regularizer=keras.regularizers.L2(l2), activity_regularizer=keras.regularizers.L2(l2))],
            name=name)
        model.set_weights([np.eye(N_CLASSES, dtype="float32"), np.zeros(N_CLASSES, "float32")])
        return model

    student = regularized("s", penalty)
    distiller = Distiller(teacher=regularized("t", 1.0), student=student, temperature=2.0, alpha=0.5)
    x = keras.ops.convert_to_tensor(student_logits)
    y_pred = student(x)  # an identity: y_pred is student_logits, and the activity penalty is recorded
    got = float(distiller.compute_loss(x=x, y=labels, y_pred=y_pred))
    expected = hand_loss(student_logits, student_logits, labels, 2.0, 0.5) + sum(
        float(keras.ops.convert_to_numpy(loss)) for loss in student.losses)
    # hand computation: teacher = identity on x too, so teacher logits = x = student logits; the teacher's
    # (large) penalties must not appear
    assert student.losses, "the student should carry its kernel and activity penalties"
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    kernel_penalty = penalty * N_CLASSES  # L2 of an identity kernel
    assert got > hand_loss(student_logits, student_logits, labels, 2.0, 0.5) + 0.9 * kernel_penalty


def test_the_module_uses_keras_ops_only():
    import ast

    import utils.distillation as module
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not imported & {"tensorflow", "jax", "torch"} and "tf" not in names, "use keras.ops, not a backend's API"


def test_softened_is_uniform_at_high_temperature_and_softmax_at_one(logits):
    _, teacher, _ = logits
    np.testing.assert_allclose(keras.ops.convert_to_numpy(softened(teacher, 1.0)),
                               np.exp(np_log_softmax(teacher.astype(np.float64))), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(softened(teacher, 1e4)), 1 / N_CLASSES, atol=1e-3)


# --------------------------------------------------------------------------- training
def trained_teacher(x, y):
    utils.seed_everything(0)
    teacher = mlp(64, name="teacher", dropout=0.3, batchnorm=True)
    teacher.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(x, y, epochs=3, batch_size=32, verbose=0)
    return teacher


def test_teacher_weights_stay_bit_identical_and_the_student_learns():
    x, y = toy_data()
    teacher = trained_teacher(x, y)
    before = [w.copy() for w in teacher.get_weights()]  # BatchNorm's moving statistics included
    student = mlp(8, name="student")
    student_before = [w.copy() for w in student.get_weights()]
    distiller = Distiller(teacher=teacher, student=student, temperature=4.0, alpha=0.1)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    history = distiller.fit(x, y, epochs=3, batch_size=32, verbose=0)
    after = teacher.get_weights()
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        assert old.dtype == new.dtype and np.array_equal(old, new), "the teacher changed during distillation"
    assert not all(np.array_equal(a, b) for a, b in zip(student_before, student.get_weights(), strict=True))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert {w.path for w in distiller.trainable_weights} == {w.path for w in student.trainable_weights}


def test_alpha_one_trains_exactly_like_plain_fit():
    x, y = toy_data()
    teacher = trained_teacher(x, y)
    utils.seed_everything(5)
    plain = mlp(8, name="plain")
    plain.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    plain.fit(x, y, epochs=2, batch_size=32, verbose=0)
    utils.seed_everything(5)
    student = mlp(8, name="via_distiller")
    distiller = Distiller(teacher=teacher, student=student, temperature=4.0, alpha=1.0)
    distiller.compile(optimizer="adam")
    distiller.fit(x, y, epochs=2, batch_size=32, verbose=0)
    for a, b in zip(plain.get_weights(), student.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_evaluate_and_predict_are_the_students():
    x, y = toy_data()
    teacher = trained_teacher(x, y)
    student = mlp(8, name="student")
    distiller = Distiller(teacher=teacher, student=student, temperature=2.0, alpha=0.5)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    distiller.fit(x, y, epochs=1, batch_size=64, verbose=0)
    np.testing.assert_allclose(distiller.predict(x, verbose=0), student.predict(x, verbose=0), rtol=1e-6)
    accuracy = distiller.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    np.testing.assert_allclose(accuracy, np.mean(student.predict(x, verbose=0).argmax(axis=1) == y), atol=1e-6)


# --------------------------------------------------------------------------- clear errors
def test_swapped_teacher_and_student_fail_with_a_clear_message():
    big, small = mlp(64, name="big"), mlp(4, name="small")
    with pytest.raises(ArgumentError, match="did you swap them"):
        Distiller(teacher=small, student=big)
    assert Distiller(teacher=small, student=big, allow_smaller_teacher=True).student is big
    with pytest.raises(TypeError):
        Distiller(big, small)  # keyword-only: no silent positional swap


def test_teacher_with_the_wrong_output_size_fails_with_a_clear_message():
    with pytest.raises(ArgumentError, match="teacher outputs 5 logits but the student 10"):
        Distiller(teacher=mlp(64, n_out=5), student=mlp(4))


def test_wrong_output_size_of_unbuilt_models_fails_at_the_first_step():
    teacher = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(5)])
    student = keras.Sequential([keras.layers.Dense(10)])
    distiller = Distiller(teacher=teacher, student=student)
    distiller.compile(optimizer="adam")
    x, y = toy_data(64)
    with pytest.raises(ArgumentError, match="teacher outputs 5 logits but the student 10"):
        distiller.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": 0}, "temperature must be a positive number"),
    ({"temperature": -2.0}, "temperature must be a positive number"),
    ({"temperature": "4"}, "temperature must be a positive number"),
    ({"alpha": 1.5}, r"alpha \(the weight of the hard-label loss\) must be a number in \[0, 1\]"),
    ({"alpha": -0.1}, "alpha"),
])
def test_bad_hyperparameters_fail_in_one_line(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        Distiller(teacher=mlp(64), student=mlp(4), **kwargs)


def test_other_misuse_fails_in_one_line():
    teacher = mlp(64)
    with pytest.raises(ArgumentError, match="teacher must be a keras.Model"):
        Distiller(teacher=lambda x: x, student=mlp(4))
    with pytest.raises(ArgumentError, match="same model"):
        Distiller(teacher=teacher, student=teacher)
    distiller = Distiller(teacher=teacher, student=mlp(4))
    with pytest.raises(ArgumentError, match="without loss="):
        distiller.compile(optimizer="adam", loss="mse")
    with pytest.raises(ArgumentError, match="temperature"):
        softened(np.zeros((2, 3)), 0.0)
    logits = np.zeros((4, N_CLASSES), "float32")
    with pytest.raises(ArgumentError, match="no labels"):
        Distiller(teacher=identity_model("t"), student=identity_model("s")).compute_loss(x=logits, y_pred=logits)


# --------------------------------------------------------------------------- size and latency helpers
def test_weights_file_grows_with_parameters_and_zeros_compress():
    small, big = mlp(4, name="s"), mlp(256, name="b")
    assert weights_file_bytes(big) > weights_file_bytes(small) + 4 * (big.count_params() - small.count_params()) // 2
    dense_size, dense_gzip = weights_file_bytes(big), gzipped_weights_bytes(big)
    big.set_weights([np.zeros_like(w) for w in big.get_weights()])
    assert weights_file_bytes(big) == dense_size, "zeros stored densely take the same bytes"
    assert gzipped_weights_bytes(big) < dense_gzip / 5, "zeros compress"


def test_weights_file_leaves_out_the_optimizer_state_unless_asked():
    model = mlp(64, name="compiled")
    bare = weights_file_bytes(model)
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)  # Adam's two moments: two more numbers per parameter
    assert weights_file_bytes(model) == bare
    assert weights_file_bytes(model, include_optimizer=True) > bare + 2 * 4 * model.count_params() * 0.9
    assert model.optimizer is not None, "measuring must not change the model"


def test_latency_helpers_measure_and_check_their_arguments():
    model = mlp(8)
    x = np.zeros((1, 20), "float32")
    assert latency_ms(model, x, calls=5, warmup=1) > 0
    both = interleaved_latency_ms({"a": model, "b": mlp(16)}, x, calls=6, warmup=1, rounds=2)
    assert set(both) == {"a", "b"} and all(v > 0 for v in both.values())
    with pytest.raises(ArgumentError, match="calls must be an int >= 1"):
        latency_ms(model, x, calls=0)
    with pytest.raises(ArgumentError, match="models must be a non-empty dict"):
        interleaved_latency_ms([model], x)

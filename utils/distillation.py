"""Knowledge distillation (Hinton, Vinyals & Dean 2015) as a Keras 3 model, and the measurements chapter 06 makes.

``Distiller(teacher=..., student=..., temperature=T, alpha=a)`` trains the student on

    a * CE(y, softmax(z_s))  +  (1 - a) * T**2 * KL(softmax(z_t / T) || softmax(z_s / T))

where ``z_s`` and ``z_t`` are the student's and the teacher's logits, plus the student's own regularization losses.
``alpha`` weights the hard-label loss, as ``alpha`` does in the keras.io example and ``student_loss_weight`` in
``keras.distillation.Distiller``. The teacher is frozen: it is called with ``training=False`` and its weights are
not trainable, so ``fit`` leaves them bit-identical. Only ``keras.ops`` is used, nothing from ``tf.*``, so the class
is written for every Keras backend that can train (the tests run it on TensorFlow, the course's default).

Importing this module imports Keras (the ``utils`` package itself does not).
"""

from __future__ import annotations

import gzip
import io
import statistics
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from .errors import ArgumentError


# --------------------------------------------------------------------------- the loss, term by term
def softened(logits, temperature: float):
    """``softmax(logits / T)`` along the last axis: the "soft targets" at temperature T."""
    _check_temperature(temperature)
    return ops.softmax(ops.divide(logits, temperature), axis=-1)


def distillation_kl(teacher_logits, student_logits, temperature: float):
    """Per-example ``KL(p || q)`` with ``p = softmax(z_t / T)``, ``q = softmax(z_s / T)``, NOT yet scaled by T².

    Computed from log-softmax, so it stays finite where a probability underflows to 0 (``keras.losses.KLDivergence``
    clips probabilities at 1e-7 instead).
    """
    _check_temperature(temperature)
    log_p = ops.log_softmax(ops.divide(teacher_logits, temperature), axis=-1)
    log_q = ops.log_softmax(ops.divide(student_logits, temperature), axis=-1)
    return ops.sum(ops.exp(log_p) * (log_p - log_q), axis=-1)


def hard_label_loss(labels, student_logits):
    """Per-example cross-entropy with the true labels: integer labels of shape (n,) or (n, 1), or one-hot rows of
    the logits' shape."""
    n_classes = student_logits.shape[-1]
    if len(labels.shape) == len(student_logits.shape) and labels.shape[-1] not in (1, None):
        if n_classes is not None and labels.shape[-1] != n_classes:
            raise ArgumentError(f"Distiller: one-hot labels have {labels.shape[-1]} columns but the student outputs "
                                f"{n_classes} logits; pass integer labels or one-hot rows of length {n_classes}")
        return keras.losses.categorical_crossentropy(labels, student_logits, from_logits=True)
    return keras.losses.sparse_categorical_crossentropy(labels, student_logits, from_logits=True)


def _check_temperature(temperature) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ArgumentError(f"temperature must be a positive number such as 4.0, got {temperature!r}")


def _check_alpha(alpha) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ArgumentError(f"alpha (the weight of the hard-label loss) must be a number in [0, 1], got {alpha!r}")


# --------------------------------------------------------------------------- the model
def _output_size(model) -> int | None:
    try:
        return model.output_shape[-1]
    except (AttributeError, ValueError, TypeError, IndexError):  # not built yet, or several outputs
        return None


def _param_count(model) -> int | None:
    try:
        return model.count_params()
    except ValueError:  # not built yet
        return None


class Distiller(keras.Model):
    """Train ``student`` to match a frozen, trained ``teacher`` (both output logits) and the true labels.

    Arguments (keyword only, so teacher and student cannot be swapped by position):
        teacher: the trained model. It is frozen here (``teacher.trainable = False``).
        student: the model to train. ``distiller.student`` is the trained student afterwards.
        temperature: T > 0, the softmax temperature of both distributions in the KL term.
        alpha: weight of the hard-label loss in [0, 1]; ``1 - alpha`` weights the distillation term.
            ``alpha=1`` is plain training of the student; ``alpha=0`` uses the teacher only.
        allow_smaller_teacher: a teacher with fewer parameters than the student is refused as a likely swap,
            unless this is True (self-distillation and "born-again" networks use equal or smaller teachers).

    Compile without ``loss=`` (the loss is the one above) and fit with the true labels::

        distiller = Distiller(teacher=teacher, student=student, temperature=4.0, alpha=0.1)
        distiller.compile(optimizer="adam", metrics=["accuracy"])
        distiller.fit(x_train, y_train, epochs=3)
    """

    def __init__(self, *, teacher, student, temperature: float = 4.0, alpha: float = 0.1,
                 allow_smaller_teacher: bool = False, name: str = "distiller", **kwargs):
        for role, model in (("teacher", teacher), ("student", student)):
            if not isinstance(model, keras.Model):
                raise ArgumentError(f"Distiller: {role} must be a keras.Model, got {type(model).__name__}")
        if teacher is student:
            raise ArgumentError("Distiller: teacher and student are the same model; pass two different models")
        _check_temperature(temperature)
        _check_alpha(alpha)
        n_teacher, n_student = _output_size(teacher), _output_size(student)
        if n_teacher is not None and n_student is not None and n_teacher != n_student:
            raise ArgumentError(f"Distiller: the teacher outputs {n_teacher} logits but the student {n_student}; "
                                "both must score the same classes")
        p_teacher, p_student = _param_count(teacher), _param_count(student)
        if not allow_smaller_teacher and p_teacher is not None and p_student is not None and p_teacher < p_student:
            raise ArgumentError(
                f"Distiller: the teacher has {p_teacher:,} parameters, fewer than the student's {p_student:,}; "
                "did you swap them? Pass teacher=<the trained large model>, student=<the small one to train> "
                "(or allow_smaller_teacher=True if a smaller teacher is what you mean)")
        super().__init__(name=name, **kwargs)
        self.teacher = teacher
        self.student = student
        self.teacher.trainable = False
        self.temperature = float(temperature)
        self.alpha = float(alpha)

    def compile(self, *, optimizer="rmsprop", metrics=None, **kwargs):
        if kwargs.get("loss") is not None:
            raise ArgumentError("Distiller: compile it without loss=...; its loss is alpha * hard-label loss "
                                "+ (1 - alpha) * T² * KL, set by alpha and temperature")
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)

    def call(self, x, training=False):
        return self.student(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        teacher_logits = ops.stop_gradient(self.teacher(x, training=False))
        if teacher_logits.shape[-1] != y_pred.shape[-1]:
            raise ArgumentError(f"Distiller: the teacher outputs {teacher_logits.shape[-1]} logits but the student "
                                f"{y_pred.shape[-1]}; both must score the same classes")
        if y is None:
            raise ArgumentError("Distiller: no labels; call fit(x, y) with the true labels y")
        # The two terms of Hinton et al.'s loss, per example:
        hard = hard_label_loss(y, y_pred)
        soft = self.temperature ** 2 * distillation_kl(teacher_logits, y_pred, self.temperature)
        per_example = self.alpha * hard + (1.0 - self.alpha) * soft
        if sample_weight is not None:
            per_example = per_example * ops.reshape(ops.cast(sample_weight, per_example.dtype), (-1,))
        loss = ops.mean(per_example)
        # The student's own regularization penalties and add_loss terms, as Model.compute_loss would add them
        # (the teacher's are left out: they are constants here).
        for extra in self.student.losses:
            loss = loss + ops.sum(ops.cast(extra, loss.dtype))
        return loss


# --------------------------------------------------------------------------- what a model costs to ship and run
def _weights_only(model):
    """``model``, or an uncompiled copy with the same weights: Keras 3's ``save_weights`` also writes the state of a
    compiled model's optimizer (Adam: two more numbers per parameter), which is not part of what one ships."""
    if getattr(model, "optimizer", None) is None:
        return model
    try:  # from the config, not clone_model: a clone of a compiled Sequential model shares its optimizer
        copy = type(model).from_config(model.get_config())
    except (NotImplementedError, ValueError, TypeError) as err:
        raise ArgumentError(f"cannot copy {model.name!r} without its optimizer ({err}); pass an uncompiled model "
                            "with the same weights, or include_optimizer=True") from None
    copy.set_weights(model.get_weights())
    return copy


def _saved_weights(model, include_optimizer: bool, tmp: str) -> Path:
    path = Path(tmp) / "model.weights.h5"
    (model if include_optimizer else _weights_only(model)).save_weights(path)
    return path


def weights_file_bytes(model, *, include_optimizer: bool = False) -> int:
    """Size in bytes of the model's ``.weights.h5`` file: its weights only, unless ``include_optimizer=True``, which
    measures what ``model.save_weights`` writes for a compiled model (its optimizer's state included)."""
    with tempfile.TemporaryDirectory() as tmp:
        return _saved_weights(model, include_optimizer, tmp).stat().st_size


def gzipped_weights_bytes(model) -> int:
    """Size in bytes of the weights-only file after gzip (level 9): what a compressed download would weigh."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _saved_weights(model, False, tmp)
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as f:
            f.write(path.read_bytes())
        return buffer.getbuffer().nbytes


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ArgumentError(f"{name} must be an int >= {minimum}, got {value!r}")


def latency_ms(model, x, *, calls: int = 200, warmup: int = 20) -> float:
    """Median wall time in milliseconds of ``model.predict_on_batch(x)`` over ``calls`` calls, after ``warmup``.

    ``predict_on_batch`` runs the model's compiled predict function, the way a Keras serving loop would call it.
    Pass one example with its batch axis (``x[:1]``) for batch-1 latency; the median ignores the odd slow call.
    """
    _check_count("calls", calls, 1)
    _check_count("warmup", warmup, 0)
    x = np.asarray(x)
    for _ in range(warmup):
        model.predict_on_batch(x)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def interleaved_latency_ms(models: dict, x, *, calls: int = 200, warmup: int = 20, rounds: int = 5) -> dict:
    """:func:`latency_ms` for several models, measured in ``rounds`` alternating rounds so that a change in the
    machine's load hits every model alike; returns ``{name: median over all calls in ms}``."""
    _check_count("rounds", rounds, 1)
    if not isinstance(models, dict) or not models:
        raise ArgumentError("models must be a non-empty dict {name: keras.Model}")
    x = np.asarray(x)
    per_call = max(1, calls // rounds)
    times = {name: [] for name in models}
    for model in models.values():
        for _ in range(warmup):
            model.predict_on_batch(x)
    for _ in range(rounds):
        for name, model in models.items():
            for _ in range(per_call):
                start = time.perf_counter()
                model.predict_on_batch(x)
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}

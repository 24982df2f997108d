"""Chapter 06's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "06_knowledge_distillation"

_SOFTMAX = """\
def tempered_softmax(logits, temperature):
    z = np.asarray(logits, dtype=np.float64)
{body}"""

_DARK = """\
{body}
print("the digit the teacher finds most like each digit:", dict(enumerate(np.asarray(most_like).tolist())))"""

_DARK_RIGHT_GROUPS = """\
soft = tempered_softmax(logits_test, {temperature})
dark = np.stack([soft[{labels} == c].mean(axis=0) for c in range(10)])"""

_MLP = """\
utils.seed_everything(0)
mlp_student = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Flatten(),
    layers.Dense({units}, activation="relu"),
    layers.Dense(10),
], name="mlp_student")
ex3_distiller = Distiller(teacher={teacher}, student=mlp_student, temperature={temperature}, alpha={alpha})
ex3_distiller.compile(optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
{fit}
acc_mlp = accuracy(mlp_student)
print(f"dense student, distilled: {{mlp_student.count_params():,}} parameters, test accuracy {{acc_mlp:.4f}}")"""
_FIT = ("ex3_distiller.fit(x_sweep, y_sweep, batch_size=BATCH, epochs=SWEEP_EPOCHS, verbose=0)")


def _mlp(units=32, teacher="teacher", temperature=4.0, alpha=0.1, fit=_FIT):
    return _MLP.format(units=units, teacher=teacher, temperature=temperature, alpha=alpha, fit=fit)


def _dark(temperature=4.0, labels="y_test", diagonal=True, renormalise=True):
    body = _DARK_RIGHT_GROUPS.format(temperature=temperature, labels=labels)
    if diagonal:
        body += "\nnp.fill_diagonal(dark, 0.0)"
    if renormalise:
        body += "\ndark = dark / dark.sum(axis=1, keepdims=True)"
    return _DARK.format(body=body + "\nmost_like = dark.argmax(axis=1)")


WRONG = [
    # Exercise 1: tempered softmax in NumPy
    wrong_answer("ex06-softmax-solution", "multiplies-by-t", _SOFTMAX.format(body="""\
    s = z * temperature
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""")),
    wrong_answer("ex06-softmax-solution", "no-max-subtraction", _SOFTMAX.format(body="""\
    e = np.exp(z / temperature)
    return e / e.sum(axis=-1, keepdims=True)""")),
    wrong_answer("ex06-softmax-solution", "normalises-over-axis-0", _SOFTMAX.format(body="""\
    s = z / temperature
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)""")),
    wrong_answer("ex06-softmax-solution", "power-without-renormalising", _SOFTMAX.format(body="""\
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) ** (1 / temperature)""")),
    wrong_answer("ex06-softmax-solution", "ignores-temperature", _SOFTMAX.format(body="""\
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)""")),
    # Exercise 2: the teacher's dark knowledge
    wrong_answer("ex06-dark-solution", "temperature-one", _dark(temperature=1.0)),
    wrong_answer("ex06-dark-solution", "diagonal-kept", _dark(diagonal=False)),
    wrong_answer("ex06-dark-solution", "not-renormalised", _dark(renormalise=False)),
    wrong_answer("ex06-dark-solution", "grouped-by-prediction", _dark(labels="logits_test.argmax(axis=1)")),
    wrong_answer("ex06-dark-solution", "averages-logits", _DARK.format(body="""\
dark = np.stack([tempered_softmax(logits_test[y_test == c].mean(axis=0), 4.0) for c in range(10)])
np.fill_diagonal(dark, 0.0)
dark = dark / dark.sum(axis=1, keepdims=True)
most_like = dark.argmax(axis=1)""")),
    # Exercise 3: distil into a dense student
    wrong_answer("ex06-mlp-solution", "never-trained", _mlp(fit="")),
    wrong_answer("ex06-mlp-solution", "alpha-one-ignores-teacher", _mlp(alpha=1.0)),
    wrong_answer("ex06-mlp-solution", "chapter-temperature", _mlp(temperature=10.0)),
    wrong_answer("ex06-mlp-solution", "wider-hidden-layer", _mlp(units=64)),
    wrong_answer("ex06-mlp-solution", "untrained-teacher", _mlp(teacher="build_teacher()")),
    wrong_answer("ex06-mlp-solution", "plain-fit-without-teacher", _mlp(fit="""\
mlp_student.compile(optimizer=keras.optimizers.Adam(), loss=CE, metrics=["accuracy"])
mlp_student.fit(x_sweep, y_sweep, batch_size=BATCH, epochs=SWEEP_EPOCHS, verbose=0)""")),
    wrong_answer("ex06-mlp-solution", "batch-four-times-larger", _mlp(
        fit="ex3_distiller.fit(x_sweep, y_sweep, batch_size=4 * BATCH, epochs=SWEEP_EPOCHS, verbose=0)")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)

"""Chapter 04's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "04_lstm_text_classifier"

_BCE = """\
def bce_from_logits(logits, labels):
    z = np.asarray(logits, dtype="float64")
    y = np.asarray(labels, dtype="float64")
{body}


print(bce_from_logits([2.0, -1.0, 80.0, -80.0], [1, 0, 0, 1]))"""

_MASK = """\
def masked_mean(vectors, ids):
    vectors, ids = np.asarray(vectors, dtype="float64"), np.asarray(ids)
{body}


print(masked_mean(np.arange(12.0).reshape(2, 3, 2), np.array([[5, 1, 0], [7, 0, 0]])))"""

_BAG = """\
EX3_EPOCHS = 5
utils.seed_everything(0)
{body}
acc_bag = test_accuracy(bag)
print(f"bag of embeddings: test accuracy {{acc_bag:.4f}}")"""

_BAG_MODEL = """\
bag = keras.Sequential([
    keras.Input((SEQ_LEN,), dtype="int32"),
    layers.Embedding(VOCAB_SIZE, 32, mask_zero={mask}),
    layers.{pooling}(),
    layers.Dense(1{activation}),
], name="bag_of_embeddings")
compile_binary(bag, 1e-2)"""
_FIT = """
bag.fit(ids_train[fit_part], y_train[fit_part], batch_size=BATCH, epochs=EX3_EPOCHS, verbose=0)"""


def _bag(mask=True, pooling="GlobalAveragePooling1D", activation="", fit=_FIT):
    return _BAG.format(body=_BAG_MODEL.format(mask=mask, pooling=pooling, activation=activation) + fit)

WRONG = [
    # Exercise 1: stable binary cross-entropy from logits
    wrong_answer("ex04-bce-solution", "article-formula", _BCE.format(body="""\
    return float(-np.mean(y * np.log(1 / (1 + np.exp(-z)))))""")),
    wrong_answer("ex04-bce-solution", "naive-log-sigmoid", _BCE.format(body="""\
    p = 1 / (1 + np.exp(-z))
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))""")),
    wrong_answer("ex04-bce-solution", "sum-not-mean", _BCE.format(body="""\
    return float(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))""")),
    wrong_answer("ex04-bce-solution", "label-sign-flipped", _BCE.format(body="""\
    return float(np.mean(np.maximum(z, 0) - z * (1 - y) + np.log1p(np.exp(-np.abs(z)))))""")),
    wrong_answer("ex04-bce-solution", "log1p-exp-without-abs", _BCE.format(body="""\
    return float(np.mean(np.log1p(np.exp(-z)) + (1 - y) * z))""")),
    # Exercise 2: masked mean
    wrong_answer("ex04-mask-solution", "plain-mean", _MASK.format(body="""\
    return vectors.mean(axis=1)""")),
    wrong_answer("ex04-mask-solution", "divides-by-all-steps", _MASK.format(body="""\
    keep = (ids != 0)[..., None]
    return (vectors * keep).sum(axis=1) / ids.shape[1]""")),
    wrong_answer("ex04-mask-solution", "unknown-token-as-padding", _MASK.format(body="""\
    keep = (ids > 1)[..., None]
    return (vectors * keep).sum(axis=1) / keep.sum(axis=1)""")),
    wrong_answer("ex04-mask-solution", "divides-by-batch-total", _MASK.format(body="""\
    keep = (ids != 0)[..., None]
    return (vectors * keep).sum(axis=1) / keep.sum()""")),
    wrong_answer("ex04-mask-solution", "inverted-mask", _MASK.format(body="""\
    keep = (ids == 0)[..., None]
    return (vectors * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1)""")),
    # Exercise 3: bag of embeddings
    wrong_answer("ex04-bag-solution", "never-trained", _bag(fit="")),
    wrong_answer("ex04-bag-solution", "no-mask", _bag(mask=False)),
    wrong_answer("ex04-bag-solution", "shuffled-labels", _bag(fit="""
bag.fit(ids_train[fit_part], np.random.default_rng(0).permutation(y_train[fit_part]), batch_size=BATCH,
        epochs=EX3_EPOCHS, verbose=0)""")),
    wrong_answer("ex04-bag-solution", "sigmoid-output", _bag(activation=', activation="sigmoid"')),
    wrong_answer("ex04-bag-solution", "max-pooling", _bag(pooling="GlobalMaxPooling1D")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)

"""Chapter 00's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "00_getting_started"

WRONG = [
    # Exercise 1: pixels as floats in [0, 1]
    wrong_answer("ex00-unit-range-solution", "cast-without-scaling",
                 "def to_unit_range(images):\n    return np.asarray(images, dtype=np.float32)"),
    wrong_answer("ex00-unit-range-solution", "float64-result",
                 "def to_unit_range(images):\n    return images / 255.0"),
    wrong_answer("ex00-unit-range-solution", "divide-by-256",
                 "def to_unit_range(images):\n    return np.asarray(images, dtype=np.float32) / 256"),
    wrong_answer("ex00-unit-range-solution", "divides-a-float32-input-in-place",
                 "def to_unit_range(images):\n"
                 "    x = np.asarray(images, dtype=np.float32)\n    x /= 255\n    return x"),
    # Exercise 2: one-hot labels
    wrong_answer("ex00-one-hot-solution", "classes-from-the-labels", """\
def one_hot(labels, num_classes):
    labels = np.asarray(labels)
    return np.eye(labels.max() + 1, dtype=np.float32)[labels]"""),
    wrong_answer("ex00-one-hot-solution", "off-by-one-column", """\
def one_hot(labels, num_classes):
    labels = np.asarray(labels).astype(int)  # label 0 lands in the last column (index -1)
    encoded = np.zeros((len(labels), num_classes), dtype=np.float32)
    encoded[np.arange(len(labels)), labels - 1] = 1.0
    return encoded"""),
    wrong_answer("ex00-one-hot-solution", "every-row-gets-every-label", """\
def one_hot(labels, num_classes):
    encoded = np.zeros((len(labels), num_classes), dtype=np.float32)
    encoded[:, labels] = 1.0
    return encoded"""),
    # Exercise 3: softmax regression, evaluated by the check on held-out images
    wrong_answer("ex00-softmax-regression-solution", "untrained", """\
def train_softmax_regression(images, labels, epochs):
    model = keras.Sequential([keras.Input(shape=images.shape[1:]), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    return model"""),
    wrong_answer("ex00-softmax-regression-solution", "ignores-epochs", """\
def train_softmax_regression(images, labels, epochs):
    model = keras.Sequential([keras.Input(shape=images.shape[1:]), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=5, verbose=0)
    return model"""),
    wrong_answer("ex00-softmax-regression-solution", "hidden-layer-mlp", """\
def train_softmax_regression(images, labels, epochs):
    model = keras.Sequential([keras.Input(shape=images.shape[1:]), keras.layers.Flatten(),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=epochs, verbose=0)
    return model"""),
    wrong_answer("ex00-softmax-regression-solution", "logits-not-probabilities", """\
def train_softmax_regression(images, labels, epochs):
    model = keras.Sequential([keras.Input(shape=images.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, labels, epochs=epochs, verbose=0)
    return model"""),
    wrong_answer("ex00-softmax-regression-solution", "dense-on-rows-without-flatten", """\
def train_softmax_regression(images, labels, epochs):
    model = keras.Sequential([keras.Input(shape=images.shape[1:]), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    return model"""),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)

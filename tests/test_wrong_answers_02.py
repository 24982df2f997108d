"""Chapter 02's exercise checks reject plausible wrong answers (checklist item 6)."""

import pytest
from exercise_mutations import assert_blanks_rejected, assert_rejected, wrong_answer

CHAPTER = "02_mnist_mlp"

_DROPOUT_FIT = (
    'dropout_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
    "dropout_model.fit(x_train, y_train_onehot, batch_size=128, epochs=EPOCHS, validation_split=0.1, verbose=0)\n"
    "acc_dropout = dropout_model.evaluate(x_test, y_test_onehot, verbose=0)[1]\n"
)


def _dropout_answer(layers: str, fit: str = _DROPOUT_FIT) -> str:
    return ("utils.seed_everything(42)\n"
            f"dropout_model = keras.Sequential([\n    keras.Input(shape=(28, 28)),\n{layers}])\n{fit}")


WRONG = [
    # Exercise 1: tempered class weights w_c = s (N / (K N_c)) ** p, mean weight per example 1
    wrong_answer("ex02-weights-solution", "not-normalized",
                 "def tempered_weights(y, n_classes, p):\n"
                 "    counts = np.bincount(y, minlength=n_classes)\n"
                 "    return {c: (len(y) / (n_classes * counts[c])) ** p for c in range(n_classes)}"),
    wrong_answer("ex02-weights-solution", "mean-over-classes",
                 "def tempered_weights(y, n_classes, p):\n"
                 "    counts = np.bincount(y, minlength=n_classes)\n"
                 "    raw = (len(y) / (n_classes * counts)) ** p\n"
                 "    raw = raw / raw.mean()\n"
                 "    return {c: float(raw[c]) for c in range(n_classes)}"),
    wrong_answer("ex02-weights-solution", "counts-not-inverse",
                 "def tempered_weights(y, n_classes, p):\n"
                 "    counts = np.bincount(y, minlength=n_classes)\n"
                 "    raw = (counts / len(y)) ** p\n"
                 "    raw = raw * len(y) / np.sum(counts * raw)\n"
                 "    return {c: float(raw[c]) for c in range(n_classes)}"),
    # Exercise 2: per-class recall and the hardest digit
    wrong_answer("ex02-recall-solution", "precision-instead",
                 "def per_class_recall(y_true, y_pred, n_classes):\n"
                 "    return np.array([np.mean(y_true[y_pred == c] == c) for c in range(n_classes)])\n\n"
                 "hardest_digit = int(np.argmin(per_class_recall(y_test, pred_improved, 10)))"),
    wrong_answer("ex02-recall-solution", "share-of-predictions",
                 "def per_class_recall(y_true, y_pred, n_classes):\n"
                 "    return np.array([np.mean(y_pred == c) for c in range(n_classes)])\n\n"
                 "hardest_digit = int(np.argmin(per_class_recall(y_test, pred_improved, 10)))"),
    wrong_answer("ex02-recall-solution", "argmax-hardest",
                 "def per_class_recall(y_true, y_pred, n_classes):\n"
                 "    return np.array([np.mean(y_pred[y_true == c] == c) for c in range(n_classes)])\n\n"
                 "hardest_digit = int(np.argmax(per_class_recall(y_test, pred_improved, 10)))"),
    wrong_answer("ex02-recall-solution", "uses-scikit-learn",
                 "def per_class_recall(y_true, y_pred, n_classes):\n"
                 "    return recall_score(y_true, y_pred, labels=list(range(n_classes)), average=None)\n\n"
                 "hardest_digit = int(np.argmin(per_class_recall(y_test, pred_improved, 10)))"),
    wrong_answer("ex02-recall-solution", "uses-sklearn-module",
                 "import sklearn.metrics\n\n"
                 "def per_class_recall(y_true, y_pred, n_classes):\n"
                 "    cm = sklearn.metrics.confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))\n"
                 "    return cm.diagonal() / cm.sum(axis=1)\n\n"
                 "hardest_digit = int(np.argmin(per_class_recall(y_test, pred_improved, 10)))"),
    # Exercise 3: Dropout(0.2) after the hidden layer, trained, its own test accuracy
    wrong_answer("ex02-dropout-solution", "dropout-before-hidden", _dropout_answer(
        "    keras.layers.Flatten(),\n    keras.layers.Dropout(0.2),\n"
        '    keras.layers.Dense(64, activation="relu"),\n    keras.layers.Dense(10, activation="softmax"),\n')),
    wrong_answer("ex02-dropout-solution", "dropout-after-output", _dropout_answer(
        '    keras.layers.Flatten(),\n    keras.layers.Dense(64, activation="relu"),\n'
        '    keras.layers.Dense(10, activation="softmax"),\n    keras.layers.Dropout(0.2),\n')),
    wrong_answer("ex02-dropout-solution", "untrained-reports-article-accuracy", _dropout_answer(
        '    keras.layers.Flatten(),\n    keras.layers.Dense(64, activation="relu"),\n'
        '    keras.layers.Dropout(0.2),\n    keras.layers.Dense(10, activation="softmax"),\n',
        fit='dropout_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            "acc_dropout = acc_article\n")),
    wrong_answer("ex02-dropout-solution", "untrained", _dropout_answer(
        '    keras.layers.Flatten(),\n    keras.layers.Dense(64, activation="relu"),\n'
        '    keras.layers.Dropout(0.2),\n    keras.layers.Dense(10, activation="softmax"),\n',
        fit='dropout_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])\n'
            "acc_dropout = dropout_model.evaluate(x_test, y_test_onehot, verbose=0)[1]\n")),
]


@pytest.mark.parametrize("wrong", WRONG, ids=lambda w: f"{w.grade_id}:{w.name}")
def test_wrong_answer(wrong):
    assert_rejected(CHAPTER, WRONG, wrong)


def test_learners_blank_fails_every_check():
    assert_blanks_rejected(CHAPTER, WRONG)

"""utils.text: the Python tokenizer agrees with TextVectorization, and the standardizer survives save/load."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import utils
from utils.text import HeadAndTail, review_words, standardize_review

REVIEWS = [
    "A GREAT movie!<br /><br />Loved it... 10/10",
    "Don't watch: boring, slow & (very) long.",
    "Café Öl naïve İstanbul — K\tand\nnewline",
    "",
    "<br />",
    "It's 'great' 7/10 -- isn't it?",
]


def test_review_words_matches_text_vectorization():
    vectorizer = keras.layers.TextVectorization(standardize=standardize_review, output_mode="int")
    vectorizer.adapt(np.array(REVIEWS, dtype=object))
    vocabulary = vectorizer.get_vocabulary()
    ids = np.asarray(vectorizer(np.array(REVIEWS, dtype=object)))
    for review, row in zip(REVIEWS, ids, strict=True):
        assert [vocabulary[i] for i in row if i != 0] == review_words(review), review


def test_review_words_rejects_a_non_string():
    with pytest.raises(utils.ArgumentError, match="one review as a str"):
        review_words(["a", "list"])


def test_a_model_with_the_standardizer_reloads_in_a_fresh_process(tmp_path):
    vectorizer = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=6,
                                                standardize=standardize_review)
    vectorizer.adapt(np.array(REVIEWS, dtype=object))
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vectorizer])
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    import tensorflow as tf

    batch = tf.constant([[r] for r in REVIEWS])
    expected = np.asarray(model(batch))
    np.testing.assert_array_equal(expected, np.asarray(reloaded(batch)))
    np.save(tmp_path / "expected.npy", expected)
    # A new process that imports only utils.text (not the notebook's code) must be able to load the model.
    script = textwrap.dedent(f"""
        import numpy as np, keras, tensorflow as tf
        import utils.text  # registers standardize_review
        model = keras.saving.load_model({str(tmp_path / "m.keras")!r})
        got = np.asarray(model(tf.constant({[[r] for r in REVIEWS]!r})))
        np.testing.assert_array_equal(got, np.load({str(tmp_path / "expected.npy")!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def head_and_tail_reference(rows, length, head):
    out = np.zeros((len(rows), length), dtype="int64")
    for i, row in enumerate(rows):
        kept = row if len(row) <= length else row[:head] + row[len(row) - (length - head):]
        out[i, :len(kept)] = kept
    return out


@pytest.mark.parametrize("length, head", [(6, 3), (6, 0), (6, 6), (5, 2), (1, 0)])
def test_head_and_tail_keeps_the_first_head_and_the_last_ids(length, head):
    rows = [list(range(1, n + 1)) for n in (0, 1, 4, 5, 6, 7, 12)]
    width = max(map(len, rows))
    padded = np.array([r + [0] * (width - len(r)) for r in rows], dtype="int64")
    got = keras.ops.convert_to_numpy(HeadAndTail(length, head)(padded))
    np.testing.assert_array_equal(got, head_and_tail_reference(rows, length, head))
    narrow = padded[:3, :4]  # a batch padded to less than `length` comes back padded to `length`
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(HeadAndTail(length, head)(narrow)),
                                  head_and_tail_reference(rows[:3], length, head))


def test_head_and_tail_example():
    ids = np.array([[5, 6, 7, 8, 9, 10, 11], [5, 6, 0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(HeadAndTail(4, 2)(ids)),
                                  [[5, 6, 10, 11], [5, 6, 0, 0]])


@pytest.mark.parametrize("length, head, message", [
    (0, 0, "length >= 1"), (4, 5, "head <= length"), (4, -1, "0 <= head"), (4.0, 2, "must be an int"),
    (4, True, "must be an int"),
])
def test_head_and_tail_rejects_bad_sizes_in_one_line(length, head, message):
    with pytest.raises(utils.ArgumentError, match=message):
        HeadAndTail(length, head)


def test_a_string_model_with_head_and_tail_saves_and_reloads(tmp_path):
    vectorizer = keras.layers.TextVectorization(max_tokens=50, standardize=standardize_review)
    vectorizer.adapt(np.array(REVIEWS, dtype=object))
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vectorizer, HeadAndTail(4, 2)])
    model.save(tmp_path / "m.keras")
    import tensorflow as tf

    batch = tf.constant([[r] for r in REVIEWS])
    got = np.asarray(keras.saving.load_model(tmp_path / "m.keras")(batch))
    assert got.shape == (len(REVIEWS), 4)
    np.testing.assert_array_equal(got, np.asarray(model(batch)))
    rows = [[i for i in row if i != 0] for row in np.asarray(vectorizer(batch))]
    np.testing.assert_array_equal(got, head_and_tail_reference(rows, 4, 2))

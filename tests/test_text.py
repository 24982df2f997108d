"""utils.text: the Python tokenizer agrees with TextVectorization, and the standardizer survives save/load."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import utils
from utils.text import review_words, standardize_review

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

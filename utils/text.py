"""Text preprocessing shared by the text chapters, kept here so that saved models reload anywhere.

A ``TextVectorization`` layer saved inside a model stores its ``standardize`` callable by name. A function
defined in a notebook only reloads in a process that defined it again; this one reloads wherever ``utils.text``
is imported (``keras.saving.load_model`` needs ``import utils.text`` first, which ``import utils`` does not do,
because importing ``utils`` must not import TensorFlow).
"""

from __future__ import annotations

import re

import keras

from .errors import ArgumentError

# IMDB reviews keep the site's HTML line breaks; punctuation other than the apostrophe carries little signal
# for a bag of words and would split "great!" from "great".
_LINE_BREAK = "<br />"
_NOT_WORD = r"[^a-z0-9' ]"
_NOT_WORD_PATTERN = re.compile(_NOT_WORD)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # as tf.strings.lower


@keras.saving.register_keras_serializable(package="course")
def standardize_review(texts):
    """Lower-case, turn ``<br />`` into a space, and replace every character but a-z, 0-9 and ' by a space.

    Works on a tf.string tensor (inside ``TextVectorization``); TensorFlow does the string work, whichever
    Keras backend runs the model.
    """
    import tensorflow as tf

    texts = tf.strings.lower(texts)
    texts = tf.strings.regex_replace(texts, _LINE_BREAK, " ")
    return tf.strings.regex_replace(texts, _NOT_WORD, " ")


def review_words(text: str) -> list[str]:
    """The tokens ``TextVectorization(standardize=standardize_review)`` makes of ``text``, in pure Python.

    For counting words and review lengths without building TensorFlow tensors; a unit test keeps the two equal.
    """
    if not isinstance(text, str):
        raise ArgumentError(f"review_words expects one review as a str, got {type(text).__name__}")
    return _NOT_WORD_PATTERN.sub(" ", text.translate(_ASCII_LOWER).replace(_LINE_BREAK, " ")).split()

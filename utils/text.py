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


@keras.saving.register_keras_serializable(package="course")
class HeadAndTail(keras.layers.Layer):
    """Cut padded token ids to ``length``: the first ``head`` ids and the last ``length - head`` of each row.

    A long review often states its verdict at the end, which cutting at the front (keeping the first ``length``
    ids) throws away. Rows are id sequences padded with 0 at the end, as ``TextVectorization`` makes them (any
    width, e.g. padded to the longest row of the batch). A row of at most ``length`` ids is kept whole, padded
    with 0; the output stays right-padded, so masking and the cuDNN LSTM kernel work as before. ``keras.ops``
    only: runs on every backend.
    """

    def __init__(self, length: int, head: int, **kwargs):
        for name, value in (("length", length), ("head", head)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ArgumentError(f"HeadAndTail: {name} must be an int, got {value!r}")
        if length < 1 or not 0 <= head <= length:
            raise ArgumentError(f"HeadAndTail: need length >= 1 and 0 <= head <= length, got length={length}, "
                                f"head={head}")
        super().__init__(**kwargs)
        self.length, self.head = length, head

    def call(self, ids):
        ops = keras.ops
        width = ops.shape(ids)[1]
        real = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1, keepdims=True)  # ids per row
        position = ops.expand_dims(ops.arange(self.length, dtype="int32"), 0)
        tail_start = ops.maximum(real - (self.length - self.head), self.head)  # = head when the row fits whole
        index = ops.where(position < self.head, position, tail_start + position - self.head)
        kept = ops.take_along_axis(ids, ops.minimum(index, width - 1), axis=1)
        return ops.where(index < real, kept, ops.zeros_like(kept))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length)

    def get_config(self):
        return {**super().get_config(), "length": self.length, "head": self.head}

"""Errors the course raises on purpose, and a way to show them as one line.

A learner who hits a missing dataset or a typo in ``COURSE_MODE`` should read one sentence that says what
is wrong and how to fix it, not a traceback from deep inside Keras.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class CourseError(Exception):
    """An expected problem with the learner's setup; its message says what is wrong and how to fix it."""


class ModeError(CourseError, ValueError):
    """``COURSE_MODE`` holds a value the course does not know."""


class DatasetError(CourseError):
    """A dataset is missing, corrupted, or cannot be downloaded."""


class BackendError(CourseError):
    """The chapter needs a Keras backend other than the active one (``KERAS_BACKEND``)."""


class ArgumentError(CourseError, ValueError):
    """A utils function was called with an argument it cannot use."""


# Other exception types a module asked to show as one line (see show_as_one_line), with how to describe them.
_DESCRIBERS: dict[type[BaseException], Callable[[BaseException], str | None]] = {}


def _describe(value: BaseException) -> str | None:
    if isinstance(value, CourseError):
        return f"{type(value).__name__}: {value}"
    for etype, describe in _DESCRIBERS.items():
        if isinstance(value, etype):
            return describe(value)
    return None


def _one_line(shell, etype, value, tb, tb_offset=None):
    # IPython ignores what this hook returns; _showtraceback is what publishes an "error" output (with ename and
    # evalue, as for any exception) whose traceback is this single line.
    text = _describe(value)
    if text is None:  # an exception of a registered type that its describer does not know: the usual traceback
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return None
    try:
        shell._showtraceback(etype, value, [text])
    except AttributeError:  # a shell without the private hook: still say it in one line
        print(text, file=sys.stderr)
    return [text]


def show_course_errors_as_one_line() -> bool:
    """In IPython/Jupyter, display :class:`CourseError` as a single line instead of a traceback.

    The cell still fails (so nbval and "Run All" stop there); only the display is shortened.
    Returns True when a running IPython shell was found.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((CourseError, *_DESCRIBERS), _one_line)
    return True


def show_as_one_line(etype: type[BaseException], describe: Callable[[BaseException], str | None]) -> bool:
    """Also display ``etype`` exceptions as the one line ``describe(exc)`` returns (``None``: the usual traceback).

    For a library's exception whose message the course can explain, e.g. a TensorFlow op with no deterministic
    kernel. The cell still fails. Returns True when a running IPython shell was found.
    """
    _DESCRIBERS[etype] = describe
    return show_course_errors_as_one_line()


def main_with_one_line_errors(main) -> None:
    """Run a command-line entry point; a :class:`CourseError` exits 1 with its one-line message."""
    try:
        code = main()
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(code or 0)

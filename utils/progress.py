"""Training progress a learner can watch live, that leaves at most one short line per epoch in the notebook.

Keras' own progress bar (``verbose=1``) rewrites a line with carriage returns; a saved notebook keeps every
rewrite, so a 20-minute fit leaves thousands of lines. Here the live line (epoch, step, loss, ETA) is a single
Jupyter display that is updated in place and, when training ends, replaced by a one-line summary; each finished
epoch prints one permanent line. Outside Jupyter the live line is skipped.

    model.fit(x, y, epochs=10, verbose=0, callbacks=[utils.keras_progress()])

    progress = utils.ProgressLine(epochs=10, steps=len(batches), label="NumPy MLP")
    for epoch in range(10):
        for step, batch in enumerate(batches):
            ...
            progress.update(step + 1, {"loss": loss})
        progress.end_epoch({"loss": epoch_loss})
    progress.close()
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from .errors import ArgumentError


def _format_logs(logs: Mapping | None) -> str:
    parts = []
    for key, value in (logs or {}).items():
        if key == "learning_rate":
            continue
        try:
            parts.append(f"{key} {float(value):.4g}")
        except (TypeError, ValueError):
            continue
    return "  ".join(parts)


def _format_seconds(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class ProgressLine:
    """Live progress for any training loop; ``every`` prints only every n-th epoch line (and the last)."""

    def __init__(self, epochs: int, steps: int | None = None, label: str = "", every: int = 1,
                 min_interval: float = 0.5):
        if not isinstance(epochs, int) or epochs < 1:
            raise ArgumentError(f"epochs must be a positive int, got {epochs!r}")
        if not isinstance(every, int) or every < 1:
            raise ArgumentError(f"every must be a positive int, got {every!r}")
        self.epochs, self.steps, self.label, self.every = epochs, steps, label, every
        self.min_interval = min_interval
        self.epoch = 0
        self.start = self.epoch_start = time.perf_counter()
        self._last_draw = 0.0
        self._handle = None
        self._closed = False
        try:
            from IPython import get_ipython
            from IPython.display import Pretty, display

            if get_ipython() is not None and getattr(get_ipython(), "kernel", None) is not None:
                self._handle = display(Pretty(self._prefix() + "starting"), display_id=True)
                self._pretty = Pretty
        except ImportError:
            self._handle = None

    def _prefix(self) -> str:
        return f"{self.label}: " if self.label else ""

    def _draw(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update(self._pretty(text))

    def update(self, step: int, logs: Mapping | None = None) -> None:
        """Redraw the live line (at most every ``min_interval`` seconds): epoch, step, metrics, ETA."""
        now = time.perf_counter()
        if self._handle is None or now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        done_steps = self.epoch * (self.steps or 0) + step
        total_steps = self.epochs * (self.steps or 0)
        eta = ""
        if self.steps and done_steps:
            eta = f"  ETA {_format_seconds((now - self.start) / done_steps * (total_steps - done_steps))}"
        of_steps = f"/{self.steps}" if self.steps else ""
        self._draw(f"{self._prefix()}epoch {self.epoch + 1}/{self.epochs}  step {step}{of_steps}  "
                   f"{_format_logs(logs)}{eta}")

    def end_epoch(self, logs: Mapping | None = None) -> None:
        """Print the epoch's one permanent line (unless skipped by ``every``) and start the next epoch."""
        now = time.perf_counter()
        self.epoch += 1
        if self.epoch % self.every == 0 or self.epoch == self.epochs:
            print(f"{self._prefix()}epoch {self.epoch}/{self.epochs}  {_format_logs(logs)}  "
                  f"({_format_seconds(now - self.epoch_start)})", flush=True)
        self.epoch_start = now
        if self.steps:
            left = (now - self.start) / self.epoch * (self.epochs - self.epoch)
            self._draw(f"{self._prefix()}epoch {self.epoch}/{self.epochs} done  ETA {_format_seconds(left)}")

    def close(self, stopped_early: bool = False) -> None:
        """Replace the live line by a one-line summary."""
        if self._closed:
            return
        self._closed = True
        note = " (stopped early)" if stopped_early else ""
        self._draw(f"{self._prefix()}{self.epoch} epoch(s) in {_format_seconds(time.perf_counter() - self.start)}"
                   f"{note}")


def keras_progress(label: str = "", every: int = 1, *, callback_base=None):
    """A ``keras.callbacks.Callback`` that drives a :class:`ProgressLine`; use it with ``verbose=0``.

    ``callback_base`` is the Callback class to derive from: Keras 3's by default. Legacy Keras's ``fit`` (tf_keras,
    chapter 07) only accepts its own callbacks, so pass ``tf_keras.callbacks.Callback`` there.
    """
    if callback_base is None:
        import keras

        callback_base = keras.callbacks.Callback

    class KerasProgress(callback_base):
        def on_train_begin(self, logs=None):
            self.line = ProgressLine(int(self.params.get("epochs") or 1), self.params.get("steps"), label, every)

        def on_epoch_begin(self, epoch, logs=None):
            self.line.epoch = epoch  # fit(initial_epoch=...) starts later than 0

        def on_train_batch_end(self, batch, logs=None):
            self.line.update(batch + 1, logs)

        def on_epoch_end(self, epoch, logs=None):
            self.line.end_epoch(logs)

        def on_train_end(self, logs=None):
            self.line.close(stopped_early=self.line.epoch < self.line.epochs)

    return KerasProgress()

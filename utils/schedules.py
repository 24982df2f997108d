"""Learning-rate schedules the chapters share, as Keras ``LearningRateSchedule`` objects (backend-agnostic).

Importing this module imports Keras (the ``utils`` package itself does not). The schedule classes are registered
with Keras, so a model saved with one of them in its optimizer loads again without ``custom_objects``.
"""

from __future__ import annotations

import keras

from .errors import ArgumentError


@keras.saving.register_keras_serializable(package="course")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from ``start`` to ``peak`` over ``warmup_fraction`` of the steps, then linear decay to ``end``.

    This is the piecewise-linear "one-cycle" shape used by fast CIFAR-10 recipes (Page's ResNet-9, airbench).
    After ``total_steps`` the rate stays at ``end``.
    """

    def __init__(self, peak: float, total_steps: int, warmup_fraction: float = 0.2, start: float = 0.0,
                 end: float = 0.0):
        if not peak > 0:
            raise ArgumentError(f"peak learning rate must be positive, got {peak!r}")
        if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 2:
            raise ArgumentError(f"total_steps must be an int >= 2, got {total_steps!r}")
        if not 0 < warmup_fraction < 1:
            raise ArgumentError(f"warmup_fraction must be between 0 and 1, got {warmup_fraction!r}")
        self.peak, self.total_steps, self.warmup_fraction = float(peak), total_steps, float(warmup_fraction)
        self.start, self.end = float(start), float(end)
        self.warmup_steps = max(1.0, self.warmup_fraction * total_steps)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32")
        up = self.start + (self.peak - self.start) * step / self.warmup_steps
        frac = (step - self.warmup_steps) / max(1.0, self.total_steps - self.warmup_steps)
        down = self.peak + (self.end - self.peak) * ops.minimum(frac, 1.0)
        return ops.where(step < self.warmup_steps, up, down)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_fraction": self.warmup_fraction,
                "start": self.start, "end": self.end}


def one_cycle(peak: float, total_steps: int, warmup_fraction: float = 0.2, start: float = 0.0,
              end: float = 0.0) -> OneCycle:
    """A :class:`OneCycle` schedule: ``optimizer = keras.optimizers.SGD(learning_rate=one_cycle(0.4, steps))``."""
    return OneCycle(peak, total_steps, warmup_fraction, start, end)

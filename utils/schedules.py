"""Learning-rate schedules the chapters share, as Keras ``LearningRateSchedule`` objects (backend-agnostic)."""

from __future__ import annotations

from .errors import ArgumentError


def one_cycle(peak: float, total_steps: int, warmup_fraction: float = 0.2, start: float = 0.0,
              end: float = 0.0):
    """Linear warm-up from ``start`` to ``peak`` over ``warmup_fraction`` of the steps, then linear decay to ``end``.

    This is the piecewise-linear "one-cycle" shape used by fast CIFAR-10 recipes (Page's ResNet-9, airbench).
    """
    import keras

    if not peak > 0:
        raise ArgumentError(f"peak learning rate must be positive, got {peak!r}")
    if not isinstance(total_steps, int) or total_steps < 2:
        raise ArgumentError(f"total_steps must be an int >= 2, got {total_steps!r}")
    if not 0 < warmup_fraction < 1:
        raise ArgumentError(f"warmup_fraction must be between 0 and 1, got {warmup_fraction!r}")

    class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak, total_steps, warmup_fraction, start, end):
            self.peak, self.total_steps, self.warmup_fraction = peak, total_steps, warmup_fraction
            self.start, self.end = start, end
            self.warmup_steps = max(1.0, warmup_fraction * total_steps)

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

    return OneCycle(float(peak), total_steps, float(warmup_fraction), float(start), float(end))

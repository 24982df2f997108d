"""Int8 quantization arithmetic and LiteRT measurements for chapter 07 (quantization-aware training).

The arithmetic is TensorFlow Lite's affine scheme, in NumPy::

    q = clip(round(x / scale) + zero_point, qmin, qmax)        x_hat = scale * (q - zero_point)

with ``scale`` one number per tensor or one per channel. The LiteRT helpers run a ``.tflite`` model through
``ai_edge_litert.interpreter`` (not ``tf.lite.Interpreter``): accuracy over a whole test set, and the median
latency of one image, with the kernels and the thread count named in the result.

Legacy Keras. ``tensorflow_model_optimization`` sets ``TF_USE_LEGACY_KERAS=1`` in ``os.environ`` when it is
imported (``tensorflow_model_optimization/python/core/keras/compat.py``), and every process started afterwards
inherits it. So this module imports neither tfmot nor TensorFlow; it works on model bytes and NumPy arrays.
:func:`run_without_legacy_keras` runs a Keras 3 script in a child process whose environment does not have it.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ArgumentError, CourseError

INT8_MIN, INT8_MAX = -128, 127
LEGACY_KERAS_VARIABLE = "TF_USE_LEGACY_KERAS"

# --------------------------------------------------------------------------- arithmetic


def _check_range(qmin: int, qmax: int) -> None:
    if not (isinstance(qmin, (int, np.integer)) and isinstance(qmax, (int, np.integer)) and qmin < qmax):
        raise ArgumentError(f"qmin and qmax must be integers with qmin < qmax, got qmin={qmin!r}, qmax={qmax!r}")


def affine_qparams(x_min: float, x_max: float, qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[float, int]:
    """Scale and zero point that map ``[x_min, x_max]`` onto the integers ``qmin..qmax`` (TFLite's rule).

    The range is first widened to contain 0, so that 0.0 (padding, ReLU's zeros) is represented exactly by the
    integer ``zero_point``. A range of width 0 gets scale 1.
    """
    _check_range(qmin, qmax)
    if not (np.isfinite(x_min) and np.isfinite(x_max)) or x_min > x_max:
        raise ArgumentError(f"need finite x_min <= x_max, got x_min={x_min!r}, x_max={x_max!r}")
    lo, hi = min(float(x_min), 0.0), max(float(x_max), 0.0)
    scale = (hi - lo) / (qmax - qmin) if hi > lo else 1.0
    zero_point = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    return scale, zero_point


def symmetric_scales(w, axis: int | None = None, qmax: int = INT8_MAX) -> np.ndarray:
    """Scale(s) of symmetric quantization (zero point 0): ``max|w| / qmax``, for the whole tensor
    (``axis=None``, a 0-d array) or one per index of ``axis`` (per-channel: ``axis=-1`` for a Keras kernel)."""
    w = np.asarray(w, dtype=np.float64)
    if axis is None:
        amax = np.abs(w).max()
    else:
        if not -w.ndim <= axis < w.ndim:
            raise ArgumentError(f"axis {axis} is out of range for a tensor of shape {w.shape}")
        others = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
        amax = np.abs(w).max(axis=others)
    return np.where(amax > 0, amax / qmax, 1.0)


def _broadcast(param, x: np.ndarray, axis: int | None) -> np.ndarray:
    param = np.asarray(param, dtype=np.float64)
    if param.ndim == 0:
        return param
    if axis is None:
        raise ArgumentError(f"{param.size} per-channel parameters need the axis they belong to (axis=...)")
    axis = axis % x.ndim
    if param.shape != (x.shape[axis],):
        raise ArgumentError(f"{param.size} parameters do not match axis {axis} of a tensor of shape {x.shape}")
    shape = [1] * x.ndim
    shape[axis] = -1
    return param.reshape(shape)


def quantize(x, scale, zero_point=0, *, axis: int | None = None, qmin: int = INT8_MIN,
             qmax: int = INT8_MAX) -> np.ndarray:
    """``clip(round(x / scale) + zero_point, qmin, qmax)`` as int8 (or int32 when the range needs it).

    Rounds half to even, as NumPy does; TFLite's kernels round half away from zero, which differs only for
    values exactly halfway between two steps.
    """
    _check_range(qmin, qmax)
    x = np.asarray(x, dtype=np.float64)
    s, z = _broadcast(scale, x, axis), _broadcast(zero_point, x, axis)
    if np.any(s <= 0):
        raise ArgumentError("scale must be positive")
    q = np.clip(np.round(x / s) + z, qmin, qmax)
    dtype = np.int8 if (qmin >= INT8_MIN and qmax <= INT8_MAX) else np.int32
    return q.astype(dtype)


def dequantize(q, scale, zero_point=0, *, axis: int | None = None) -> np.ndarray:
    """``scale * (q - zero_point)`` in float32."""
    q = np.asarray(q)
    s, z = _broadcast(scale, q, axis), _broadcast(zero_point, q, axis)
    return (s * (q.astype(np.float64) - z)).astype(np.float32)


def fake_quantize(x, scale, zero_point=0, *, axis: int | None = None, qmin: int = INT8_MIN,
                  qmax: int = INT8_MAX) -> np.ndarray:
    """Quantize then dequantize: the float value an int8 model really computes with (what a fake-quant node
    outputs during quantization-aware training)."""
    return dequantize(quantize(x, scale, zero_point, axis=axis, qmin=qmin, qmax=qmax), scale, zero_point,
                      axis=axis)


# --------------------------------------------------------------------------- sizes


def model_bytes(model) -> bytes:
    """The bytes of a model given as bytes or as a path to a ``.tflite`` file."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise ArgumentError(f"no model file at {path}: convert and save the model first")
        return path.read_bytes()
    raise ArgumentError(f"expected a .tflite model as bytes or a path, got {type(model).__name__}")


def gzip_size(model, level: int = 9) -> int:
    """Bytes after gzip compression: what a download or an app bundle would carry. Zeros (pruned weights)
    compress; their place in the uncompressed file does not shrink."""
    return len(gzip.compress(model_bytes(model), compresslevel=level, mtime=0))


def sparsity(arrays: Iterable) -> float:
    """Fraction of exact zeros over all the given arrays together."""
    arrays = [np.asarray(a) for a in arrays]
    total = sum(a.size for a in arrays)
    if total == 0:
        raise ArgumentError("sparsity needs at least one non-empty array")
    return sum(int(np.count_nonzero(a == 0)) for a in arrays) / total


# --------------------------------------------------------------------------- converter and LiteRT log lines

# What the TFLite converter and the LiteRT runtime write to file descriptor 2 on every healthy conversion and
# on the first interpreter; nothing a learner can act on. Any other line passes.
_LITERT_NOISE_LINES = re.compile(
    r"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    r"|fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+"
)
_ABSL_LINE = re.compile(r"(?P<level>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.+-]+:\d+\] (?P<message>.*)")
_LITERT_NOISE_MESSAGES = re.compile(
    r"Ignored output_format\.|Ignored drop_control_dependency\."
    r"|Skipping runtime version metadata in the model\. This will be generated by the exporter\."
)


def is_litert_noise(line: str) -> bool:
    """True for a log line the TFLite converter or LiteRT writes on every healthy run (see the module doc)."""
    line = line.rstrip("\r\n")
    if _LITERT_NOISE_LINES.fullmatch(line):
        return True
    match = _ABSL_LINE.fullmatch(line)
    return bool(match and match["level"] in "IW" and _LITERT_NOISE_MESSAGES.fullmatch(match["message"]))


@contextmanager
def quiet_litert():
    """Run a conversion or a LiteRT interpreter without its routine log lines (file descriptor 2, where C++
    writes them); every other line is printed after the block. ``TF_CPP_MIN_LOG_LEVEL=0`` turns this off.

    Also silences the converter's Python warning "Statistics for quantized inputs were expected, but not
    specified", a TF1 leftover about ``quantized_input_stats`` that the TF2 converter does not use, and the INFO
    records of the ``tensorflow`` logger ("Assets written to: /tmp/..." for the converter's temporary SavedModel).
    """
    from .runmode import is_native_noise, nvidia_driver_present

    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() == "0" or os.name == "nt":
        yield
        return
    sys.stderr.flush()
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    with tempfile.TemporaryFile() as captured, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        tf_logger.setLevel(max(level, logging.WARNING))
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tf_logger.setLevel(level)
            captured.seek(0)
            driver = nvidia_driver_present()
            for line in captured.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not is_litert_noise(line) and not is_native_noise(line, nvidia_driver=driver):
                    print(line, file=sys.stderr)


# --------------------------------------------------------------------------- LiteRT

KERNELS = {
    # name: (OpResolverType member, what it means)
    "xnnpack": ("AUTO", "built-in op resolver with the default XNNPACK delegate (LiteRT's default on CPU)"),
    "builtin": ("BUILTIN_WITHOUT_DEFAULT_DELEGATES", "built-in optimized kernels, no delegate"),
    "reference": ("BUILTIN_REF", "reference kernels (slow, for checking)"),
}


def interpreter(model, *, num_threads: int = 1, kernels: str = "xnnpack", preserve_all_tensors: bool = False):
    """An ``ai_edge_litert`` interpreter for ``model`` (bytes or path), tensors not yet allocated."""
    if kernels not in KERNELS:
        raise ArgumentError(f"kernels must be one of {sorted(KERNELS)}, got {kernels!r}")
    if not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1:
        raise ArgumentError(f"num_threads must be a positive int, got {num_threads!r}")
    from ai_edge_litert import interpreter as litert

    resolver = getattr(litert.OpResolverType, KERNELS[kernels][0])
    content = model_bytes(model)
    with quiet_litert():
        return litert.Interpreter(model_content=content, num_threads=num_threads,
                                  experimental_op_resolver_type=resolver,
                                  experimental_preserve_all_tensors=preserve_all_tensors)


def convert(converter) -> bytes:
    """``converter.convert()`` (a ``tf.lite.TFLiteConverter``) without its routine log lines."""
    with quiet_litert():
        return converter.convert()


def _to_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """Float images to what the input tensor takes: unchanged for float32, quantized for int8/uint8 inputs."""
    dtype = np.dtype(detail["dtype"])
    if dtype == np.float32:
        return np.asarray(x, dtype=np.float32)
    scale, zero_point = detail["quantization"]
    if scale == 0:
        raise ArgumentError(f"the model's {dtype} input has no quantization parameters")
    info = np.iinfo(dtype)
    return quantize(x, scale, zero_point, qmin=int(info.min), qmax=int(info.max)).astype(dtype)


def _from_output(y: np.ndarray, detail: dict) -> np.ndarray:
    if np.dtype(detail["dtype"]) == np.float32:
        return y
    scale, zero_point = detail["quantization"]
    return dequantize(y, scale, zero_point)


def predict(model, x, *, batch_size: int = 250, num_threads: int = 1, kernels: str = "xnnpack") -> np.ndarray:
    """Outputs of a single-input, single-output model for all of ``x`` (float), run in batches.

    Int8/uint8 inputs are quantized with the input tensor's own scale and zero point, and int8/uint8 outputs
    dequantized, so every variant is fed and read the same way.
    """
    x = np.asarray(x)
    if x.ndim < 1 or len(x) == 0:
        raise ArgumentError("predict needs a non-empty batch of inputs")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a positive int, got {batch_size!r}")
    interp = interpreter(model, num_threads=num_threads, kernels=kernels)
    index = interp.get_input_details()[0]["index"]
    outputs, shape = [], None
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        if batch.shape != shape:
            interp.resize_tensor_input(index, list(batch.shape))
            with quiet_litert():
                interp.allocate_tensors()
            shape = batch.shape
        interp.set_tensor(index, _to_input(batch, interp.get_input_details()[0]))
        interp.invoke()
        out = interp.get_output_details()[0]
        outputs.append(_from_output(interp.get_tensor(out["index"]), out))
    return np.concatenate(outputs)


def accuracy(model, x, y, **kwargs) -> float:
    """Top-1 accuracy of ``model`` (bytes or path) on every example of ``x``; kwargs go to :func:`predict`."""
    y = np.asarray(y)
    if len(y) != len(x):
        raise ArgumentError(f"x has {len(x)} examples but y has {len(y)} labels")
    return float(np.mean(predict(model, x, **kwargs).argmax(axis=-1) == y))


@dataclass(frozen=True)
class Latency:
    """Latency of one ``invoke()`` on one example: order statistics over ``runs`` timed calls."""

    median_us: float
    p10_us: float
    p90_us: float
    runs: int
    warmup: int
    kernels: str
    num_threads: int

    def __str__(self) -> str:
        return (f"median {self.median_us:.1f} µs (p10 {self.p10_us:.1f}, p90 {self.p90_us:.1f}; {self.runs} calls "
                f"after {self.warmup} warm-up; {self.kernels}, {self.num_threads} thread(s))")


def latency(model, example, *, runs: int = 1000, warmup: int = 100, num_threads: int = 1,
            kernels: str = "xnnpack") -> Latency:
    """Time ``runs`` calls of ``invoke()`` on one example (batch 1), after ``warmup`` untimed calls.

    Only ``invoke()`` is timed (not copying the input in), with ``time.perf_counter_ns``. The median is what a
    single request waits on an otherwise idle machine; p10/p90 show the spread.
    """
    for name, value, least in (("runs", runs, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ArgumentError(f"{name} must be an int >= {least}, got {value!r}")
    interp = interpreter(model, num_threads=num_threads, kernels=kernels)
    detail = interp.get_input_details()[0]
    example = np.asarray(example)
    if tuple(example.shape) != tuple(detail["shape"]):
        raise ArgumentError(f"example has shape {example.shape}; the model takes {tuple(detail['shape'])} "
                            "(one example, with its batch axis)")
    with quiet_litert():
        interp.allocate_tensors()
    interp.set_tensor(detail["index"], _to_input(example, detail))
    for _ in range(warmup):
        interp.invoke()
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter_ns()
        interp.invoke()
        times[i] = time.perf_counter_ns() - start
    p10, median, p90 = np.percentile(times / 1e3, [10, 50, 90])
    return Latency(float(median), float(p10), float(p90), runs, warmup, kernels, num_threads)


def _allocated(model, *, preserve_all_tensors: bool = False):
    interp = interpreter(model, kernels="builtin", preserve_all_tensors=preserve_all_tensors)
    with quiet_litert():
        interp.allocate_tensors()
    return interp


def _ops(interp) -> list[dict]:
    return interp._get_ops_details()  # noqa: SLF001 (no public API lists a model's ops and their tensors)


def constant_tensors(model) -> dict[str, np.ndarray]:
    """The constant tensors of a converted model (weights, biases, shapes) by tensor name, as stored: int8
    weights come back as int8."""
    interp = _allocated(model)
    ops = _ops(interp)
    produced = {i for op in ops for i in op["outputs"]}
    consumed = {i for op in ops for i in op["inputs"]}
    inputs = {d["index"] for d in interp.get_input_details()}
    found = {}
    for t in interp.get_tensor_details():
        if t["index"] in consumed and t["index"] not in produced | inputs:
            name = t["name"] if t["name"] not in found else f"{t['name']}#{t['index']}"
            found[name] = interp.get_tensor(t["index"]).copy()
    return found


def tensor_summary(model) -> dict:
    """What a converted model stores and runs: bytes of its constant tensors by dtype, the input and output
    dtypes, and its ops in execution order, each as ``NAME(input dtypes)``."""
    interp = _allocated(model)
    by_dtype: dict[str, int] = {}
    for value in constant_tensors(model).values():
        by_dtype[value.dtype.name] = by_dtype.get(value.dtype.name, 0) + value.nbytes
    ops = [f"{op['op_name']}({', '.join(np.dtype(t).name for t in op['operand_types'])})" for op in _ops(interp)]
    return {"constant_bytes": by_dtype, "input": np.dtype(interp.get_input_details()[0]["dtype"]).name,
            "output": np.dtype(interp.get_output_details()[0]["dtype"]).name, "ops": ops}


def macs(model) -> int:
    """Multiply-accumulates for one example in the model's CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops,
    from the shapes of their weights and outputs (what the data type of those numbers does not change)."""
    interp = _allocated(model)
    shapes = {t["index"]: tuple(int(d) for d in t["shape"]) for t in interp.get_tensor_details()}
    total = 0
    for op in _ops(interp):
        if op["op_name"] not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        weights, out = shapes[op["inputs"][1]], shapes[op["outputs"][0]]
        positions = np.prod(out[1:-1], dtype=np.int64) if op["op_name"] != "FULLY_CONNECTED" else 1
        total += int(positions * np.prod(weights, dtype=np.int64) * np.prod(out[:1], dtype=np.int64))
    return total // max(1, shapes[interp.get_input_details()[0]["index"]][0])


def op_tensors(model, x, op_name: str, occurrence: int = -1) -> dict:
    """Run ``model`` on the batch ``x`` (float; quantized for an integer input) and return the input and output
    tensors of one op, e.g. the last ``FULLY_CONNECTED``: each as a dict with ``value`` (as the runtime holds
    it, int8 for an int8 op), ``scales``, ``zero_points`` and ``name``. Uses built-in kernels, no delegate."""
    interp = interpreter(model, kernels="builtin", preserve_all_tensors=True)
    detail = interp.get_input_details()[0]
    x = np.asarray(x)
    interp.resize_tensor_input(detail["index"], list(x.shape))
    with quiet_litert():
        interp.allocate_tensors()
    interp.set_tensor(detail["index"], _to_input(x, interp.get_input_details()[0]))
    interp.invoke()
    matching = [op for op in _ops(interp) if op["op_name"] == op_name]
    if not matching:
        raise ArgumentError(f"the model has no {op_name} op; it has {sorted({op['op_name'] for op in _ops(interp)})}")
    if not -len(matching) <= occurrence < len(matching):
        raise ArgumentError(f"occurrence {occurrence} is out of range: the model has {len(matching)} {op_name} ops")
    details = {t["index"]: t for t in interp.get_tensor_details()}

    def tensor(index: int) -> dict:
        q = details[index]["quantization_parameters"]
        return {"name": details[index]["name"], "value": interp.get_tensor(index).copy(),
                "scales": q["scales"].copy(), "zero_points": q["zero_points"].copy()}

    op = matching[occurrence]
    return {"inputs": [tensor(i) for i in op["inputs"] if i >= 0], "output": tensor(op["outputs"][0])}


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), for printing next to a latency."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "unknown CPU"


# --------------------------------------------------------------------------- Keras 3 next to legacy Keras


def legacy_keras_progress(label: str = "", every: int = 1):
    """:func:`utils.keras_progress` for a ``tf_keras`` model (tfmot's wrappers are tf_keras layers), whose ``fit``
    does not take a Keras 3 callback. Use with ``verbose=0``: a live line, and one printed line per epoch."""
    import tf_keras

    from .progress import keras_progress

    return keras_progress(label, every, callback_base=tf_keras.callbacks.Callback)



def environment_without_legacy_keras(environ: dict | None = None) -> dict:
    """A copy of the environment without ``TF_USE_LEGACY_KERAS``: a child process sees ``tf.keras`` as Keras 3."""
    env = dict(os.environ if environ is None else environ)
    env.pop(LEGACY_KERAS_VARIABLE, None)
    return env


def run_without_legacy_keras(script, *args, timeout: float = 300) -> dict:
    """Run ``python script *args`` without ``TF_USE_LEGACY_KERAS`` and return the JSON object the script prints
    as its last line of standard output.

    TensorFlow's known native log noise on the child's standard error is dropped; any other line is printed.
    A script that fails, times out or prints no JSON raises one :class:`~utils.errors.CourseError` line.
    """
    script = Path(script)
    if not script.is_file():
        raise ArgumentError(f"no script at {script}")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
    from .runmode import is_native_noise, nvidia_driver_present

    try:
        done = subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=environment_without_legacy_keras(), check=False)
    except subprocess.TimeoutExpired:
        raise CourseError(f"{script.name} did not finish within {timeout:g} s") from None
    driver = nvidia_driver_present()
    kept = [line for line in done.stderr.splitlines()
            if line.strip() and not is_native_noise(line, nvidia_driver=driver)]
    if done.returncode != 0:
        last = kept[-1] if kept else f"exit status {done.returncode}"
        raise CourseError(f"{script.name} failed: {last}")
    for line in kept:
        print(line, file=sys.stderr)
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise CourseError(f"{script.name} printed no JSON object on its last line of output") from None
    if not isinstance(result, dict):
        raise CourseError(f"{script.name} printed JSON that is not an object")
    return result

"""utils.quantization: int8 arithmetic against TensorFlow's own fake-quant op, LiteRT helpers on a tiny model,
and the legacy-Keras isolation that keeps tf_keras out of every other chapter."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import utils
from utils import quantization as qz

# --------------------------------------------------------------------------- arithmetic


def test_zero_is_exact_and_the_range_maps_to_int8():
    scale, zero_point = qz.affine_qparams(-0.62, 1.7)
    assert scale == pytest.approx((1.7 + 0.62) / 255)
    assert -128 <= zero_point <= 127
    q = qz.quantize([-0.62, 0.0, 1.7], scale, zero_point)
    assert q.dtype == np.int8 and q[0] == -128 and q[2] == 127
    assert qz.dequantize(q[1], scale, zero_point) == 0.0  # 0 is represented exactly


def test_range_is_widened_to_contain_zero():
    scale, zero_point = qz.affine_qparams(0.5, 2.0)  # all positive (e.g. after ReLU)
    assert zero_point == -128 and scale == pytest.approx(2.0 / 255)
    scale, zero_point = qz.affine_qparams(-3.0, -1.0)
    assert zero_point == 127 and scale == pytest.approx(3.0 / 255)
    assert qz.affine_qparams(0.0, 0.0) == (1.0, -128)


def test_round_trip_error_is_at_most_half_a_step_inside_the_range_and_clips_outside():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 3, size=10_000)
    scale, zero_point = qz.affine_qparams(-1, 3)
    err = np.abs(qz.fake_quantize(x, scale, zero_point) - x)
    assert err.max() <= scale / 2 + 1e-6
    assert qz.fake_quantize([10.0], scale, zero_point)[0] == pytest.approx(scale * (127 - zero_point))


def test_fake_quantize_matches_tensorflow_fake_quant():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    x = rng.uniform(-0.9, 2.4, size=5_000).astype(np.float32)
    lo, hi = -0.8, 2.3  # some values fall outside: both clip
    ours = qz.fake_quantize(x, *qz.affine_qparams(lo, hi))
    theirs = tf.quantization.fake_quant_with_min_max_args(x, min=lo, max=hi, num_bits=8).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_per_channel_scales_never_lose_to_one_scale_per_tensor():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 3, 4, 8)) * np.linspace(0.01, 1.0, 8)  # channels of very different sizes
    per_tensor = qz.symmetric_scales(w)
    per_channel = qz.symmetric_scales(w, axis=-1)
    assert per_tensor.shape == () and per_channel.shape == (8,)
    np.testing.assert_allclose(per_channel, np.abs(w).max(axis=(0, 1, 2)) / 127)
    q = qz.quantize(w, per_channel, axis=-1)
    assert q.dtype == np.int8 and np.abs(q).max() == 127 and q.min() >= -127
    err_channel = np.abs(qz.dequantize(q, per_channel, axis=-1) - w).mean(axis=(0, 1, 2))
    err_tensor = np.abs(qz.fake_quantize(w, per_tensor) - w).mean(axis=(0, 1, 2))
    assert np.all(err_channel <= err_tensor + 1e-12) and err_channel[0] < err_tensor[0] / 10


def test_wider_integer_ranges_use_int32():
    assert qz.quantize([1000.0], 1.0, qmin=-(2**31), qmax=2**31 - 1).dtype == np.int32


@pytest.mark.parametrize("call, message", [
    (lambda: qz.affine_qparams(1.0, 0.0), "x_min <= x_max"),
    (lambda: qz.affine_qparams(0.0, np.inf), "finite"),
    (lambda: qz.affine_qparams(-1, 1, qmin=5, qmax=5), "qmin < qmax"),
    (lambda: qz.quantize(np.ones((2, 3)), [1.0, 2.0, 3.0]), "need the axis"),
    (lambda: qz.quantize(np.ones((2, 3)), [1.0, 2.0], axis=1), "do not match axis 1"),
    (lambda: qz.quantize([1.0], 0.0), "scale must be positive"),
    (lambda: qz.symmetric_scales(np.ones((2, 3)), axis=2), "out of range"),
    (lambda: qz.sparsity([]), "at least one"),
    (lambda: qz.model_bytes(123), "as bytes or a path"),
    (lambda: qz.model_bytes("/nonexistent/model.tflite"), "no model file"),
])
def test_bad_arguments_fail_in_one_line(call, message):
    with pytest.raises(utils.ArgumentError, match=message):
        call()


def test_sparsity_and_gzip_size():
    dense = np.random.default_rng(3).normal(size=10_000).astype(np.float32)
    pruned = dense.copy()
    pruned[::2] = 0
    assert qz.sparsity([pruned]) == 0.5 and qz.sparsity([pruned, np.ones(10_000)]) == 0.25
    assert pruned.nbytes == dense.nbytes
    assert qz.gzip_size(pruned.tobytes()) < 0.8 * qz.gzip_size(dense.tobytes())


# --------------------------------------------------------------------------- LiteRT on a tiny model

W = np.array([[1.0, -2.0, 0.5], [0.25, 1.5, -1.0], [-0.5, 0.0, 2.0], [2.0, 1.0, 0.0]], dtype=np.float32)
B = np.array([0.1, -0.2, 0.3], dtype=np.float32)


def _convert(int8: bool) -> bytes:
    import tensorflow as tf

    class Linear(tf.Module):
        def __init__(self):
            super().__init__()
            self.w, self.b = tf.Variable(W), tf.Variable(B)

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def __call__(self, x):
            return tf.matmul(x, self.w) + self.b

    module = Linear()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.__call__.get_concrete_function()], module)
    if int8:
        rng = np.random.default_rng(4)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([rng.uniform(0, 1, (1, 4)).astype(np.float32)]
                                                    for _ in range(100))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.fixture(scope="module")
def tiny_models():
    return {"float": _convert(False), "int8": _convert(True)}


def test_predict_runs_every_example_in_batches(tiny_models):
    x = np.random.default_rng(5).uniform(0, 1, size=(23, 4)).astype(np.float32)
    expected = x @ W + B
    for kernels in qz.KERNELS:
        np.testing.assert_allclose(qz.predict(tiny_models["float"], x, batch_size=10, kernels=kernels), expected,
                                   rtol=1e-5, atol=1e-5)
    # int8 input and output: the helper quantizes the floats in and dequantizes the result
    int8_out = qz.predict(tiny_models["int8"], x, batch_size=7)
    assert np.abs(int8_out - expected).max() < 0.1
    y = expected.argmax(axis=1)
    assert qz.accuracy(tiny_models["float"], x, y) == 1.0


def test_tensor_summary_tells_float_from_int8(tiny_models, tmp_path):
    path = tmp_path / "tiny.tflite"
    path.write_bytes(tiny_models["int8"])
    f, i = qz.tensor_summary(tiny_models["float"]), qz.tensor_summary(path)
    assert f["input"] == "float32" and f["constant_bytes"].get("float32", 0) >= W.nbytes
    assert i["input"] == "int8" and i["output"] == "int8" and i["constant_bytes"]["int8"] == W.size
    assert f["ops"] == ["FULLY_CONNECTED(float32, float32, float32)"]
    assert i["ops"] == ["FULLY_CONNECTED(int8, int8, int32)"]


def test_constant_tensors_macs_and_op_tensors(tiny_models):
    stored = qz.constant_tensors(tiny_models["int8"])
    kernel = next(v for v in stored.values() if v.ndim == 2)
    assert kernel.dtype == np.int8 and kernel.shape == (3, 4)  # TFLite keeps (units, inputs)
    assert qz.macs(tiny_models["float"]) == qz.macs(tiny_models["int8"]) == W.size
    x = np.random.default_rng(6).uniform(0, 1, size=(5, 4)).astype(np.float32)
    fc = qz.op_tensors(tiny_models["int8"], x, "FULLY_CONNECTED")
    data, weights, bias = fc["inputs"]
    assert data["value"].dtype == np.int8 and data["value"].shape == (5, 4) and len(data["scales"]) == 1
    np.testing.assert_allclose(weights["scales"], np.abs(W).max(axis=0) / 127, rtol=1e-5)  # per channel
    assert bias["value"].dtype == np.int32 and fc["output"]["value"].shape == (5, 3)
    with pytest.raises(utils.ArgumentError, match="has no CONV_2D op"):
        qz.op_tensors(tiny_models["int8"], x, "CONV_2D")
    with pytest.raises(utils.ArgumentError, match="out of range"):
        qz.op_tensors(tiny_models["int8"], x, "FULLY_CONNECTED", occurrence=1)


def test_latency_reports_what_it_measured(tiny_models):
    result = qz.latency(tiny_models["int8"], np.zeros((1, 4), np.float32), runs=50, warmup=5, kernels="builtin")
    assert 0 < result.p10_us <= result.median_us <= result.p90_us
    assert (result.runs, result.warmup, result.kernels, result.num_threads) == (50, 5, "builtin", 1)
    assert "50 calls after 5 warm-up; builtin, 1 thread(s)" in str(result)


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernels="gpu"), "kernels must be one of"),
    (dict(num_threads=0), "num_threads must be a positive int"),
    (dict(runs=0), "runs must be an int >= 1"),
    (dict(example=np.zeros((2, 4), np.float32)), "one example, with its batch axis"),
])
def test_latency_bad_arguments(tiny_models, kwargs, message):
    kwargs = {"example": np.zeros((1, 4), np.float32), **kwargs}
    with pytest.raises(utils.ArgumentError, match=message):
        qz.latency(tiny_models["float"], **kwargs)


def test_accuracy_needs_one_label_per_example(tiny_models):
    with pytest.raises(utils.ArgumentError, match="3 examples but y has 2"):
        qz.accuracy(tiny_models["float"], np.zeros((3, 4), np.float32), [0, 1])


# --------------------------------------------------------------------------- log lines


@pytest.mark.parametrize("line, noise", [
    ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", True),
    ("fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32, output_inference_type: FLOAT32", True),
    ("W0000 00:00:1795452928.689751    7288 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.", True),
    ("W0000 00:00:1795452930.482381    7288 flatbuffer_export.cc:3851] Skipping runtime version metadata in the "
     "model. This will be generated by the exporter.", True),
    ("E0000 00:00:1795452928.689751    7288 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.", False),
    ("W0000 00:00:1795452928.689751    7288 convert.cc:1] Failed to legalize op CONV_2D", False),
    ("ERROR: Didn't find op for builtin opcode 'CONV_2D'", False),
])
def test_litert_noise_is_recognised_and_nothing_else(line, noise):
    assert qz.is_litert_noise(line) is noise


def test_quiet_litert_drops_noise_and_keeps_other_lines(capfd):
    with qz.quiet_litert():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nsomething that matters\n")
    err = capfd.readouterr().err
    assert "something that matters" in err and "XNNPACK" not in err


def test_cpu_name_is_a_non_empty_string():
    assert isinstance(qz.cpu_name(), str) and qz.cpu_name()


# --------------------------------------------------------------------------- legacy Keras stays in chapter 07


def test_importing_utils_does_not_switch_to_legacy_keras():
    """tfmot sets TF_USE_LEGACY_KERAS=1 when imported; nothing in utils may import it (or set the variable),
    or every notebook kernel that `make test` starts afterwards would get tf_keras as tf.keras."""
    code = ("import os, sys, utils, utils.quantization; "
            "print(os.environ.get('TF_USE_LEGACY_KERAS'), 'tensorflow_model_optimization' in sys.modules, "
            "'tf_keras' in sys.modules)")
    env = qz.environment_without_legacy_keras()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["None", "False", "False"]
    assert qz.LEGACY_KERAS_VARIABLE not in os.environ, "something in this pytest process set TF_USE_LEGACY_KERAS"


def test_run_without_legacy_keras_removes_the_variable(tmp_path, monkeypatch):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""\
        import json, os, sys
        print("some chatter first")
        print(json.dumps({"legacy": os.environ.get("TF_USE_LEGACY_KERAS"), "args": sys.argv[1:]}))
    """))
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    assert qz.run_without_legacy_keras(script, "a", 2) == {"legacy": None, "args": ["a", "2"]}
    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"  # the parent's environment is left as it was


@pytest.mark.parametrize("body, message", [
    ("raise SystemExit('it broke')", "child.py failed: it broke"),
    ("print('no json here')", "printed no JSON object"),
    (f"print({json.dumps(json.dumps([1, 2]))})", "not an object"),
    ("import time; time.sleep(5)", "did not finish within 0.5 s"),
])
def test_run_without_legacy_keras_fails_in_one_line(tmp_path, body, message):
    script = tmp_path / "child.py"
    script.write_text(body + "\n")
    with pytest.raises(utils.CourseError, match=message):
        qz.run_without_legacy_keras(script, timeout=0.5 if "sleep" in body else 60)


def test_run_without_legacy_keras_needs_a_script(tmp_path):
    with pytest.raises(utils.ArgumentError, match="no script"):
        qz.run_without_legacy_keras(tmp_path / "missing.py")


def test_legacy_keras_progress_prints_one_line_per_epoch():
    """In a child process (tf_keras must not be imported here): a tf_keras fit with the legacy callback."""
    code = textwrap.dedent("""\
        import os
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import numpy as np, tf_keras
        from utils import quantization as qz
        model = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.zeros((32, 4)), np.zeros((32, 1)), epochs=3, batch_size=8, verbose=0,
                  callbacks=[qz.legacy_keras_progress("fit")])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("fit: epoch 3/3  loss "), out.stdout

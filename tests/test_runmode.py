import os
import re

import numpy as np
import pytest

import utils
from utils import runmode
from utils.errors import CourseError, ModeError


def test_default_mode_is_full(monkeypatch):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    assert utils.course_mode() == "full"
    assert utils.by_mode(smoke=1, full=10) == 10


def test_smoke_mode_picks_smoke_values(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", " Smoke ")
    assert utils.course_mode() == "smoke"
    assert utils.is_smoke()
    assert utils.by_mode(smoke=1, full=10) == 1


def test_unknown_mode_fails_in_one_clear_line(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(ModeError) as err:
        utils.course_mode()
    message = str(err.value)
    assert "\n" not in message
    assert "'fast'" in message and "COURSE_MODE=full" in message and "COURSE_MODE=smoke" in message
    assert isinstance(err.value, CourseError) and isinstance(err.value, ValueError)


def test_seed_everything_repeats_numpy_and_keras_draws():
    import keras

    draws = []
    for _ in range(2):
        utils.seed_everything(7)
        draws.append((np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,)))))
    np.testing.assert_array_equal(draws[0][0], draws[1][0])
    np.testing.assert_array_equal(draws[0][1], draws[1][1])


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        utils.seed_everything(seed)


def test_setup_notebook_prints_banner(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODE", "smoke")
    info = utils.setup_notebook(seed=3)
    banner = capsys.readouterr().out
    assert info["mode"] == "smoke" and info["seed"] == 3
    assert "mode: smoke" in banner and "seed: 3" in banner and "Keras" in banner and "devices:" in banner


# --------------------------------------------------------------------------- seeding: the same streams as before
# First draws after seed_everything(0), recorded before seeding was handed to keras.utils.set_random_seed alone
# (utils 630a773 seeded Python and NumPy itself, then called it): the chapters' numbers depend on these streams.
SEED0_PYTHON = [0.8444218515250481, 0.7579544029403025, 0.420571580830845]
SEED0_NUMPY = [0.5488135039273248, 0.7151893663724195, 0.6027633760716439]
SEED0_KERAS_NORMAL = [1.279130458831787, -0.26212188601493835, -0.3660893440246582]
SEED0_TF_UNIFORM = [0.29197514057159424, 0.2065664529800415, 0.5353907346725464]
SEED0_DENSE_KERNEL = [-0.8669780492782593, 0.030545949935913086, 1.041008472442627, -0.2139575481414795,
                      -0.9759351015090942, 0.04022526741027832]
SEED0_TF_DATA_SHUFFLE = [6, 7, 5, 3, 1, 4, 0, 2]


def test_seed_everything_gives_the_recorded_streams():
    import random

    import keras

    utils.seed_everything(0)
    assert [random.random() for _ in range(3)] == SEED0_PYTHON
    assert np.random.rand(3).tolist() == SEED0_NUMPY
    if keras.backend.backend() != "tensorflow":
        return  # the Keras streams below are TensorFlow's
    import tensorflow as tf

    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.random.normal((3,))), SEED0_KERAS_NORMAL, rtol=1e-6)
    np.testing.assert_allclose(tf.random.uniform((3,)).numpy(), SEED0_TF_UNIFORM, rtol=1e-6)
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.kernel).ravel(), SEED0_DENSE_KERNEL, rtol=1e-6)
    assert list(tf.data.Dataset.range(8).shuffle(8).as_numpy_iterator()) == SEED0_TF_DATA_SHUFFLE


def test_seed_everything_leaves_seeding_to_keras(monkeypatch):
    import random

    import keras

    calls = []
    monkeypatch.setattr(keras.utils, "set_random_seed", calls.append)
    random.seed(1)
    np.random.seed(1)
    utils.seed_everything(0)
    assert calls == [0]
    assert random.random() != SEED0_PYTHON[0] and np.random.rand() != SEED0_NUMPY[0], "seeded twice"


# --------------------------------------------------------------------------- op determinism
def tensorflow_or_skip():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("op determinism is TensorFlow's")
    import tensorflow as tf

    return tf


def test_op_determinism_is_on_and_can_be_turned_off_with_one_line(capsys):
    from tensorflow.python.framework import config

    tensorflow_or_skip()
    runmode._notes_shown.clear()
    utils.seed_everything(3)
    assert config.is_op_determinism_enabled() and capsys.readouterr().out == ""
    utils.seed_everything(3, deterministic_ops=False)
    utils.seed_everything(4, deterministic_ops=False)
    assert not config.is_op_determinism_enabled()
    assert capsys.readouterr().out.splitlines() == [
        "op determinism: off (deterministic_ops=False); repeated runs may differ slightly"]
    utils.seed_everything(3)
    assert config.is_op_determinism_enabled()


def test_op_determinism_that_cannot_be_enabled_is_one_line_not_an_exception(monkeypatch, capsys):
    tf = tensorflow_or_skip()
    runmode._notes_shown.clear()

    def unavailable():
        raise RuntimeError("op determinism is not supported by this build\nsecond line")

    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", unavailable)
    assert utils.seed_everything(5) == 5
    utils.seed_everything(6)
    assert capsys.readouterr().out.splitlines() == [
        "op determinism: off (RuntimeError: op determinism is not supported by this build); "
        "repeated runs may differ slightly"]


def test_an_op_without_a_deterministic_kernel_is_described_in_one_line():
    tf = tensorflow_or_skip()
    error = tf.errors.UnimplementedError(None, None, "Graph execution error:\n\nDetected at node x\nA deterministic "
                                         "GPU implementation of ResizeBilinearGrad is not currently available.")
    line = runmode.determinism_error_line(error)
    assert "\n" not in line and line.startswith("UnimplementedError: A deterministic GPU implementation of")
    assert "deterministic_ops=False" in line
    assert runmode.determinism_error_line(tf.errors.InvalidArgumentError(None, None, "shapes differ")) is None


# --------------------------------------------------------------------------- native stderr
ABSL = "I0000 00:00:1795442523.422543   22524 "
NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    ABSL + "port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.",
    ABSL + "cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
    "compiler flags.",
    "E0000 00:00:1795442664.823264   23664 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool "
    "which is not in the op definition: Op<name=MapDataset> This may be expected.",
    "E0000 00:00:1795442664.823264   23664 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting to register",
    "E0000 00:00:1795443531.621121    1500 util.cc:131] oneDNN supports DT_BOOL only on platforms with AVX-512. "
    "Falling back to the default Eigen-based implementation if present.",
    "E0000 00:00:1795450384.347817   25690 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation::Apply "
    "error: fanout 'StatefulPartitionedCall/gradient_tape/discriminator_1/leaky_re_lu_3_1/LeakyRelu/LeakyReluGrad' "
    "exist for missing node 'StatefulPartitionedCall/discriminator_1/conv2d_1_2/BiasAdd'.",
    "2024-03-01 10:00:00.123456: W tensorflow/core/framework/local_rendezvous.cc:404] Local rendezvous is aborting "
    "with status: OUT_OF_RANGE: End of sequence",
    "W0000 00:00:1795450384.347817   25690 dataset.cc:4080] Input of GeneratorDatasetOp::Dataset will not be "
    "optimized because the dataset does not implement the AsGraphDefInternal() method needed to apply optimizations.",
]
NO_DRIVER = [
    ABSL + "cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.",
    "E0000 00:00:1795442664.823264   23664 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
]
KEPT = [
    "W0000 00:00:1795442664.823264   23664 gpu_device.cc:2365] Cannot dlopen some GPU libraries. Please make sure "
    "the missing libraries mentioned above are installed properly if you would like to use GPU.",
    "E0000 00:00:1795442664.823264   23664 cuda_dnn.cc:522] Loaded runtime CuDNN library: 9.1.0 but source was "
    "compiled with: 9.3.0.",
    "F0000 00:00:1795442664.823264   23664 stream_executor.cc:1] Check failed: status.ok()",
    "E0000 00:00:1795450384.347817   25690 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: some other "
    "graph error",
    "Traceback (most recent call last):",
    "a line from some other library",
    "",
]


def test_only_known_noise_is_filtered():
    for line in NOISE:
        assert runmode.is_native_noise(line + "\n") and runmode.is_native_noise(line, nvidia_driver=True), line
    for line in NO_DRIVER:  # noise without an NVIDIA driver; the message that matters with one
        assert runmode.is_native_noise(line) and not runmode.is_native_noise(line, nvidia_driver=True), line
    for line in KEPT:
        assert not runmode.is_native_noise(line) and not runmode.is_native_noise(line, nvidia_driver=True), line


FILTER_SCRIPT = r"""
import ctypes, os, sys
from utils.runmode import filter_native_stderr, install_native_stderr_filter
noise, kept = sys.argv[1].encode(), sys.argv[2].encode()
libc = ctypes.CDLL(None)
with filter_native_stderr():
    os.write(2, noise + b"\n" + b"E0000 00:00:1.5 7 some_lib.cc:12] " + kept + b" (os.write)\n")
    libc.write(2, noise + b"\n", len(noise) + 1)
    libc.write(2, kept + b" (libc write)\n", len(kept) + 14)
os.write(2, b"after the block: " + noise + b"\n")  # the block is over: nothing is filtered
install_native_stderr_filter()
libc.write(2, noise + b"\n", len(noise) + 1)
libc.write(2, kept + b" (installed, no newline at exit)", len(kept) + 32)
"""


def test_filter_drops_noise_and_lets_an_unknown_native_line_through():
    import subprocess
    import sys

    env = {**os.environ}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    noise, kept = NOISE[1], "libcudnn.so.9: cannot open shared object file: No such file or directory"
    result = subprocess.run([sys.executable, "-c", FILTER_SCRIPT, noise, kept], capture_output=True, text=True,
                            env=env, cwd=runmode.__file__.rsplit("/utils/", 1)[0], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"E0000 00:00:1.5 7 some_lib.cc:12] {kept} (os.write)",
        f"{kept} (libc write)",
        f"after the block: {noise}",
        f"{kept} (installed, no newline at exit)",
    ]


def test_level_zero_turns_the_filter_off(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    with runmode.filter_native_stderr():
        assert runmode._filter is None or not runmode._filter.running()


NOTEBOOK_CELLS = [
    "import utils\ninfo = utils.setup_notebook(seed=0)",
    "import keras, numpy as np\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
    "m.compile(optimizer='adam', loss='mse')\nh = m.fit(np.zeros((64, 4)), np.zeros((64, 2)), epochs=2, verbose=0, "
    "validation_split=0.25)",
    "import ctypes, time\nmsg = b'E0000 00:00:1.5 7 cuda_dnn.cc:522] Loaded runtime CuDNN library: 9.1.0 but source "
    "was compiled with: 9.3.0.\\n'\nctypes.CDLL(None).write(2, msg, len(msg))\ntime.sleep(0.5)",
    "import tensorflow as tf\nraise tf.errors.UnimplementedError(None, None, 'Graph execution error:\\n"
    "A deterministic GPU implementation of ResizeBilinearGrad is not currently available.')",
    "raise tf.errors.InvalidArgumentError(None, None, 'Incompatible shapes: [2] vs. [3]')",
]
NATIVE_LOG_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]|WARNING: All log messages before absl)",
                             re.MULTILINE)


def test_notebook_outputs_keep_real_native_errors_and_no_tensorflow_noise(monkeypatch):
    from pathlib import Path

    from nbformat.v4 import new_code_cell, new_notebook

    from utils import notebooks

    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # else ipykernel leaves fd 2 alone, as in Jupyter it does not
    nb = new_notebook(cells=[new_code_cell(s) for s in NOTEBOOK_CELLS],
                      metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nb = notebooks.execute(nb, mode="smoke", cwd=Path("."), timeout=120, allow_errors=True)
    texts = [o.get("text", "") for cell in nb.cells for o in cell.outputs if o.output_type == "stream"]
    native = [m.group(0) for t in texts for m in NATIVE_LOG_LINE.finditer(t)]
    assert native == ["E0000 00:00:1.5 7 cuda_dnn.cc:522]"], texts
    assert any("Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.3.0." in t for t in texts)
    assert "mode: smoke | seed: 0" in "".join(texts)
    determinism, other = ([o for o in cell.outputs if o.output_type == "error"][0] for cell in nb.cells[3:])
    assert determinism.ename == "UnimplementedError" and len(determinism.traceback) == 1
    assert "deterministic_ops=False" in determinism.traceback[0]
    assert other.ename == "InvalidArgumentError" and len(other.traceback) > 1, "other errors keep their traceback"


def test_committed_chapters_carry_no_native_log_lines():
    import json
    from pathlib import Path

    for path in sorted(Path(runmode.__file__).parent.parent.glob("chapters/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                text = "".join(output.get("text", []))
                assert not NATIVE_LOG_LINE.search(text), f"{path.name}: {NATIVE_LOG_LINE.search(text).group(0)}"


# --------------------------------------------------------------------------- small fixes
def test_setup_notebook_installs_the_one_line_display_before_reading_the_mode(monkeypatch):
    calls = []
    monkeypatch.setattr(runmode, "show_course_errors_as_one_line", lambda: calls.append("display"))
    monkeypatch.setattr(runmode, "course_mode", lambda: calls.append("mode") or utils.course_mode())
    monkeypatch.setenv("COURSE_MODE", "turbo")
    with pytest.raises(ModeError):
        utils.setup_notebook()
    assert calls == ["display", "mode"]


def test_utils_modules_import_each_other_without_a_cycle():
    import ast
    from pathlib import Path

    package = Path(runmode.__file__).parent
    graph = {}
    for path in package.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports count too
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
        graph[path.stem] = deps - {"__init__"}
    graph.pop("__init__")
    assert "doctor" not in graph["runmode"] and "runmode" in graph["doctor"]

    def visit(module, stack):
        assert module not in stack, f"import cycle: {' -> '.join([*stack, module])}"
        for dep in graph.get(module, ()):
            visit(dep, [*stack, module])

    for module in graph:
        visit(module, [])

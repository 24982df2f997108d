"""utils.distributed: logical CPU devices, TF_CONFIG, and worker processes that never outlive their parent."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from utils import distributed
from utils.distributed import WorkerError, WorkerGroup, python_code
from utils.errors import ArgumentError

REPO = Path(__file__).resolve().parent.parent
LINUX = sys.platform.startswith("linux")
SLEEPER = python_code("import time\nprint('up', flush=True)\ntime.sleep(120)")


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until_dead(pids, timeout=10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_split_cpu_rejects_bad_counts(n):
    with pytest.raises(ArgumentError, match="n must be an int >= 1"):
        distributed.split_cpu(n)


@pytest.mark.parametrize("call, message", [
    (lambda: distributed.replica_devices(n_cpu=0), "n_cpu must be an int >= 1"),
    (lambda: distributed.replica_devices(gpu_memory_mb=1.5), "gpu_memory_mb must be an int >= 1"),
    (lambda: distributed.make_strategy([]), "devices must be a non-empty list of device names"),
    (lambda: distributed.make_strategy("/device:CPU:0"), "devices must be a non-empty list"),
    (lambda: distributed.cross_device_ops_for(["/device:CPU:0", 3]), "devices must be a non-empty list"),
    (lambda: distributed.shares_a_gpu(["/device:GPU:0"], -1), "n_physical_gpus must be an int >= 0"),
])
def test_device_helpers_reject_bad_arguments(call, message):
    with pytest.raises(ArgumentError, match=message):
        call()


@pytest.mark.parametrize("devices, n_physical_gpus, shared", [
    (["/device:GPU:0", "/device:GPU:1"], 1, True),  # one GPU split in two: NCCL cannot all-reduce between them
    (["/job:localhost/replica:0/task:0/device:GPU:0", "/device:GPU:1"], 2, False),
    (["GPU:0", "GPU:1", "GPU:2", "GPU:3"], 2, True),
    (["/device:CPU:0", "/device:CPU:1"], 0, False),
    (["/device:GPU:0"], 1, False),
])
def test_shares_a_gpu_counts_logical_against_physical_gpus(devices, n_physical_gpus, shared):
    assert distributed.shares_a_gpu(devices, n_physical_gpus) is shared


def test_tf_config_names_every_worker_and_this_one():
    workers = ["127.0.0.1:1234", "127.0.0.1:1235"]
    config = distributed.tf_config(workers, 1)
    assert config == {"cluster": {"worker": workers}, "task": {"type": "worker", "index": 1}}
    assert json.loads(json.dumps(config)) == config


@pytest.mark.parametrize("workers, index, message", [
    ([], 0, "non-empty list"), ("127.0.0.1:1", 0, "non-empty list"), (["127.0.0.1"], 0, "host:port"),
    (["a:1", "b:2"], 2, r"index must be an int in \[0, 2\)"), (["a:1"], -1, "index"), (["a:1"], True, "index"),
])
def test_tf_config_rejects_bad_arguments(workers, index, message):
    with pytest.raises(ArgumentError, match=message):
        distributed.tf_config(workers, index)


def test_free_ports_are_distinct_and_closed_again():
    ports = distributed.free_ports(4)
    assert len(set(ports)) == 4 and all(1024 <= p < 65536 for p in ports)
    assert not any(distributed.reachable(p) for p in ports)


@pytest.mark.parametrize("kwargs, message", [
    ({"python_args": "-c pass"}, "python_args must be a non-empty list"),
    ({"python_args": []}, "python_args must be a non-empty list"),
    ({"python_args": ["-c", "pass"], "n_workers": 0}, "n_workers must be an int >= 1"),
    ({"python_args": ["-c", "pass"], "isolate": "yes"}, "isolate must be 'auto', True or False"),
])
def test_worker_group_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        WorkerGroup(**kwargs)


def test_waiting_needs_a_started_group_and_a_positive_timeout():
    group = WorkerGroup(python_code("pass"), 1, tf_config=False, isolate=False)
    with pytest.raises(ArgumentError, match="start the WorkerGroup first"):
        group.wait(timeout=1)
    with group, pytest.raises(ArgumentError, match="positive number"):
        group.wait(timeout=0)
    with pytest.raises(ArgumentError, match="already started"):
        group.start()


# --------------------------------------------------------------------------- devices
def test_split_cpu_before_and_after_tensorflow_initialises_its_devices():
    code = textwrap.dedent("""
        from utils import distributed
        from utils.errors import ArgumentError
        print(distributed.split_cpu(3))
        import tensorflow as tf
        tf.constant(1.0)  # devices are now fixed
        print(distributed.split_cpu(3) == [f"/device:CPU:{i}" for i in range(3)])
        try:
            distributed.split_cpu(2)
        except ArgumentError as exc:
            print("refused:", exc)
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                         timeout=120).stdout.splitlines()
    assert out[0] == "['/device:CPU:0', '/device:CPU:1', '/device:CPU:2']", out
    assert out[1] == "True", out
    assert out[2].startswith("refused: split_cpu(2): TensorFlow has already initialised its devices (3 logical"), out


def test_replica_devices_without_a_gpu_split_the_cpu_and_make_strategy_all_reduces_over_them():
    code = textwrap.dedent("""
        from utils import distributed
        devices = distributed.replica_devices(n_cpu=2)
        print(devices)
        print(distributed.cross_device_ops_for(devices))
        import tensorflow as tf
        strategy = distributed.make_strategy(devices)
        ones = strategy.run(lambda: tf.distribute.get_replica_context().all_reduce("SUM", tf.constant(1.0)))
        print(strategy.num_replicas_in_sync, [float(v) for v in strategy.experimental_local_results(ones)])
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                         timeout=120).stdout.splitlines()
    assert out == ["['/device:CPU:0', '/device:CPU:1']", "None", "2 [2.0, 2.0]"], out


# --------------------------------------------------------------------------- process lifetime
def test_leaving_the_block_on_an_error_stops_every_worker(tmp_path):
    with (pytest.raises(RuntimeError, match="a failing cell"),
          WorkerGroup(SLEEPER, 2, isolate=False, log_dir=tmp_path) as group):
        for index in range(2):
            group.wait_for_output(index, "up", timeout=30)
        pids = group.pids()
        raise RuntimeError("a failing cell")
    assert wait_until_dead(pids, timeout=1) == []


def test_time_limit_stops_the_workers_and_says_so(tmp_path):
    with WorkerGroup(SLEEPER, 2, isolate=False, log_dir=tmp_path) as group:
        start = time.monotonic()
        with pytest.raises(WorkerError, match=r"still running after the 1 s limit, stopped; .*log ends: up"):
            group.wait_for_output(0, "up", timeout=30)
            group.wait(timeout=1)
        assert time.monotonic() - start < 10
        assert all(p.poll() is not None for p in group.processes)


def test_a_failing_worker_stops_the_others_and_shows_its_log(tmp_path):
    code = python_code(textwrap.dedent("""
        import json, os, sys, time
        if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
            print("worker 1 gives up", flush=True)
            sys.exit(3)
        time.sleep(120)
    """))
    with WorkerGroup(code, 2, isolate=False, log_dir=tmp_path) as group:
        with pytest.raises(WorkerError, match="worker 1 exited with code 3 .*worker 1 gives up"):
            group.wait(timeout=60)
        assert group.processes[0].poll() is not None


def test_what_a_worker_started_is_stopped_with_it(tmp_path):
    code = python_code(textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(tmp_path / "child")!r}, "w").write(str(child.pid))
        print("up", flush=True)
        time.sleep(120)
    """))
    with WorkerGroup(code, 1, tf_config=False, isolate=False) as group:
        group.wait_for_output(0, "up", timeout=30)
        grandchild = int((tmp_path / "child").read_text())
        assert alive(grandchild)
    assert wait_until_dead([grandchild]) == []


def test_kill_ends_a_worker_at_once_without_running_its_handlers(tmp_path):
    code = python_code(textwrap.dedent(f"""
        import os, signal, sys, time
        def on_term(*_):
            open(os.path.join({str(tmp_path)!r}, f"terminated-{{os.getpid()}}"), "w").close()
            sys.exit(0)
        signal.signal(signal.SIGTERM, on_term)
        print("up", flush=True)
        time.sleep(120)
    """))
    with WorkerGroup(code, 2, tf_config=False, isolate=False) as group:
        for index in range(2):
            group.wait_for_output(index, "up", timeout=30)
        with pytest.raises(ArgumentError, match=r"index must be an int in \[0, 2\)"):
            group.kill(2)
        assert group.kill(0) == -signal.SIGKILL
        assert group.processes[1].poll() is None  # the other worker runs on
        assert group.kill(0) == -signal.SIGKILL  # killing it again changes nothing
    killed, stopped = group.pids()
    assert not (tmp_path / f"terminated-{killed}").exists()  # SIGKILL: no handler ran
    assert (tmp_path / f"terminated-{stopped}").exists()  # leaving the block: SIGTERM, handled


def test_a_temporary_log_folder_is_removed_and_the_logs_are_still_readable():
    with WorkerGroup(python_code("print('hello from the worker')"), 1, tf_config=False, isolate=False) as group:
        group.wait(timeout=30)
        log_dir = group.log_dir
    assert log_dir.name.startswith("workers-") and not log_dir.exists()
    assert group.log(0).strip() == "hello from the worker"


def test_a_temporary_log_folder_is_kept_when_the_group_fails_and_the_error_says_where():
    with pytest.raises(RuntimeError, match="a failing cell") as raised:
        with WorkerGroup(SLEEPER, 1, tf_config=False, isolate=False) as group:
            group.wait_for_output(0, "up", timeout=30)
            raise RuntimeError("a failing cell")
    try:
        assert group.log_dir.exists() and raised.value.__notes__ == [f"WorkerGroup: logs kept in {group.log_dir}"]
        assert (group.log_dir / "worker0.log").read_text() == "up\n"
    finally:
        shutil.rmtree(group.log_dir)
    failing = WorkerGroup(python_code("import sys; sys.exit(3)"), 1, tf_config=False, isolate=False)
    try:
        with pytest.raises(WorkerError, match=r"exited with code 3 .*\(logs kept in .*workers-"), failing:
            failing.wait(timeout=30)
        assert failing.log_dir.exists()
    finally:
        shutil.rmtree(failing.log_dir)


def test_a_log_folder_given_by_the_caller_is_never_removed(tmp_path):
    with WorkerGroup(python_code("print('kept')"), 1, tf_config=False, isolate=False, log_dir=tmp_path) as group:
        group.wait(timeout=30)
    assert (tmp_path / "worker0.log").read_text() == "kept\n"


PARENT = """
import sys, time
from utils.distributed import WorkerGroup, python_code
worker = python_code('''
import signal, sys, time
def on_term(*_):
    open(sys.argv[1] + ".terminated", "w").close()
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("up", flush=True)
time.sleep(120)
''')
group = WorkerGroup(worker + [sys.argv[1]], 2, isolate=False, log_dir=sys.argv[1] + "-logs").start()
for index in range(2):
    group.wait_for_output(index, "up", timeout=60)
print(" ".join(map(str, group.pids())), flush=True)
if sys.argv[2] == "hang":
    time.sleep(120)
else:
    sys.stdin.readline()  # the test has seen the workers alive; now end the script
"""


def _start_parent(tmp_path, mode):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path / "worker"), mode], cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    return parent, pids


def test_workers_are_stopped_when_their_parent_exits_without_stopping_them(tmp_path):
    parent, pids = _start_parent(tmp_path, "exit")
    parent.stdin.close()  # the script ends: only atexit can stop the workers
    assert parent.wait(timeout=30) == 0
    assert wait_until_dead(pids) == []
    assert (tmp_path / "worker.terminated").exists(), "atexit should have sent SIGTERM"


@pytest.mark.skipif(not LINUX, reason="the parent-death signal is Linux-only")
def test_workers_die_when_their_parent_is_killed(tmp_path):
    parent, pids = _start_parent(tmp_path, "hang")
    parent.send_signal(signal.SIGKILL)  # no atexit, no finally: only the kernel's parent-death signal is left
    parent.wait(timeout=10)
    assert wait_until_dead(pids) == []
    assert not (tmp_path / "worker.terminated").exists()


# --------------------------------------------------------------------------- network
LISTENER = textwrap.dedent("""
    import json, os, socket, time
    config = json.loads(os.environ["TF_CONFIG"])
    me, workers = config["task"]["index"], config["cluster"]["worker"]
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((BIND, int(workers[me].rsplit(":", 1)[1])))
    server.listen()
    print("listening", flush=True)
    if me == 1:
        host, port = workers[0].rsplit(":", 1)
        for _ in range(100):
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                print("reached worker 0", flush=True)
                break
            except OSError:
                time.sleep(0.05)
    time.sleep(120)
""")


def listener(bind: str):
    return python_code(f"BIND = {bind!r}\n" + LISTENER)


@pytest.mark.skipif(not LINUX, reason="network namespaces are Linux-only")
def test_isolated_workers_reach_each_other_and_nothing_else_reaches_them():
    try:
        group = WorkerGroup(listener("0.0.0.0"), 2, isolate=True).start()  # every interface, as TensorFlow binds
    except WorkerError as exc:
        pytest.skip(f"no network namespaces here: {exc}")
    with group:
        assert group.isolated and group.isolation.startswith("private network namespace")
        for index in range(2):
            group.wait_for_output(index, "listening", timeout=30)
        group.wait_for_output(1, "reached worker 0", timeout=30)
        assert sorted(group.listening()) == sorted(("0.0.0.0", p) for p in group.ports)
        assert group.interfaces(0) == ["lo"]
        assert not any(distributed.reachable(p) for p in group.ports)


def test_without_isolation_the_listening_sockets_are_on_the_host():
    with WorkerGroup(listener("127.0.0.1"), 2, isolate=False) as group:
        assert not group.isolated and group.isolation == "host network (isolate=False)"
        for index in range(2):
            group.wait_for_output(index, "listening", timeout=30)
        if LINUX:
            assert sorted(group.listening()) == sorted(("127.0.0.1", p) for p in group.ports)
        assert all(distributed.reachable(p) for p in group.ports)


def test_two_workers_train_to_identical_weights(tmp_path, shared_data):
    args = ["-m", "utils.multiworker_train", "--out", str(tmp_path), "--n-train", "512", "--n-test", "200",
            "--epochs", "1", "--batch", "64"]
    with WorkerGroup(args, 2, env={"TF_CPP_MIN_LOG_LEVEL": "2"}) as group:
        results = group.wait(timeout=240)
    assert [r.returncode for r in results] == [0, 0]
    summaries = [json.loads((tmp_path / f"worker{i}.json").read_text()) for i in range(2)]
    assert [s["replicas"] for s in summaries] == [2, 2] and summaries[0]["steps"] == 8
    weights = [np.load(tmp_path / f"worker{i}.npz") for i in range(2)]
    assert weights[0].files and all(np.array_equal(weights[0][k], weights[1][k]) for k in weights[0].files)


def test_one_gpu_each_without_enough_gpus_stops_in_one_line(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
           "TF_CONFIG": json.dumps(distributed.tf_config(["127.0.0.1:1", "127.0.0.1:2"], 1))}
    done = subprocess.run([sys.executable, "-m", "utils.multiworker_train", "--out", str(tmp_path), "--one-gpu-each"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stdout.strip() == "--one-gpu-each: worker 1 has no GPU of its own (0 visible)"

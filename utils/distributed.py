"""Data-parallel training on one machine (chapter 08): replica devices, and worker processes driven by TF_CONFIG.

``tf.distribute`` is the topic here, so this module is TensorFlow-specific.

* :func:`split_cpu` turns the processor into ``n`` logical CPU devices, so that ``tf.distribute.MirroredStrategy``
  runs ``n`` real replicas on a machine without GPUs. They share the same cores: this teaches the mechanics
  (replicas, all-reduce, global batches), not speed. :func:`replica_devices` picks every visible GPU instead, and
  splits a single GPU into two logical ones; :func:`make_strategy` builds the strategy with an all-reduce that
  works on those devices (:func:`cross_device_ops_for`).
* :class:`WorkerGroup` starts ``n`` copies of a training script, each with its own ``TF_CONFIG`` naming every
  worker at ``127.0.0.1``, waits for them with a time limit, and makes sure that none outlives the caller.

Two facts shape :class:`WorkerGroup`:

1. TensorFlow's gRPC server binds *every* interface (``0.0.0.0``, which gRPC widens to ``[::]``) whatever host
   ``TF_CONFIG`` names: the host is only used to address the worker. On Linux the group therefore runs its
   workers in a private network namespace whose only interface is a loopback (``isolate="auto"``), so that
   nothing outside the group can reach their ports. Where the OS refuses (macOS, Windows, containers that
   forbid namespaces), ``"auto"`` runs them on the host's network and :attr:`WorkerGroup.isolation` says so.
2. A worker must never outlive the notebook. Each runs in its own process group, which is killed when the
   group stops (``with`` block, failure, timeout) and when the interpreter exits (``atexit``); on Linux each
   worker also asks the kernel to kill it when the process that started it dies, even by ``SIGKILL``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ArgumentError, CourseError

LOOPBACK = "127.0.0.1"
ISOLATE_CHOICES = ("auto", True, False)


class WorkerError(CourseError):
    """A worker process failed, or did not finish within its time limit."""


# --------------------------------------------------------------------------- devices
def _check_count(name: str, value, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ArgumentError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _split_device(kind: str, n: int, memory_mb: int | None, caller: str) -> list[str]:
    """Configure the first physical ``kind`` device as ``n`` logical ones; return the logical ``kind`` names."""
    import tensorflow as tf

    device = tf.config.list_physical_devices(kind)[0]
    current = tf.config.get_logical_device_configuration(device)
    if current is None or len(current) != n:
        try:
            tf.config.set_logical_device_configuration(
                device, [tf.config.LogicalDeviceConfiguration(memory_limit=memory_mb)] * n)
        except RuntimeError as exc:
            have = len(tf.config.list_logical_devices(kind))
            raise ArgumentError(
                f"{caller}: TensorFlow has already initialised its devices ({have} logical {kind} device(s)); "
                f"call {caller.split('(')[0]} before any TensorFlow op, e.g. right after utils.setup_notebook, "
                "and restart the kernel to change it") from exc
    return [d.name for d in tf.config.list_logical_devices(kind)]


def split_cpu(n: int = 2) -> list[str]:
    """Configure the (first) physical CPU as ``n`` logical devices; return their names (``/device:CPU:0`` ...).

    TensorFlow fixes its devices when it first uses them (the first op, tensor or ``list_logical_devices``), so
    call this before: right after ``utils.setup_notebook``, which does not initialise them. Calling it again with
    the same ``n`` is harmless; asking for another split afterwards raises one clear line.
    """
    _check_count("n", n)
    return _split_device("CPU", n, None, f"split_cpu({n})")


def replica_devices(n_cpu: int = 2, gpu_memory_mb: int = 2048) -> list[str]:
    """The devices for :func:`make_strategy`, at least two wherever possible (same timing rule as :func:`split_cpu`):

    * several GPUs: every visible GPU, with memory growth on (so that worker processes find memory free);
    * exactly one GPU: that GPU split into two logical GPUs of ``gpu_memory_mb`` MiB each (they share the GPU);
    * no GPU: the CPU split into ``n_cpu`` logical devices (they share its cores).
    """
    _check_count("n_cpu", n_cpu)
    _check_count("gpu_memory_mb", gpu_memory_mb)
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) == 1:
        return _split_device("GPU", 2, gpu_memory_mb, f"replica_devices(gpu_memory_mb={gpu_memory_mb})")
    if gpus:
        for gpu in gpus:  # take memory as needed, not all of every GPU: worker processes may need some
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # devices already initialised: they keep what they have
                pass
        return [d.name for d in tf.config.list_logical_devices("GPU")]
    return split_cpu(n_cpu)


def _check_devices(devices) -> list[str]:
    if isinstance(devices, str) or not devices or not all(isinstance(d, str) and d for d in devices):
        raise ArgumentError(f"devices must be a non-empty list of device names such as ['/device:CPU:0'], "
                            f"got {devices!r}")
    return list(devices)


def shares_a_gpu(devices: list[str], n_physical_gpus: int) -> bool:
    """Whether ``devices`` name more GPUs than there are physical ones: logical GPUs that share a GPU."""
    _check_count("n_physical_gpus", n_physical_gpus, minimum=0)
    gpus = {d for d in _check_devices(devices) if ":GPU:" in d.upper() or d.upper().startswith("GPU:")}
    return len(gpus) > max(n_physical_gpus, 1)


def cross_device_ops_for(devices: list[str]):
    """The all-reduce for ``MirroredStrategy(devices=...)``: ``None`` (TensorFlow's default: NCCL between GPUs,
    a reduction on one device otherwise), except for logical GPUs that share one GPU. NCCL does not support
    those: TensorFlow's default then falls back to ``ReductionToOneDevice`` with a warning
    (``select_cross_device_ops`` in ``tensorflow/python/distribute/cross_device_ops.py``); we choose
    ``tf.distribute.HierarchicalCopyAllReduce()`` explicitly instead."""
    devices = _check_devices(devices)
    import tensorflow as tf

    if shares_a_gpu(devices, len(tf.config.list_physical_devices("GPU"))):
        return tf.distribute.HierarchicalCopyAllReduce()
    return None


def make_strategy(devices: list[str]):
    """``tf.distribute.MirroredStrategy`` over ``devices`` (e.g. :func:`replica_devices`), with the all-reduce
    :func:`cross_device_ops_for` picks. Create one per process and reuse it (see chapter 08, section 2)."""
    devices = _check_devices(devices)
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices=devices, cross_device_ops=cross_device_ops_for(devices))


# --------------------------------------------------------------------------- TF_CONFIG
def free_ports(n: int, host: str = LOOPBACK) -> list[int]:
    """``n`` distinct TCP ports that nothing listens on at ``host`` right now (the OS picks them)."""
    _check_count("n", n)
    sockets = []
    try:
        for _ in range(n):  # all bound at once, so the OS cannot hand out the same port twice
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(workers: list[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``workers`` (``"host:port"`` strings, same order on
    every worker; worker 0 is the chief)."""
    if (isinstance(workers, str) or not workers
            or not all(isinstance(w, str) and w.rpartition(":")[2].isdigit() for w in workers)):
        raise ArgumentError(f"workers must be a non-empty list of 'host:port' strings, got {workers!r}")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(workers):
        raise ArgumentError(f"index must be an int in [0, {len(workers)}), got {index!r}")
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}


def python_code(code: str) -> list[str]:
    """``python_args`` for :class:`WorkerGroup` that run ``code`` (``python -c code``)."""
    if not isinstance(code, str) or not code.strip():
        raise ArgumentError(f"code must be a non-empty string of Python, got {code!r}")
    return ["-c", code]


# --------------------------------------------------------------------------- process start-up
# Both snippets run in a fresh interpreter with nothing imported but the standard library, so that the process
# is still single-threaded (joining a user namespace requires it).
_LINUX_PRELUDE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
parent = int(sys.argv[1])
libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL: die with the process that started us
if os.getppid() != parent:  # it died before prctl took effect
    os._exit(1)
"""

# Worker launcher: argv = [parent pid, namespace holder pid (0: none), python args...]. Joins the holder's
# namespaces, then becomes the worker (exec keeps the pid, the namespaces and the parent-death signal).
_LAUNCHER = _LINUX_PRELUDE + r"""
holder = int(sys.argv[2])
if holder:
    for kind in (("user",) if os.geteuid() != 0 else ()) + ("net",):
        fd = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY)
        if libc.setns(fd, 0) != 0:
            sys.stderr.write(f"launcher: cannot join the {kind} namespace: {os.strerror(ctypes.get_errno())}\n")
            os._exit(3)
        os.close(fd)
os.execv(sys.executable, [sys.executable] + sys.argv[3:])
"""

# Namespace holder: argv = [parent pid]. A new network namespace (and, without root, a user namespace that maps
# this user to root inside it, which is what allows configuring its network), with its loopback up; then it
# waits until its stdin closes. Its first line says "ready" or why not.
_HOLDER = _LINUX_PRELUDE + r"""
import fcntl, socket, struct
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
uid, gid = os.geteuid(), os.getegid()
try:
    if libc.unshare(CLONE_NEWNET | (CLONE_NEWUSER if uid != 0 else 0)) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    if uid != 0:
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    request = struct.pack("16sH22x", b"lo", 0)
    flags = struct.unpack("16sH22x", fcntl.ioctl(s, 0x8913, request))[1]  # SIOCGIFFLAGS
    fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", flags | 1))  # SIOCSIFFLAGS: IFF_UP
except OSError as exc:
    print(f"unavailable: {exc}", flush=True)
    os._exit(2)
print("ready", flush=True)
sys.stdin.read()
"""


def _linux() -> bool:
    return sys.platform.startswith("linux")


_live_groups: set[WorkerGroup] = set()
_live_lock = threading.Lock()


def _stop_live_groups() -> None:
    with _live_lock:
        groups = list(_live_groups)
    for group in groups:
        group.stop(grace=1.0)


atexit.register(_stop_live_groups)


@dataclass
class WorkerResult:
    index: int
    returncode: int
    seconds: float  # from the group's start to this worker's exit
    log: str  # what the worker wrote to stdout and stderr


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _popen(command: list[str], **kwargs) -> subprocess.Popen:
    # start_new_session: each process leads its own process group, so stopping it also stops what it started.
    return subprocess.Popen(command, start_new_session=True, **kwargs)


def _stop_process(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds; only while the process is unreaped."""
    if process.poll() is not None:  # reaped: its pid (= its group id) may belong to someone else by now
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
        return
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
        pass


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class WorkerGroup:
    """``n_workers`` copies of ``python *python_args``, each with its own ``TF_CONFIG``, on ``127.0.0.1``.

        args = ["-m", "utils.multiworker_train", "--out", str(out)]
        with WorkerGroup(args, n_workers=2) as group:
            results = group.wait(timeout=120)   # raises WorkerError on a failure or after the time limit

    Leaving the block stops every worker still running (its process group: SIGTERM, then SIGKILL). Workers run
    this interpreter (``sys.executable``) in the repository root, inherit this process's environment plus
    ``env``, and write their output to one log file each under ``log_dir``. Without ``log_dir`` the logs go to
    a temporary folder that is removed when the group stops (:meth:`log` still answers, from memory), unless a
    worker failed or the ``with`` block raised: then it stays, and the error says where. ``tf_config=False``
    starts the workers without ``TF_CONFIG`` (independent processes, not a cluster). ``isolate``: ``"auto"`` (a
    private network namespace where the OS allows one), ``True`` (fail if it does not), ``False`` (the host's
    network).
    """

    def __init__(self, python_args: list[str], n_workers: int = 2, *, env: dict | None = None,
                 log_dir: str | Path | None = None, cwd: str | Path | None = None, tf_config: bool = True,
                 isolate="auto"):
        if isinstance(python_args, str) or not python_args or not all(isinstance(a, str) for a in python_args):
            raise ArgumentError("python_args must be a non-empty list of strings, e.g. "
                                f"['-m', 'utils.multiworker_train', '--out', 'DIR'], got {python_args!r}")
        if not any(isolate is choice or isolate == choice for choice in ISOLATE_CHOICES):
            raise ArgumentError(f"isolate must be 'auto', True or False, got {isolate!r}")
        self.n_workers = _check_count("n_workers", n_workers)
        self.python_args = list(python_args)
        self.env = {str(k): str(v) for k, v in (env or {}).items()}
        self.log_dir = Path(log_dir) if log_dir is not None else None  # None: a temporary folder, made by start()
        self.keep_logs = log_dir is not None  # a temporary folder is removed when the group stops, unless it failed
        self.cwd = Path(cwd) if cwd is not None else Path(__file__).resolve().parent.parent
        self.with_tf_config = bool(tf_config)
        self.isolate = isolate
        self.isolation = "not started"  # then: "private network namespace (loopback only)" or why not
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []
        self._holder: subprocess.Popen | None = None
        self._logs: list[Path] = []
        self._final_logs: list[str] | None = None  # read when the group stops, before its folder is removed
        self._start = 0.0

    # ------------------------------------------------------------------ start and stop
    @property
    def addresses(self) -> list[str]:
        return [f"{LOOPBACK}:{port}" for port in self.ports]

    @property
    def isolated(self) -> bool:
        """The workers run (or ran) in a private network namespace."""
        return self.isolation.startswith("private")

    def _start_holder(self) -> None:
        if self.isolate is False:
            self.isolation = "host network (isolate=False)"
            return
        if not _linux():
            reason = f"no network namespaces on {sys.platform}"
        else:
            holder = _popen([sys.executable, "-c", _HOLDER, str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.cwd)
            self._holder = holder  # registered before reading, so that stop() reaches it
            line = holder.stdout.readline().decode(errors="replace").strip()  # the holder's first line
            if line == "ready":
                self.isolation = "private network namespace (loopback only)"
                return
            self._holder = None
            _stop_process(holder, grace=1.0)
            holder.stdin.close()
            holder.stdout.close()
            reason = line or f"the namespace holder exited with code {holder.returncode}"
        if self.isolate is True:
            raise WorkerError(f"cannot give the workers a private network namespace ({reason}); "
                              "use isolate='auto' or isolate=False to run them on the host's network")
        self.isolation = f"host network: TensorFlow listens on all interfaces ({reason})"

    def start(self) -> WorkerGroup:
        if self.processes or self._start:
            raise ArgumentError("this WorkerGroup was already started; create a new one")
        self._start = time.perf_counter()
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix="workers-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.ports = free_ports(self.n_workers) if self.with_tf_config else []
        with _live_lock:
            _live_groups.add(self)
        try:
            self._start_holder()
            holder_pid = self._holder.pid if self._holder is not None else 0  # 0: the host's network
            for index in range(self.n_workers):
                env = {**os.environ, **self.env}
                if self.with_tf_config:
                    env["TF_CONFIG"] = json.dumps(tf_config(self.addresses, index))
                if _linux():
                    command = [sys.executable, "-c", _LAUNCHER, str(os.getpid()), str(holder_pid),
                               *self.python_args]
                else:
                    command = [sys.executable, *self.python_args]
                log_path = self.log_dir / f"worker{index}.log"
                with open(log_path, "wb") as log:
                    self.processes.append(_popen(command, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                                 stdout=log, stderr=subprocess.STDOUT))
                self._logs.append(log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 3.0) -> None:
        """Stop every worker still running (SIGTERM to its process group, SIGKILL after ``grace`` seconds),
        then the namespace holder."""
        for process in self.processes:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.perf_counter() + grace
        for process in self.processes:
            _stop_process(process, grace=max(0.0, deadline - time.perf_counter()))
        if self._holder is not None:
            holder, self._holder = self._holder, None  # self.isolation keeps saying what the workers had
            _stop_process(holder, grace=1.0)
            for stream in (holder.stdin, holder.stdout):
                if stream is not None:
                    stream.close()
        with _live_lock:
            _live_groups.discard(self)
        if self.processes:  # every worker has exited: their logs are complete
            self._final_logs = [self.log(i) for i in range(len(self.processes))]
        if not self.keep_logs and self.log_dir is not None:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def kill(self, index: int) -> int:
        """Kill worker ``index`` (its process group) with ``SIGKILL`` at once, as a machine that loses power
        would: no handler, ``finally`` or ``atexit`` runs in it. Return its exit code (``-9`` on POSIX)."""
        self._check_started()
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.processes):
            raise ArgumentError(f"index must be an int in [0, {len(self.processes)}), got {index!r}")
        process = self.processes[index]
        if process.poll() is None:
            _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
            process.wait(timeout=10)
        return process.returncode

    def _failed(self) -> str:
        """Keep the logs of a group that failed; the words that say where they are."""
        self.keep_logs = True
        return f"logs kept in {self.log_dir}"

    def __enter__(self) -> WorkerGroup:
        return self if self._start else self.start()  # a group started already may still be used in a block

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc is not None and not self.keep_logs:
            exc.add_note(f"WorkerGroup: {self._failed()}")
        self.stop()

    # ------------------------------------------------------------------ waiting
    def wait(self, timeout: float) -> list[WorkerResult]:
        """Wait for every worker; all must exit with code 0 within ``timeout`` seconds of :meth:`start`.

        On the first failure, or at the time limit, every worker is stopped and :class:`WorkerError` says which
        worker and shows the end of its log.
        """
        self._check_started()
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
        deadline = self._start + timeout
        seconds: dict[int, float] = {}
        try:
            while len(seconds) < self.n_workers:
                for index, process in enumerate(self.processes):
                    if index in seconds or process.poll() is None:
                        continue
                    seconds[index] = time.perf_counter() - self._start
                    if process.returncode != 0:
                        raise WorkerError(f"worker {index} exited with code {process.returncode} after "
                                          f"{seconds[index]:.0f} s; its log ends: {_tail(self.log(index))} "
                                          f"({self._failed()})")
                if time.perf_counter() > deadline:
                    late = [i for i in range(self.n_workers) if i not in seconds]
                    raise WorkerError(f"worker(s) {late} still running after the {timeout:g} s limit, stopped; "
                                      f"worker {late[0]}'s log ends: {_tail(self.log(late[0])) or '(empty)'} "
                                      f"({self._failed()})")
                time.sleep(0.05)
        finally:
            self.stop()
        return [WorkerResult(i, p.returncode, seconds[i], self.log(i)) for i, p in enumerate(self.processes)]

    def wait_for_output(self, index: int, text: str, timeout: float) -> float:
        """Wait until worker ``index`` has written ``text``; return the seconds since :meth:`start`. Raises
        :class:`WorkerError` (and stops the group) if it exits first or ``timeout`` seconds pass."""
        self._check_started()
        deadline = time.perf_counter() + timeout
        while text not in self.log(index):
            if self.processes[index].poll() is not None or time.perf_counter() > deadline:
                state = (f"exited with code {self.processes[index].returncode}"
                         if self.processes[index].returncode is not None else f"was silent for {timeout:g} s")
                where = self._failed()
                self.stop()
                raise WorkerError(f"worker {index} {state} before writing {text!r}; its log ends: "
                                  f"{_tail(self.log(index)) or '(empty)'} ({where})")
            time.sleep(0.05)
        return time.perf_counter() - self._start

    def _check_started(self) -> None:
        if not self.processes:
            raise ArgumentError("start the WorkerGroup first (use it in a with block)")

    # ------------------------------------------------------------------ inspection
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def log(self, index: int) -> str:
        """What worker ``index`` has written so far (all of it once the group has stopped)."""
        if self._final_logs is not None:
            return self._final_logs[index] if 0 <= index < len(self._final_logs) else ""
        try:
            return self._logs[index].read_text(errors="replace")
        except (IndexError, OSError):
            return ""

    def cpu_seconds(self, index: int) -> float:
        """CPU time (user + system) worker ``index`` has used so far (needs psutil)."""
        import psutil

        times = psutil.Process(self.processes[index].pid).cpu_times()
        return times.user + times.system

    def listening(self) -> list[tuple[str, int]]:
        """``(address, port)`` of every listening TCP socket in the workers' network: their private namespace
        when isolated, else this host's sockets owned by the workers (Linux; elsewhere psutil)."""
        if _linux():
            found = set()
            for process in self.processes:
                if process.poll() is None:
                    found |= set(_proc_listening(process.pid, owned_only=not self.isolated))
            return sorted(found)
        import psutil

        found = set()
        for pid in self.pids():
            try:
                connections = psutil.Process(pid).net_connections(kind="inet")
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            found |= {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
        return sorted(found)

    def interfaces(self, index: int = 0) -> list[str]:
        """Network interfaces worker ``index`` can use (Linux: read from its ``/proc/<pid>/net/dev``)."""
        try:
            lines = Path(f"/proc/{self.processes[index].pid}/net/dev").read_text().splitlines()[2:]
        except (IndexError, OSError):
            return []
        return sorted(line.split(":", 1)[0].strip() for line in lines)


def _hex_address(text: str) -> str:
    """An address from /proc/net/tcp{,6} (hex, 32-bit words in host order) as a string."""
    raw = bytes.fromhex(text)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) if sys.byteorder == "little" else raw
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)


def _proc_listening(pid: int, owned_only: bool) -> list[tuple[str, int]]:
    """Listening TCP sockets in the network namespace of ``pid`` (only those it owns when ``owned_only``)."""
    owned = set()
    if owned_only:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    owned.add(target[8:-1])
        except OSError:
            return []
    found = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or (owned_only and fields[9] not in owned):  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            found.append((_hex_address(address), int(port, 16)))
    return found


def reachable(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds from this process (something listens there)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:  # refused, unreachable or timed out
        return False

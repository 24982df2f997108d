"""Dataset loaders that work online, offline and in CI, and never return a silently wrong dataset.

Each loader looks for its files in this order:

1. ``COURSE_DATA_DIR``: a folder of course copies (the npz files described in ``../shared/datasets/README.md``);
2. the course cache, ``data/`` in the repository (``COURSE_CACHE_DIR`` overrides it), filled by ``make data``;
3. Keras' own download from the dataset's origin, verified with its checksum, into that cache.

Every local file is checked against known digests before use, so a truncated or corrupted file stops with a
one-line :class:`~utils.errors.DatasetError` that says which file and what to do.

IMDB's course copy stores its text as fixed-width UTF-32 (~2.7 GB once inflated; 4 to 12 s). After the first
load from either source (``imdb.npz`` or the aclImdb archive), :func:`load_imdb_text` writes a compact copy
into the cache, ``imdb_text_cache.npz`` (uncompressed UTF-8 bytes and offsets per split, labels, ids, ratings),
so later loads take well under 2 s. Its sidecar ``imdb_text_cache.npz.sha256`` records the copy's sha256 and
that of the source file it was built from. Each load verifies both; a copy that is corrupted, truncated, or
built from another source is rebuilt from the source, with a one-line note. Both files are written atomically.

Loaders return NumPy arrays shaped as ``keras.datasets`` returns them. ``n_train``/``n_test`` ask for a
deterministic, stratified subset (every class present), which is what smoke mode uses.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib
import io
import json
import os
import pickle
import re
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ArgumentError, DatasetError

REPO_ROOT = Path(__file__).resolve().parent.parent
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
IMDB_CLASSES = ["negative", "positive"]

# The exact CIFAR-10 course copy holds only this prefix of the original order (see the shared README).
CIFAR10_EXACT_PREFIX = (4000, 1000)


@dataclass(frozen=True)
class KnownFile:
    """A data file the course accepts: its path inside a data folder and the digests it may have."""

    name: str
    digests: tuple[str, ...]  # sha256 (64 hex) or md5 (32 hex); the first is the download's own
    origin: str | None = None  # where Keras downloads it from; None for course-only copies


MNIST_NPZ = KnownFile(
    "mnist.npz",
    ("731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",   # Keras' file
     "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"),  # course copy, same arrays
    KERAS_ORIGIN + "mnist.npz",
)
# Keras downloads Fashion-MNIST without a checksum; these are the MD5s Zalando publishes.
FASHION_MNIST_FILES = tuple(
    KnownFile(f"fashion-mnist/{name}", (md5,), KERAS_ORIGIN + name)
    for name, md5 in [
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    ]
)
CIFAR10_TAR = KnownFile(
    "cifar-10-python.tar.gz",
    ("6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",),
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
)
CIFAR10_EXACT_PREFIX_NPZ = KnownFile(
    "cifar10.npz", ("ed7831a9dd2057c43a3af702633633caa793fa4d8f6c6c74e5d842bd39120c23",)
)
CIFAR10_LOSSY_NPZ = KnownFile(
    "cifar10_full_lossy_jpeg.npz", ("0736f91a2c5747ef6d475306c82bd89daf0e2b2c0016bea3755a8887dea6c1cf",)
)
IMDB_NPZ = KnownFile("imdb.npz", ("8a78e8800f037ade75f67d6aea97fb714f95cbfae34e8ae8a5824820370f5ace",))
ACLIMDB_TAR = KnownFile(
    "aclImdb_v1.tar.gz",
    ("c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",),
    "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
)
DOWNLOADABLE = {"mnist": (MNIST_NPZ,), "fashion_mnist": FASHION_MNIST_FILES,
                "cifar10": (CIFAR10_TAR,), "imdb": (ACLIMDB_TAR,)}


# ---------------------------------------------------------------------------------------------- locations
def cache_dir() -> Path:
    """Where downloads are kept: ``COURSE_CACHE_DIR`` or ``data/`` in the repository."""
    return Path(os.environ.get("COURSE_CACHE_DIR") or REPO_ROOT / "data").expanduser()


def data_dirs() -> list[Path]:
    """The folders searched for local copies, in order: ``COURSE_DATA_DIR`` (if set), then the cache."""
    dirs = []
    given = os.environ.get("COURSE_DATA_DIR")
    if given:
        path = Path(given).expanduser()
        if not path.is_dir():
            raise DatasetError(f"COURSE_DATA_DIR={given!r} is not a folder: point it at a folder of course "
                               "data files (e.g. ../shared/datasets) or unset it")
        dirs.append(path)
    dirs.append(cache_dir())
    return dirs


# (path, size, mtime) of each file checked in this process -> the sha256 (or md5) it was found to have.
_verified: dict[tuple[str, int, int], str] = {}


def _state(path: Path, stat: os.stat_result) -> tuple[str, int, int]:
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_file(path: Path, known: KnownFile) -> Path:
    """Check ``path`` against the digests the course accepts for it; raise a one-line error if none match."""
    matched_digest(path, known)
    return path


def matched_digest(path: Path, known: KnownFile) -> str:
    """Which of ``known``'s digests ``path`` has (computed once per file state); a one-line error if none."""
    key = _state(path, path.stat())
    if _verified.get(key) in known.digests:
        return _verified[key]
    for algorithm in sorted({"sha256" if len(d) == 64 else "md5" for d in known.digests}):
        if (digest := file_digest(path, algorithm)) in known.digests:
            _verified[key] = digest
            return digest
    raise DatasetError(f"{path} is truncated or corrupted (its checksum matches no known copy of "
                       f"{known.name}): delete it, then run `make data` or restore it from your course copy")


def find_local(known: KnownFile) -> Path | None:
    """The first verified copy of ``known`` in the data folders, or None if there is none."""
    for folder in data_dirs():
        path = folder / known.name
        if path.is_file():
            return verify_file(path, known)
    return None


def download(known: KnownFile, dataset: str) -> Path:
    """Download ``known`` into the cache with Keras, which verifies the checksum."""
    from .runmode import quiet_native_stderr

    with quiet_native_stderr():
        import keras

    target = cache_dir() / known.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fetched = keras.utils.get_file(
            fname=target.name, origin=known.origin, file_hash=known.digests[0],
            cache_dir=str(cache_dir()), cache_subdir=str(Path(known.name).parent),
        )
    except Exception as exc:  # Keras raises a bare Exception for network failures
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise DatasetError(
            f"{dataset} is not available: no local copy of {known.name} (looked in "
            f"{', '.join(str(d) for d in data_dirs())}) and the download failed ({reason}). Set "
            "COURSE_DATA_DIR to a folder of course data files, or run `make data` once while online"
        ) from None
    return verify_file(Path(fetched), known)


def locate(known: KnownFile, dataset: str) -> Path:
    return find_local(known) or download(known, dataset)


# ---------------------------------------------------------------------------------------------- subsets
def _check_count(name: str, value) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1):
        raise ArgumentError(f"{name} must be a positive int or None (all examples), got {value!r}")


def stratified_subset(labels, n: int, *, seed: int = 0, pool: int | None = None) -> np.ndarray:
    """Indices of a deterministic subset of ``n`` examples with every class present, in original order.

    Each class gets a share proportional to its frequency (at least one example). ``pool`` restricts the
    choice to the first ``pool`` examples. The same labels, ``n`` and ``seed`` always give the same indices.
    """
    labels = np.asarray(labels).reshape(-1)
    _check_count("n", n)
    if pool is not None:
        labels = labels[:pool]
    classes, counts = np.unique(labels, return_counts=True)
    if n > len(labels):
        raise ArgumentError(f"asked for {n} examples but only {len(labels)} are available")
    if n < len(classes):
        raise ArgumentError(f"a stratified subset needs n >= {len(classes)} (one per class), got n={n}")
    quota = np.maximum(1, np.floor(n * counts / counts.sum()).astype(int))
    # Hand out what rounding left over to the classes with the largest remainders.
    remainders = n * counts / counts.sum() - np.floor(n * counts / counts.sum())
    for i in np.argsort(-remainders, kind="stable"):
        if quota.sum() >= n:
            break
        quota[i] += 1
    while quota.sum() > n:  # the "at least one" rule can overshoot when n is tiny
        quota[np.argmax(quota)] -= 1
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota, strict=True)]
    return np.sort(np.concatenate(chosen))


def _subset(x, y, n, seed, pool=None):
    if n is None or (pool is None and n == len(y)):
        return x, y
    idx = stratified_subset(y, n, seed=seed, pool=pool)
    return x[idx], y[idx]


def _split(train, test, n_train, n_test, seed, pools=(None, None)):
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    return (_subset(*train, n_train, seed, pools[0]), _subset(*test, n_test, seed + 1, pools[1]))


# ---------------------------------------------------------------------------------------------- loaders
def load_mnist(n_train: int | None = None, n_test: int | None = None, *, seed: int = 0):
    """MNIST digits as ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 28, 28), uint8 labels (n,)."""
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    with np.load(locate(MNIST_NPZ, "MNIST"), allow_pickle=False) as d:
        train, test = (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
    return _split(train, test, n_train, n_test, seed)


def _read_idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load_fashion_mnist(n_train: int | None = None, n_test: int | None = None, *, seed: int = 0):
    """Fashion-MNIST, shaped like :func:`load_mnist`; class names in ``FASHION_MNIST_CLASSES``."""
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    paths = [locate(f, "Fashion-MNIST") for f in FASHION_MNIST_FILES]
    y_train, y_test = _read_idx(paths[0], 8), _read_idx(paths[2], 8)
    x_train = _read_idx(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = _read_idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return _split((x_train, y_train), (x_test, y_test), n_train, n_test, seed)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches: dicts, lists and NumPy arrays, and nothing that could run code."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")
        return getattr(importlib.import_module(module.replace("numpy.core", "numpy._core")), name)


def read_cifar10_tar(path: Path):
    """Read Keras' ``cifar-10-python.tar.gz`` without extracting it: arrays as ``keras.datasets`` returns."""
    batches = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            base = member.name.rsplit("/", 1)[-1]
            if base.startswith("data_batch_") or base == "test_batch":
                raw = _NumpyOnlyUnpickler(tar.extractfile(member), encoding="bytes").load()
                images = np.asarray(raw[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
                batches[base] = (images, np.asarray(raw[b"labels"], np.uint8).reshape(-1, 1))
    names = [f"data_batch_{i}" for i in range(1, 6)]
    if set(batches) != {*names, "test_batch"}:
        raise DatasetError(f"{path} does not hold the six CIFAR-10 batches: delete it and run `make data`")
    x_train = np.concatenate([batches[n][0] for n in names])
    y_train = np.concatenate([batches[n][1] for n in names])
    return (x_train, y_train), batches["test_batch"]


def _decode_jpegs(buffer: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    from PIL import Image

    return np.stack([np.asarray(Image.open(io.BytesIO(buffer[a:b].tobytes())).convert("RGB"))
                     for a, b in zip(offsets[:-1], offsets[1:], strict=True)]).astype(np.uint8)


def load_cifar10(n_train: int | None = None, n_test: int | None = None, *, seed: int = 0,
                 announce: Callable[[str], None] = print):
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``: uint8 (n, 32, 32, 3) images, uint8 (n, 1) labels.

    Subsets that fit in the first 4,000 training and 1,000 test images are drawn from that prefix, so
    smoke mode sees the same pixels whichever source is used. Sources, best first: a bit-exact copy that
    covers the request (the course's 4,000/1,000 prefix, or Keras' full archive), then the course's full
    but lossy JPEG copy (announced in one line), then Keras' download.
    """
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    n_exact_train, n_exact_test = CIFAR10_EXACT_PREFIX
    prefix_only = (n_train or 10**9) <= n_exact_train and (n_test or 10**9) <= n_exact_test
    pools = (n_exact_train, n_exact_test) if prefix_only else (None, None)

    if prefix_only and (path := find_local(CIFAR10_EXACT_PREFIX_NPZ)):
        with np.load(path, allow_pickle=False) as d:
            train, test = (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
    elif path := find_local(CIFAR10_TAR):
        train, test = read_cifar10_tar(path)
    elif path := find_local(CIFAR10_LOSSY_NPZ):
        announce("Note: full CIFAR-10 comes from the course's lossy JPEG copy; its pixels differ slightly from "
                 "the original images (expect a few points lower accuracy).")
        with np.load(path, allow_pickle=False) as d:
            train = (_decode_jpegs(d["train_jpeg"], d["train_offsets"]), d["y_train"])
            # Only the first 1,000 test images keep their original order: shuffle before slicing.
            test = (_decode_jpegs(d["test_jpeg"], d["test_offsets"]), d["y_test"])
    else:
        train, test = read_cifar10_tar(download(CIFAR10_TAR, "CIFAR-10"))
    return _split(train, test, n_train, n_test, seed, pools)


_ACLIMDB_REVIEW = re.compile(r"^aclImdb/(train|test)/(neg|pos)/(\d+)_(\d+)\.txt$")


def read_aclimdb_tar(path: Path, per_split: int = 25000) -> dict[str, np.ndarray]:
    """Parse the aclImdb v1 archive into the same arrays, in the same order, as the course's ``imdb.npz``.

    Order: negatives by id then positives by id, permuted by ``RandomState(113)`` (train) or ``(114)`` (test).
    """
    reviews = {"train": [], "test": []}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            match = _ACLIMDB_REVIEW.match(member.name)
            if match and member.isfile():
                split, polarity, rid, rating = match.groups()
                text = tar.extractfile(member).read().decode("utf-8")
                reviews[split].append((polarity == "pos", int(rid), int(rating), text))
    out = {}
    for split, seed in (("train", 113), ("test", 114)):
        rows = sorted(reviews[split])
        if len(rows) != per_split:
            raise DatasetError(f"{path} holds {len(rows)} {split} reviews, not {per_split}: delete it and "
                               "run `make data`")
        order = np.random.RandomState(seed).permutation(len(rows))
        rows = [rows[i] for i in order]
        out[f"x_{split}"] = np.array([r[3] for r in rows], dtype=object)
        out[f"y_{split}"] = np.array([r[0] for r in rows], dtype=np.int8)
        out[f"{split}_ids"] = np.array([r[1] for r in rows], dtype=np.int32)
        out[f"{split}_ratings"] = np.array([r[2] for r in rows], dtype=np.int8)
    return out


def read_imdb_npz(path: Path) -> dict[str, np.ndarray]:
    """The course's ``imdb.npz`` in the cache's layout (see :func:`_imdb_split`); slow: it inflates UTF-32."""
    out = {}
    with np.load(path, allow_pickle=False) as d:  # one split at a time: each one's text is ~1.4 GB as UTF-32
        for split in ("train", "test"):
            out.update(_imdb_split(split, d[f"x_{split}"], d[f"y_{split}"], d[f"{split}_ids"],
                                   d[f"{split}_ratings"]))
    return out


def _imdb_split(split: str, texts, labels, ids, ratings) -> dict[str, np.ndarray]:
    """One split as the cache holds it: texts as UTF-8 bytes (uint8) with n + 1 int64 offsets, then the rest."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in np.asarray(texts).tolist()]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return {f"{split}_text": np.frombuffer(b"".join(encoded), np.uint8), f"{split}_offsets": offsets,
            f"y_{split}": labels, f"{split}_ids": ids, f"{split}_ratings": ratings}


def _decode_texts(text: np.ndarray, offsets: np.ndarray, indices: np.ndarray) -> np.ndarray:
    view = memoryview(text)
    out = np.empty(len(indices), dtype=object)
    out[:] = [str(view[a:b], "utf-8", "surrogatepass")
              for a, b in zip(offsets[indices].tolist(), offsets[indices + 1].tolist(), strict=True)]
    return out


IMDB_CACHE = "imdb_text_cache.npz"
_IMDB_CACHE_FORMAT = 1
_IMDB_CACHE_KEYS = tuple(key for split in ("train", "test") for key in
                         (f"{split}_text", f"{split}_offsets", f"y_{split}", f"{split}_ids", f"{split}_ratings"))


def imdb_cache_paths() -> tuple[Path, Path]:
    """The IMDB text cache and its checksum sidecar (in :func:`cache_dir`)."""
    path = cache_dir() / IMDB_CACHE
    return path, path.with_name(path.name + ".sha256")


def _write_atomically(target: Path, write: Callable) -> os.stat_result:
    """Write ``target`` through a temporary file in the same folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w+b") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
            stat = os.fstat(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return stat


def _write_npz(f, arrays: dict[str, np.ndarray]) -> None:
    """An uncompressed npz with fixed timestamps, so the same arrays always give the same bytes."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key in _IMDB_CACHE_KEYS:
            with zf.open(zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w",
                         force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)


def _write_imdb_cache(arrays, source: Path, source_digest: str, announce: Callable[[str], None]) -> None:
    path, sidecar = imdb_cache_paths()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()

        def write_and_hash(f):
            _write_npz(f, arrays)
            f.seek(0)
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)

        with contextlib.suppress(FileNotFoundError):  # the old sidecar must not vouch for the new file
            sidecar.unlink()
        stat = _write_atomically(path, write_and_hash)
        record = {"format": _IMDB_CACHE_FORMAT, "sha256": digest.hexdigest(),
                  "source": source.name, "source_sha256": source_digest}
        _write_atomically(sidecar, lambda f: f.write(json.dumps(record, indent=1).encode() + b"\n"))
        _verified[_state(path, stat)] = record["sha256"]
    except OSError as exc:
        announce(f"Note: could not write the IMDB cache {path} ({exc.strerror or exc}); every load reads "
                 f"{source.name} again, which is slow.")


def _read_imdb_cache(source_digest: str) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """The cached arrays if the cache is intact and was built from the source with ``source_digest``.

    Otherwise ``(None, why)``, with ``why`` None when there simply is no cache yet. Never raises.
    """
    path, sidecar = imdb_cache_paths()
    if not path.exists() and not sidecar.exists():
        return None, None
    try:
        try:
            record = json.loads(sidecar.read_text())
        except FileNotFoundError:
            return None, "has no checksum file"
        except ValueError:
            return None, "has an unreadable checksum file"
        if not isinstance(record, dict) or record.get("format") != _IMDB_CACHE_FORMAT:
            return None, "was written by another version of the course"
        if record.get("source_sha256") != source_digest:
            return None, "was built from a different source file"
        with open(path, "rb") as f:  # verify and load through one handle: a rename in between cannot fool us
            key = _state(path, os.fstat(f.fileno()))
            if _verified.get(key) != record.get("sha256"):
                digest = hashlib.sha256()
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
                if digest.hexdigest() != record.get("sha256"):
                    return None, "is truncated or corrupted (its checksum does not match)"
                _verified[key] = digest.hexdigest()
                f.seek(0)
            with np.load(f, allow_pickle=False) as d:
                arrays = {k: d[k] for k in _IMDB_CACHE_KEYS}
        for split in ("train", "test"):
            text, offsets, y = arrays[f"{split}_text"], arrays[f"{split}_offsets"], arrays[f"y_{split}"]
            n = len(y)
            if not (text.dtype == np.uint8 and text.ndim == 1 and y.dtype == np.int8 and y.ndim == 1
                    and offsets.dtype == np.int64 and offsets.shape == (n + 1,) and offsets[0] == 0
                    and offsets[-1] == len(text) and np.all(np.diff(offsets) >= 0)
                    and arrays[f"{split}_ids"].shape == (n,) and arrays[f"{split}_ratings"].shape == (n,)):
                return None, "does not hold the arrays the course expects"
    except FileNotFoundError:
        return None, "is missing"
    except Exception as exc:  # any other failure to read it means only that it cannot be trusted
        return None, f"is unreadable ({type(exc).__name__})"
    return arrays, None


def _imdb_arrays(announce: Callable[[str], None]) -> dict[str, np.ndarray]:
    """All of IMDB in the cache's layout: from the cache if it is valid for the source, else from the source."""
    known, source = IMDB_NPZ, find_local(IMDB_NPZ)
    if source is None:
        known, source = ACLIMDB_TAR, locate(ACLIMDB_TAR, "IMDB")
    source_digest = matched_digest(source, known)
    arrays, problem = _read_imdb_cache(source_digest)
    if arrays is not None:
        return arrays
    if problem:
        announce(f"Note: the IMDB cache {imdb_cache_paths()[0]} {problem}; rebuilding it from {source.name} "
                 "(this load is slow, the next ones are fast).")
    if known is IMDB_NPZ:
        arrays = read_imdb_npz(source)
    else:
        data = read_aclimdb_tar(source)
        arrays = {key: value for split in ("train", "test") for key, value in _imdb_split(
            split, data[f"x_{split}"], data[f"y_{split}"], data[f"{split}_ids"], data[f"{split}_ratings"]).items()}
    _write_imdb_cache(arrays, source, source_digest, announce)
    return arrays


def load_imdb_text(n_train: int | None = None, n_test: int | None = None, *, seed: int = 0,
                   announce: Callable[[str], None] = print):
    """The IMDB Large Movie Review dataset as raw text: ``(texts_train, y_train), (texts_test, y_test)``.

    Texts are Python strings (object arrays) with the original ``<br />`` tags; labels are int8,
    1 = positive. Both sources (the course's ``imdb.npz`` and the aclImdb archive) give identical splits.
    The first load is slow and writes a verified cache (see the module docstring); later loads read
    that. ``announce`` gets a one-line note when the cache had to be rebuilt or could not be written.
    """
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    data = _imdb_arrays(announce)
    y_train, y_test = data["y_train"], data["y_test"]
    # Subset the positions with the same rule as every loader, then decode only the chosen texts.
    (i_train, y_train), (i_test, y_test) = _split((np.arange(len(y_train)), y_train),
                                                  (np.arange(len(y_test)), y_test), n_train, n_test, seed)
    return ((_decode_texts(data["train_text"], data["train_offsets"], i_train), y_train),
            (_decode_texts(data["test_text"], data["test_offsets"], i_test), y_test))


LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist,
           "cifar10": load_cifar10, "imdb": load_imdb_text}


# ---------------------------------------------------------------------------------------------- reports
def dataset_status() -> dict[str, str]:
    """Where each dataset would come from right now, without downloading anything."""
    def where(*candidates: KnownFile) -> str | None:
        try:
            found = [find_local(known) for known in candidates]
        except DatasetError as exc:
            return f"CORRUPTED: {exc}"
        return str(found[0].parent if len(found) > 1 else found[0]) if all(found) else None

    cifar_prefix = where(CIFAR10_EXACT_PREFIX_NPZ)
    if cifar_prefix and not cifar_prefix.startswith("CORRUPTED"):
        lossy = where(CIFAR10_LOSSY_NPZ)
        cifar_prefix += " (exact 4,000/1,000 prefix" + (f"; full set as lossy JPEG: {lossy})" if lossy else ")")
    status = {
        "mnist": where(MNIST_NPZ),
        "fashion_mnist": where(*FASHION_MNIST_FILES),
        "cifar10": where(CIFAR10_TAR) or cifar_prefix,
        "imdb": where(IMDB_NPZ) or where(ACLIMDB_TAR),
    }
    return {name: value or "not local (downloads on first use, or run `make data`)"
            for name, value in status.items()}


def download_all(announce: Callable[[str], None] = print) -> int:
    """Fetch every dataset's original files into the cache and verify them (``make data``). Returns failures."""
    failures = 0
    for dataset, files in DOWNLOADABLE.items():
        for known in files:
            try:
                announce(f"{dataset:14s} {locate(known, dataset)}  (checksum OK)")
            except DatasetError as exc:
                failures += 1
                announce(f"{dataset:14s} FAILED: {exc}")
    return failures

"""The IMDB text cache: same arrays as the uncached loader, used on later loads, verified, rebuilt when bad."""

import functools
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

import utils
from utils import datasets
from utils.errors import DatasetError

SHARED = Path(os.environ.get("COURSE_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "datasets")

REVIEWS = ["A <br />great film.", "Terrible, 0/10", "Café crème — naïve 🎬", "", "x" * 300, "Ünïcödé\tand\nlines",
           "meh", "Best. Movie. Ever!", "trailing space ", "日本語のレビュー"]


def reviews(n, salt=""):
    return [f"{REVIEWS[i % len(REVIEWS)]} #{i}{salt}" for i in range(n)]


def write_course_npz(path, salt="", n=(60, 40)):
    """A small file in the layout of the course's imdb.npz: fixed-width unicode text, int8 labels, ids, ratings."""
    rng = np.random.default_rng(len(salt))
    arrays = {}
    for split, count in zip(("train", "test"), n, strict=True):
        arrays[f"x_{split}"] = np.array(reviews(count, salt))  # fixed-width <U..., as in the course copy
        arrays[f"y_{split}"] = rng.permutation(np.arange(count) % 2).astype(np.int8)
        arrays[f"{split}_ids"] = rng.permutation(count).astype(np.int32)
        arrays[f"{split}_ratings"] = rng.integers(1, 11, count).astype(np.int8)
    np.savez_compressed(path, **arrays)
    return path


def uncached_reference(path, n_train, n_test, seed=0):
    """What load_imdb_text returned before the cache existed, for a course-format npz."""
    with np.load(path, allow_pickle=False) as d:
        train, test = (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
    (x, y), (xt, yt) = datasets._split(train, test, n_train, n_test, seed)
    return (x.astype(object), y), (xt.astype(object), yt)


def assert_same(got, expected):
    for (x, y), (ex, ey) in zip(got, expected, strict=True):
        assert x.dtype == object and x.shape == ex.shape and all(type(t) is str for t in x)
        assert x.tolist() == ex.tolist()
        assert y.dtype == np.int8 and y.tolist() == ey.tolist()


def use_known(monkeypatch, name, *paths):
    """Make the loader accept the given synthetic files as the course's ``name`` (IMDB_NPZ or ACLIMDB_TAR)."""
    known = getattr(datasets, name)
    digests = tuple(datasets.file_digest(p, "sha256") for p in paths)
    monkeypatch.setattr(datasets, name, datasets.KnownFile(known.name, digests, "http://127.0.0.1:9/x"))


def fail(*args, **kwargs):
    raise AssertionError("the slow source reader was called although the cache is valid")


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A synthetic imdb.npz in COURSE_DATA_DIR, an empty cache in tmp_path, a fresh checksum memo."""
    folder = tmp_path / "course"
    folder.mkdir()
    source = write_course_npz(folder / "imdb.npz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "_verified", {})
    use_known(monkeypatch, "IMDB_NPZ", source)
    return source


def load(*args, **kwargs):
    notes = []
    result = utils.load_imdb_text(*args, announce=notes.append, **kwargs)
    return result, notes


# --------------------------------------------------------------------------- synthetic course copies
@pytest.mark.parametrize("n_train, n_test, seed", [(None, None, 0), (10, 6, 0), (10, 6, 3), (60, 7, 1)])
def test_cached_loads_return_what_the_uncached_loader_returned(course, n_train, n_test, seed):
    expected = uncached_reference(course, n_train, n_test, seed)
    first, notes = load(n_train, n_test, seed=seed)
    assert_same(first, expected)
    assert datasets.imdb_cache_paths()[0].is_file() and not notes
    second, notes = load(n_train, n_test, seed=seed)
    assert_same(second, expected)
    assert not notes


def test_second_load_reads_only_the_cache(course, monkeypatch):
    load(10, 6)
    monkeypatch.setattr(datasets, "read_imdb_npz", fail)
    monkeypatch.setattr(datasets, "_verified", {})  # as in a new process: the cache is checksummed again
    got, notes = load(10, 6)
    assert_same(got, uncached_reference(course, 10, 6))
    assert not notes


def test_cache_records_its_own_and_its_sources_checksum(course):
    load(10, 6)
    path, sidecar = datasets.imdb_cache_paths()
    record = json.loads(sidecar.read_text())
    assert record["sha256"] == datasets.file_digest(path, "sha256")
    assert record["source"] == "imdb.npz" and record["source_sha256"] == datasets.file_digest(course, "sha256")
    with np.load(path, allow_pickle=False) as d:  # a plain, uncompressed npz with UTF-8 text and int64 offsets
        assert d["train_text"].dtype == np.uint8 and d["train_offsets"].dtype == np.int64
        assert bytes(d["train_text"][d["train_offsets"][0]:d["train_offsets"][1]]).decode() == reviews(1)[0]
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, sidecar.name])  # no temp files


def flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def garbage(path):
    path.write_bytes(b"PK\x03\x04 not an npz")


def edit_sidecar(**changes):
    def edit(_):
        sidecar = datasets.imdb_cache_paths()[1]
        sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), **changes}))
    return edit


CORRUPTIONS = {
    "flipped byte": (flip_byte, "truncated or corrupted"),
    "truncated": (truncate, "truncated or corrupted"),
    "not an npz": (garbage, "truncated or corrupted"),
    "no sidecar": (lambda p: datasets.imdb_cache_paths()[1].unlink(), "no checksum file"),
    "cache deleted": (lambda p: p.unlink(), "is missing"),
    "sidecar not json": (lambda p: datasets.imdb_cache_paths()[1].write_text("{oops"), "unreadable checksum"),
    "sidecar wrong digest": (edit_sidecar(sha256="0" * 64), "truncated or corrupted"),
    "other source": (edit_sidecar(source_sha256="0" * 64), "different source"),
    "other format": (edit_sidecar(format=0), "another version"),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_bad_cache_is_rebuilt_with_a_one_line_note(course, monkeypatch, corrupt):
    corrupt_it, reason = corrupt
    expected = uncached_reference(course, 10, 6)
    load(10, 6)
    corrupt_it(datasets.imdb_cache_paths()[0])
    monkeypatch.setattr(datasets, "_verified", {})  # a new process (file times may not have moved yet)
    got, notes = load(10, 6)
    assert_same(got, expected)
    assert len(notes) == 1 and "\n" not in notes[0] and reason in notes[0] and "rebuilding" in notes[0]
    monkeypatch.setattr(datasets, "read_imdb_npz", fail)
    monkeypatch.setattr(datasets, "_verified", {})
    got, notes = load(10, 6)  # the rebuilt cache is valid again
    assert_same(got, expected)
    assert not notes


def test_a_consistent_cache_of_other_data_is_not_used(course, tmp_path, monkeypatch):
    """A cache and sidecar that agree with each other, but were built from another file, are rebuilt."""
    load(10, 6)
    other = write_course_npz(tmp_path / "course" / "imdb.npz", salt=" (other)")
    use_known(monkeypatch, "IMDB_NPZ", other)
    got, notes = load(10, 6)
    assert_same(got, uncached_reference(other, 10, 6))
    assert len(notes) == 1 and "different source" in notes[0]


def test_a_corrupted_source_still_fails_in_one_line_even_with_a_cache(course):
    load(10, 6)
    flip_byte(course)
    with pytest.raises(DatasetError, match="truncated or corrupted"):
        utils.load_imdb_text(10, 6)


def test_an_interrupted_write_leaves_no_half_file(course, monkeypatch):
    real = np.lib.format.write_array
    calls = []

    def interrupted(f, array, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            f.write(b"\0" * 1000)
            raise KeyboardInterrupt
        real(f, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load(10, 6)
    assert not datasets.cache_dir().exists() or not any(datasets.cache_dir().iterdir())
    monkeypatch.setattr(np.lib.format, "write_array", real)
    got, notes = load(10, 6)  # no cache at all: built silently, like the first time
    assert_same(got, uncached_reference(course, 10, 6))
    assert not notes and datasets.imdb_cache_paths()[0].is_file()


def test_an_unwritable_cache_is_announced_and_the_data_still_returned(course, tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker))
    got, notes = load(10, 6)
    assert_same(got, uncached_reference(course, 10, 6))
    assert len(notes) == 1 and "could not write the IMDB cache" in notes[0]


def test_the_cache_is_deterministic(course, monkeypatch):
    load()
    path = datasets.imdb_cache_paths()[0]
    first = path.read_bytes()
    path.unlink()
    load()
    assert path.read_bytes() == first  # concurrent writers of the same data write the same bytes


# --------------------------------------------------------------------------- the aclImdb download path
def _add(tar, name, text):
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_aclimdb_archive_fills_the_same_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "_verified", {})
    (tmp_path / "cache").mkdir()
    path = tmp_path / "cache" / "aclImdb_v1.tar.gz"
    texts = iter(reviews(24))
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for polarity, rating in (("neg", 2), ("pos", 9)):
                for rid in range(6):
                    _add(tar, f"aclImdb/{split}/{polarity}/{rid}_{rating}.txt", next(texts))
    use_known(monkeypatch, "ACLIMDB_TAR", path)
    monkeypatch.setattr(datasets, "read_aclimdb_tar",
                        functools.partial(datasets.read_aclimdb_tar, per_split=12))
    data = datasets.read_aclimdb_tar(path)
    (x, y), (xt, yt) = datasets._split((data["x_train"], data["y_train"]), (data["x_test"], data["y_test"]),
                                       8, 4, 0)
    got, notes = load(8, 4)
    assert_same(got, ((x, y), (xt, yt)))
    record = json.loads(datasets.imdb_cache_paths()[1].read_text())
    assert record["source"] == "aclImdb_v1.tar.gz" and not notes
    monkeypatch.setattr(datasets, "read_aclimdb_tar", fail)
    monkeypatch.setattr(datasets, "_verified", {})
    got, notes = load(8, 4)
    assert_same(got, ((x, y), (xt, yt)))
    assert not notes


# --------------------------------------------------------------------------- the course's real copy
@pytest.fixture(scope="session")
def real_cache(tmp_path_factory):
    """Build the cache from the course's real imdb.npz once per session, keeping the uncached answers."""
    if not (SHARED / "imdb.npz").is_file():
        pytest.skip("the course's imdb.npz is not available (set COURSE_DATA_DIR)")
    cache = tmp_path_factory.mktemp("imdb_cache")
    expected = {}
    real_split = datasets._imdb_split

    def spy(split, texts, labels, ids, ratings):
        # texts is the course copy's fixed-width array: compute what the uncached loader returned from it.
        n = {"train": 2000, "test": 1000}[split]
        idx = utils.stratified_subset(labels, n, seed=0 if split == "train" else 1)
        expected[split] = (texts[idx].astype(object), labels[idx])
        expected[f"{split}_all"] = hashlib.sha256("\0".join(texts.tolist()).encode()).hexdigest(), labels.copy()
        return real_split(split, texts, labels, ids, ratings)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_DATA_DIR", str(SHARED))
        mp.setenv("COURSE_CACHE_DIR", str(cache))
        mp.setattr(datasets, "_imdb_split", spy)
        first = utils.load_imdb_text(2000, 1000, announce=pytest.fail)
    assert_same(first, (expected["train"], expected["test"]))
    return cache, expected


@pytest.fixture
def real(real_cache, monkeypatch):
    cache, expected = real_cache
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    monkeypatch.setattr(datasets, "read_imdb_npz", fail)
    return expected


def test_real_subset_from_the_cache_matches_the_uncached_loader(real):
    got, notes = load(2000, 1000)
    assert_same(got, (real["train"], real["test"]))
    assert not notes


def test_real_full_load_from_the_cache_matches_the_course_copy(real):
    (x, y), (xt, yt) = utils.load_imdb_text(announce=pytest.fail)
    for texts, labels, split in ((x, y, "train"), (xt, yt, "test")):
        digest, expected_labels = real[f"{split}_all"]
        assert texts.shape == (25000,) and type(texts[0]) is str and labels.dtype == np.int8
        assert hashlib.sha256("\0".join(texts.tolist()).encode()).hexdigest() == digest
        np.testing.assert_array_equal(labels, expected_labels)
        assert np.bincount(labels).tolist() == [12500, 12500]


def test_imdb_text_from_course_copy(real):
    (x, y), (xt, yt) = utils.load_imdb_text(40, 20, announce=pytest.fail)
    assert x.shape == (40,) and isinstance(x[0], str) and sorted(set(y)) == [0, 1] and len(xt) == 20
    assert "<br />" in "".join(utils.load_imdb_text(announce=pytest.fail)[0][0][:200])


def test_real_cache_is_small(real_cache):
    path = real_cache[0] / datasets.IMDB_CACHE
    assert path.stat().st_size < 100 * 2**20  # vs ~2.7 GB of UTF-32 once the course copy is inflated
    assert os.path.isfile(str(path) + ".sha256")

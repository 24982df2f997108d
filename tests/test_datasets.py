import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

import utils
from utils import datasets
from utils.errors import ArgumentError, DatasetError


def one_line(exc) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------- stratified subsets
def test_stratified_subset_is_deterministic_sized_and_covers_every_class():
    labels = np.repeat(np.arange(10), [500, 20, 300, 300, 300, 300, 300, 300, 300, 5])
    a = utils.stratified_subset(labels, 50, seed=1)
    b = utils.stratified_subset(labels, 50, seed=1)
    np.testing.assert_array_equal(a, b)
    assert len(a) == 50 and len(set(a)) == 50 and np.all(np.diff(a) > 0)
    assert set(labels[a]) == set(range(10))
    assert not np.array_equal(a, utils.stratified_subset(labels, 50, seed=2))


def test_stratified_subset_keeps_class_proportions():
    labels = np.repeat([0, 1], [900, 100])
    counts = np.bincount(labels[utils.stratified_subset(labels, 100)])
    assert counts.tolist() == [90, 10]


def test_stratified_subset_pool_restricts_the_choice():
    labels = np.tile(np.arange(4), 100)
    assert utils.stratified_subset(labels, 8, pool=40).max() < 40


@pytest.mark.parametrize("n, message", [(3, "n >= 4"), (1000, "only 400"), (0, "positive int"),
                                        (2.5, "positive int")])
def test_stratified_subset_rejects_impossible_sizes(n, message):
    with pytest.raises(ArgumentError, match=message):
        utils.stratified_subset(np.tile(np.arange(4), 100), n)


def test_loader_rejects_a_bad_count_in_one_line():
    with pytest.raises(ArgumentError) as err:
        utils.load_mnist(n_train=-5)
    assert "n_train must be a positive int" in one_line(err)


# --------------------------------------------------------------------------- clear failures
@pytest.mark.parametrize("loader, name", [(utils.load_mnist, "MNIST"), (utils.load_fashion_mnist, "Fashion-MNIST"),
                                          (utils.load_cifar10, "CIFAR-10"), (utils.load_imdb_text, "IMDB")])
def test_offline_with_empty_cache_fails_in_one_line(offline_empty, loader, name):
    with pytest.raises(DatasetError) as err:
        loader()
    message = one_line(err)
    assert message.startswith(f"{name} is not available")
    assert "COURSE_DATA_DIR" in message and "make data" in message


def test_corrupted_course_copy_is_detected(offline_empty, monkeypatch):
    folder = offline_empty / "course"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"PK\x03\x04 this is not the MNIST archive")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(DatasetError) as err:
        utils.load_mnist()
    message = one_line(err)
    assert str(folder / "mnist.npz") in message and "corrupted" in message and "make data" in message


def test_truncated_cache_file_is_detected_not_used(offline_empty, shared_data, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR")
    cache = datasets.cache_dir()
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes((shared_data / "mnist.npz").read_bytes()[:1_000_000])
    with pytest.raises(DatasetError, match="truncated or corrupted"):
        utils.load_mnist()


def test_course_data_dir_that_is_not_a_folder_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(DatasetError) as err:
        utils.load_mnist()
    assert "is not a folder" in one_line(err)


# --------------------------------------------------------------------------- real copies
def test_mnist_from_course_copy(shared_data):
    (x, y), (xt, yt) = utils.load_mnist()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y[:5].tolist() == [5, 0, 4, 1, 9]
    (xs, ys), (xts, yts) = utils.load_mnist(600, 100)
    assert xs.shape == (600, 28, 28) and set(ys) == set(range(10)) and set(yts) == set(range(10))


def test_cifar10_smoke_subsets_come_from_the_exact_prefix(shared_data):
    announced = []
    (x, y), (xt, yt) = utils.load_cifar10(400, 100, announce=announced.append)
    assert x.shape == (400, 32, 32, 3) and y.shape == (400, 1) and xt.shape == (100, 32, 32, 3)
    assert set(y.ravel()) == set(range(10)) and not announced


def test_cifar10_full_request_announces_the_lossy_copy(shared_data):
    if not (shared_data / "cifar10_full_lossy_jpeg.npz").is_file():
        pytest.skip("no lossy CIFAR-10 copy")
    announced = []
    (x, y), (xt, yt) = utils.load_cifar10(n_train=5000, n_test=100, announce=announced.append)
    assert x.shape == (5000, 32, 32, 3) and len(announced) == 1 and "lossy" in announced[0]


# test_imdb_text_from_course_copy lives in test_imdb_cache.py, which builds the IMDB cache once.


def test_imdb_course_copy_follows_the_documented_order(shared_data):
    with np.load(shared_data / "imdb.npz") as d:
        ids, labels = d["train_ids"], d["y_train"]
    order = np.random.RandomState(113).permutation(25000)
    np.testing.assert_array_equal(np.r_[np.arange(12500), np.arange(12500)][order], ids)
    np.testing.assert_array_equal(np.repeat([0, 1], 12500)[order], labels)


# --------------------------------------------------------------------------- archive readers
def _add(tar, name, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_read_aclimdb_tar_orders_reviews_like_the_course_copy(tmp_path):
    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for polarity, rating in (("neg", 2), ("pos", 9)):
                for rid in range(3):
                    _add(tar, f"aclImdb/{split}/{polarity}/{rid}_{rating}.txt", f"{split} {polarity} {rid}".encode())
        _add(tar, "aclImdb/train/unsup/0_0.txt", b"unlabelled")
    data = datasets.read_aclimdb_tar(path, per_split=6)
    order = np.random.RandomState(113).permutation(6)
    expected = [f"train {p} {i}" for p in ("neg", "pos") for i in range(3)]
    assert data["x_train"].tolist() == [expected[i] for i in order]
    assert data["y_train"].tolist() == [int(expected[i].split()[1] == "pos") for i in order]
    assert sorted(data["test_ratings"].tolist()) == [2, 2, 2, 9, 9, 9]
    with pytest.raises(DatasetError, match="not 25000"):
        datasets.read_aclimdb_tar(path)


def _cifar_batch(n, offset):
    data = (np.arange(n * 3072) + offset).astype(np.uint8).reshape(n, 3072)
    return pickle.dumps({b"data": data, b"labels": [(i + offset) % 10 for i in range(n)]}, protocol=4)


def test_read_cifar10_tar_matches_keras_layout(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for i in range(1, 6):
            _add(tar, f"cifar-10-batches-py/data_batch_{i}", _cifar_batch(2, i))
        _add(tar, "cifar-10-batches-py/test_batch", _cifar_batch(3, 0))
    (x, y), (xt, yt) = datasets.read_cifar10_tar(path)
    assert x.shape == (10, 32, 32, 3) and y.shape == (10, 1) and xt.shape == (3, 32, 32, 3)
    # channels-first rows become channels-last images, as keras.datasets.cifar10 returns them
    raw = (np.arange(2 * 3072) + 1).astype(np.uint8).reshape(2, 3, 32, 32)
    np.testing.assert_array_equal(x[:2], raw.transpose(0, 2, 3, 1))


def test_cifar_reader_refuses_pickles_that_run_code(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "cifar-10-batches-py/data_batch_1", pickle.dumps(print))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        datasets.read_cifar10_tar(path)


def test_read_idx_skips_the_header(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x03" + bytes([4, 2, 7])))
    assert datasets._read_idx(path, 8).tolist() == [4, 2, 7]


def test_status_reports_without_downloading(offline_empty):
    status = datasets.dataset_status()
    assert set(status) == {"mnist", "fashion_mnist", "cifar10", "imdb"}
    assert all("not local" in v for v in status.values())


def test_fashion_mnist_from_course_copy(shared_data):
    if not (shared_data / "fashion-mnist").is_dir():
        pytest.skip("no Fashion-MNIST copy in $COURSE_DATA_DIR/fashion-mnist/")
    assert datasets.dataset_status()["fashion_mnist"] == str(shared_data / "fashion-mnist")
    (x, y), (xt, yt) = utils.load_fashion_mnist()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert y[:5].tolist() == [9, 0, 0, 3, 0]
    (xs, ys), _ = utils.load_fashion_mnist(600, 100)
    assert xs.shape == (600, 28, 28) and set(ys) == set(range(10))

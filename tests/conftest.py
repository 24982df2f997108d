import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COURSE_DATA_DIR") or REPO.parent / "shared" / "datasets")


@pytest.fixture
def offline_empty(monkeypatch, tmp_path):
    """No COURSE_DATA_DIR, an empty cache, and downloads that fail at once (nothing listens on port 9)."""
    from utils import datasets

    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("MNIST_NPZ", "CIFAR10_TAR", "ACLIMDB_TAR"):
        known = getattr(datasets, name)
        monkeypatch.setattr(datasets, name, datasets.KnownFile(known.name, known.digests,
                                                               "http://127.0.0.1:9/" + known.name))
    monkeypatch.setattr(datasets, "FASHION_MNIST_FILES", tuple(
        datasets.KnownFile(f.name, f.digests, "http://127.0.0.1:9/x.gz") for f in datasets.FASHION_MNIST_FILES))
    return tmp_path


@pytest.fixture
def shared_data(monkeypatch):
    if not (SHARED / "mnist.npz").is_file():
        pytest.skip("the course's dataset copies are not available (set COURSE_DATA_DIR)")
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED))
    return SHARED


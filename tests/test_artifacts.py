import pytest

import utils
from utils.errors import ArgumentError


def test_artifacts_go_outside_chapters(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_ARTIFACTS_DIR", raising=False)
    path = utils.artifact_path("model.keras")
    assert path.parent.name == "artifacts" and "chapters" not in path.parts
    monkeypatch.setenv("COURSE_ARTIFACTS_DIR", str(tmp_path / "out"))
    assert utils.artifact_path("sub/model.tflite") == tmp_path / "out" / "sub" / "model.tflite"
    assert (tmp_path / "out" / "sub").is_dir()


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../outside.keras", None])
def test_bad_names_fail_in_one_line(name):
    with pytest.raises(ArgumentError, match="relative file name"):
        utils.artifact_path(name)

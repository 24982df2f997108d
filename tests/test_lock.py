"""The lock (requirements.txt, with the JAX add-on requirements-jax.txt) installs on every Python version that
pyproject.toml's `requires-python` allows.

pip's own resolver decides it, as `make venv` would install: binary wheels only, Linux x86-64 with glibc 2.28
(what TensorFlow's manylinux_2_27 wheels need), against PyPI, nothing installed (`--dry-run`). Each allowed minor
version is checked at its lowest allowed patch release. This needs the network and takes ~15-35 s, so it runs only
under `make lock-check` (COURSE_LOCK_CHECK=required, where being offline is a failure) or with COURSE_LOCK_CHECK=1;
`make test` skips it, saying why.
"""

import json
import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.txt"
JAX_LOCK = REPO / "requirements-jax.txt"  # the add-on pin set of `make test-jax`: it must resolve with the lock
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + ["manylinux2014_x86_64"]

pytestmark = pytest.mark.lock


def allowed_pythons() -> list[str]:
    """The lowest allowed release of each Python 3 minor version that `requires-python` admits."""
    spec = SpecifierSet(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"])
    lowest = (next((f"3.{minor}.{patch}" for patch in range(40) if f"3.{minor}.{patch}" in spec), None)
              for minor in range(8, 20))
    return [version for version in lowest if version]


def locked() -> dict[str, str]:
    pins = {}
    for line in (LOCK.read_text() + "\n" + JAX_LOCK.read_text()).splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.split(";")[0].strip()
    return pins


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory):
    """{python version: (pip's exit status, its error lines, {name: version} it would install)}, resolved in
    parallel."""
    mode = os.environ.get("COURSE_LOCK_CHECK", "")
    if not mode:
        pytest.skip("resolves the lock against PyPI for each allowed Python (network, ~15-35 s): run "
                    "`make lock-check`, or set COURSE_LOCK_CHECK=1")
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError as exc:
        message = f"PyPI is unreachable ({exc}): the lock cannot be resolved offline"
        if mode == "required":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("lock")
    runs = {}
    for version in allowed_pythons():
        report = folder / f"{version}.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--only-binary=:all:", "--implementation", "cp",
                   "--python-version", version, *(f"--platform={p}" for p in PLATFORMS),
                   "--report", str(report), "-r", str(LOCK), "-r", str(JAX_LOCK)]
        runs[version] = (subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                         report)
    results = {}
    for version, (process, report) in runs.items():
        _, stderr = process.communicate(timeout=600)
        errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
        would_install = {}
        if process.returncode == 0:
            would_install = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                             for item in json.loads(report.read_text())["install"]}
        results[version] = (process.returncode, errors, would_install)
    return results


def test_requires_python_admits_the_supported_versions():
    assert [v.rsplit(".", 1)[0] for v in allowed_pythons()] == ["3.11", "3.12", "3.13"]


@pytest.mark.parametrize("python", allowed_pythons())
def test_lock_resolves_with_its_exact_pins(resolutions, python):
    status, errors, would_install = resolutions[python]
    assert status == 0, f"Python {python}: pip cannot install the lock: " + " | ".join(errors)
    pins = locked()
    assert {name: would_install.get(name) for name in pins} == pins


@pytest.mark.parametrize("python", allowed_pythons())
def test_lock_pins_every_package_it_installs(resolutions, python):
    status, errors, would_install = resolutions[python]
    if status != 0:
        pytest.skip(f"the lock does not resolve on Python {python} (the test above says why)")
    unpinned = {name: version for name, version in would_install.items() if name not in locked()}
    assert not unpinned, (f"Python {python}: installing the lock also installs {unpinned}, which it does not pin "
                          "(`pip freeze` leaves out setuptools and wheel): pin them in requirements.txt")

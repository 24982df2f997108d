"""`make lab` serves the learner's workbook on 127.0.0.1 only, and only to requests that carry its token."""

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from utils.exercises import MARKER_BEGIN as MARKER

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb"))
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]+)")


def _wait_for_url(proc, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready and (match := URL.search(proc.stdout.readline())):
            return match
    return None


def _listening_addresses(pid, seconds=20):
    """Addresses the server's process tree listens on; the URL line can come before the socket is visible."""
    deadline = time.time() + seconds
    while True:
        root = psutil.Process(pid)
        found = [conn.laddr for p in [root, *root.children(recursive=True)]
                 for conn in p.net_connections(kind="inet") if conn.status == psutil.CONN_LISTEN]
        if found or time.time() > deadline:
            return found
        time.sleep(0.5)


def test_make_lab_listens_on_loopback_only_and_requires_the_token(tmp_path):
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    proc = subprocess.Popen(["make", "--no-print-directory", "lab"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        match = _wait_for_url(proc)
        assert match, "make lab did not print a tokenised http://127.0.0.1 URL"
        port, token = match.groups()
        listening = _listening_addresses(proc.pid)
        assert listening, "no listening socket found"
        assert all(addr.ip in ("127.0.0.1", "::1") for addr in listening), f"listening beyond loopback: {listening}"

        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=10)
        assert refused.value.code == 403
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=10) as ok:
            assert ok.status == 200
            names = {item["name"] for item in json.load(ok)["content"]}
        chapter = CHAPTERS[0].name
        assert {p.name for p in CHAPTERS} <= names, f"make lab should serve the workbook copies, got {sorted(names)}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/{chapter}?token={token}", timeout=10) as r:
            cells = json.load(r)["content"]["cells"]
        assert not any(MARKER in "".join(c["source"]) for c in cells), "the workbook copy shows a solution"
        assert any(c.get("outputs") for c in cells if c["cell_type"] == "code"), "the lesson outputs are missing"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

"""Starts LikenessTestServer (likeness serve + fault-injecting engine) for the client suites."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "lk_compat-suite-key-0123456789abcdef0123456789"
BLOCKED_PHRASE = "forbidden topic"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    binary = Path(os.environ.get("LIKENESS_TEST_SERVER", ROOT / ".build/debug/LikenessTestServer"))
    port = free_port()
    data = tempfile.mkdtemp(prefix="likeness-compat-")
    environment = dict(
        os.environ,
        LIKENESS_PORT=str(port),
        LIKENESS_DATA_DIR=data,
        LIKENESS_API_KEY=API_KEY,
        LIKENESS_SAFETY_BLOCKED_PHRASES=BLOCKED_PHRASE,
        LIKENESS_LOG_LEVEL="warning",
    )
    process = subprocess.Popen([str(binary)], env=environment)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("LikenessTestServer did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's SOF marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    index = 2
    while index < len(data):
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + length
    raise AssertionError("no SOF marker")

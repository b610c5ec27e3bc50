"""Starts LikenessTestServer (likeness serve + fault-injecting engine) for the client suites."""

import contextlib
import os
import socket
import ssl
import subprocess
import tempfile
import threading
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


LIKENESS = Path(os.environ.get("LIKENESS_BINARY", ROOT / ".build/debug/likeness"))


def wait_until_up(url: str, process: subprocess.Popen):
    """Polls `url` until it answers; fails at once if `process` exits first."""
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the process exited with {process.returncode}")
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def start_server(extra_environment: dict, scheme: str = "http", context=None, data: str | None = None):
    """Starts LikenessTestServer on a free port; `data` reuses a data directory (a restart)."""
    binary = Path(os.environ.get("LIKENESS_TEST_SERVER", ROOT / ".build/debug/LikenessTestServer"))
    port = free_port()
    data = data or tempfile.mkdtemp(prefix="likeness-compat-")
    environment = dict(
        os.environ,
        LIKENESS_PORT=str(port),
        LIKENESS_DATA_DIR=data,
        LIKENESS_API_KEY=API_KEY,
        LIKENESS_SAFETY_BLOCKED_PHRASES=BLOCKED_PHRASE,
        LIKENESS_LOG_LEVEL="warning",
        # The suites' references are drawn pictures, not faces: identity scoring is on only where a
        # test asks for it (test_identity.py).
        LIKENESS_IDENTITY_SCORING="off",
    )
    environment.update(extra_environment)
    process = subprocess.Popen([str(binary)], env=environment)
    host = "localhost" if scheme == "https" else "127.0.0.1"
    base = f"{scheme}://{host}:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/health", timeout=1, context=context)
            return process, base, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("LikenessTestServer did not start")


@pytest.fixture(scope="session")
def server():
    process, base, _ = start_server({})
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def tls_server():
    """The server over HTTPS with a fresh self-signed certificate: (port, certificate path). The
    certificate also names fal's upload hosts, which fal-client cannot be told to change: a test
    tunnels them to this server (`tunnel_to`), as an operator points them at Likeness."""
    directory = tempfile.mkdtemp(prefix="likeness-tls-")
    certificate, key = f"{directory}/cert.pem", f"{directory}/key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:rest.fal.ai,DNS:v3.fal.media"],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(cafile=certificate)
    process, _, port = start_server(
        {"LIKENESS_TLS_CERTIFICATE": certificate, "LIKENESS_TLS_PRIVATE_KEY": key}, scheme="https", context=context
    )
    yield port, certificate
    process.terminate()
    process.wait(timeout=10)


@contextlib.contextmanager
def tunnel_to(port: int):
    """An HTTP CONNECT proxy on a free port that tunnels every connection, whatever host it
    names, to 127.0.0.1:`port`. Yields the proxy's URL, for HTTPS_PROXY."""
    listener = socket.create_server(("127.0.0.1", 0))

    def pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve(client):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        if not head.startswith(b"CONNECT "):
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    def accept():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


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

"""The published contract against a live `likeness serve`: the OpenAPI document validates, and
schemathesis sends generated requests to every documented operation, with an admin key: no answer
is a 5xx, and every answer has a documented status, content type and schema."""

import json
import os
import re
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from conftest import API_KEY, LIKENESS, free_port, wait_until_up

SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv/bin/schemathesis"


@pytest.fixture(scope="module")
def live():
    """A plain `likeness serve` (the preview engine); BYOK keys that schemathesis attaches reach a
    MiniMax simulator instead of the internet."""
    simulator_port, port = free_port(), free_port()
    simulator = subprocess.Popen([str(LIKENESS), "simulate", "minimax", "--port", str(simulator_port)])
    environment = dict(
        os.environ, LIKENESS_API_KEY=API_KEY, LIKENESS_LOG_LEVEL="error",
        LIKENESS_BYOK_MINIMAX_BASE_URL=f"http://127.0.0.1:{simulator_port}", LIKENESS_BYOK_REQUESTS_PER_MINUTE="0",
    )
    server = subprocess.Popen(
        [str(LIKENESS), "serve", "--port", str(port), "--data-dir", tempfile.mkdtemp(prefix="likeness-contract-")],
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"http://127.0.0.1:{simulator_port}/simulator/requests", simulator)
        wait_until_up(base + "/health", server)
        yield base
    finally:
        for process in (server, simulator):
            process.terminate()
            process.wait(timeout=10)


def test_the_document_is_valid_openapi(live):
    with urllib.request.urlopen(live + "/openapi.json", timeout=10) as response:
        document = json.load(response)
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_schemathesis_finds_nothing(live, capsys):
    result = subprocess.run(
        [
            str(SCHEMATHESIS), "run", live + "/openapi.json", "--url", live,
            "-H", f"Authorization: Bearer {API_KEY}",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "10", "--workers", "2",
            "--request-timeout", "120", "--generation-deterministic",
        ],
        # Its example database goes to a scratch folder, not the checkout.
        capture_output=True, text=True, timeout=900, cwd=tempfile.mkdtemp(prefix="likeness-schemathesis-"),
    )
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    with capsys.disabled():
        print(f"\nschemathesis: {generated.group(0) if generated else 'no count'} test cases over every operation")
    assert result.returncode == 0, output[-6000:]

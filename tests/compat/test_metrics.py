"""Prometheus `/metrics` of a live `likeness serve`, routed to `likeness simulate minimax`, read with
the official prometheus_client parser while requests move its series."""

import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request

import openai
import pytest
from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families

from conftest import API_KEY, LIKENESS, free_port, wait_until_up


@pytest.fixture(scope="module")
def routed():
    """(Likeness base URL, simulator base URL): one MiniMax engine `up` on the simulator."""
    simulator_port, port = free_port(), free_port()
    simulator = subprocess.Popen([str(LIKENESS), "simulate", "minimax", "--port", str(simulator_port)])
    simulator_base = f"http://127.0.0.1:{simulator_port}"
    environment = dict(
        os.environ, LIKENESS_API_KEY=API_KEY, LIKENESS_LOG_LEVEL="warning", LIKENESS_ENGINES="up",
        LIKENESS_ENGINE_UP_KIND="minimax", LIKENESS_ENGINE_UP_BASE_URL=simulator_base,
        LIKENESS_ENGINE_UP_API_KEY="sk-upstream", LIKENESS_ENGINE_UP_REQUESTS_PER_MINUTE="0",
        LIKENESS_ENGINE_UP_RETRY_INITIAL_BACKOFF_MS="20",
    )
    server = subprocess.Popen(
        [str(LIKENESS), "serve", "--port", str(port), "--data-dir", tempfile.mkdtemp(prefix="likeness-metrics-")],
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(simulator_base + "/simulator/requests", simulator)
        wait_until_up(base + "/health", server)
        yield base, simulator_base
    finally:
        for process in (server, simulator):
            process.terminate()
            process.wait(timeout=10)


def scrape(base: str, key: str | None = API_KEY) -> dict:
    """Every sample as {(name, sorted labels): value}, parsed by prometheus_client."""
    request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def inject(simulator: str, *faults):
    request = urllib.request.Request(
        simulator + "/simulator/faults", data=json.dumps({"faults": list(faults)}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_metrics_need_an_admin_key(routed):
    base, _ = routed
    with pytest.raises(urllib.error.HTTPError) as caught:
        scrape(base, key=None)
    assert caught.value.code == 401


def test_series_move_with_a_success_a_refusal_an_upstream_retry_and_a_withheld_image(routed):
    base, simulator = routed
    client = OpenAI(base_url=base + "/v1", api_key=API_KEY, max_retries=0)
    before = scrape(base)

    client.images.generate(model="image-01", prompt="a lighthouse")  # a success
    with pytest.raises(openai.BadRequestError):  # a refusal, before any job
        client.images.generate(model="image-01", prompt="a lighthouse", n=10)
    inject(simulator, {"kind": "code", "code": 1002, "count": 1})  # one upstream rate limit, then the images
    client.images.generate(model="image-01", prompt="a lighthouse")
    inject(simulator, {"kind": "withheld", "images": 1})  # one of two images withheld
    withheld = client.images.generate(model="image-01", prompt="a lighthouse", n=2)
    assert len(withheld.data) == 1

    after = scrape(base)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"route": "/v1/images/generations", "dialect": "openai"}
    assert moved("likeness_http_requests_total", status="200", **route) == 3
    assert moved("likeness_http_requests_total", status="400", **route) == 1
    assert moved("likeness_http_request_duration_seconds_count", **route) == 4
    assert moved("likeness_jobs_total", outcome="succeeded", code="0") == 3
    assert moved("likeness_upstream_requests_total", engine="up", outcome="success", code="0") == 3
    assert moved("likeness_upstream_requests_total", engine="up", outcome="transient", code="1002") == 1
    assert moved("likeness_upstream_retries_total", engine="up") == 1
    assert moved("likeness_images_total", outcome="delivered") == 3
    assert moved("likeness_images_total", outcome="withheld") == 1
    assert moved("likeness_engine_duration_seconds_count", engine="up", model="image-01") == 3
    assert moved("likeness_queue_wait_seconds_count") == 3
    assert value(after, "likeness_queue_depth") == 0
    assert value(after, "likeness_upstream_in_placement", engine="up") == 1
    # No label holds a key, a prompt or a URL.
    for name, labels in after:
        for _, label in labels:
            assert API_KEY not in label and "lighthouse" not in label and "://" not in label

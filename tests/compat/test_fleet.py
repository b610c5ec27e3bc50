"""Two replicas on one PostgreSQL database and one S3 bucket (moto), driven by the real clients.

Replica A takes requests and runs none (`LIKENESS_MAX_CONCURRENT_JOBS=0`); replica B runs the
queue. So every request sent to A is answered by A while B generates it, which is the fleet's
whole promise: any replica answers any request. Each replica has a data directory of its own:
what they share is the database and the bucket. Needs `LIKENESS_TEST_DATABASE_URL` and
`LIKENESS_TEST_S3_ENDPOINT` (scripts/test.sh starts PostgreSQL and moto and sets both)."""

import functools
import json
import os
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai
import pytest

from conftest import API_KEY, jpeg_size, start_server

DATABASE_URL = os.environ.get("LIKENESS_TEST_DATABASE_URL", "")
S3_ENDPOINT = os.environ.get("LIKENESS_TEST_S3_ENDPOINT", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL or not S3_ENDPOINT,
    reason="needs LIKENESS_TEST_DATABASE_URL (PostgreSQL) and LIKENESS_TEST_S3_ENDPOINT (an S3-compatible server)")
APP = "fal-ai/minimax/image-01"


@functools.cache
def trusting(certificate: str) -> ssl.SSLContext:
    """TLS that trusts the test certificate (the replicas share one)."""
    return ssl.create_default_context(cafile=certificate)


def fresh_database() -> str:
    """A new, empty database on the test server; its URL."""
    name = "fleet_" + uuid.uuid4().hex[:12]
    admin = urlsplit(DATABASE_URL)
    subprocess.run(["psql", DATABASE_URL, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return urlunsplit(admin._replace(path="/" + name))


def fresh_bucket() -> str:
    """A new bucket on the test S3 server (moto takes an unsigned PUT)."""
    name = "likeness-" + uuid.uuid4().hex[:12]
    httpx.put(f"{S3_ENDPOINT}/{name}").raise_for_status()
    return name


def sql(database_url: str, statement: str) -> list[list[str]]:
    """Rows of a query, read with psql (the tests' window into the shared store)."""
    output = subprocess.run(
        ["psql", database_url.split("?")[0], "-At", "-F", "\t", "-c", statement],
        check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in output.splitlines() if line]


def start_replica(database_url: str, bucket: str, certificate: str, workers: int, password_file: str,
                  **settings: str):
    """A replica on `database_url` and `bucket` (secrets from files, as in production), serving
    HTTPS from a data directory of its own."""
    parts = urlsplit(database_url)
    without_password = urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))
    process, base, _ = start_server(
        {
            "LIKENESS_DATABASE_URL": without_password,
            "LIKENESS_DATABASE_PASSWORD_FILE": password_file,
            "LIKENESS_S3_BUCKET": bucket,
            "LIKENESS_S3_ENDPOINT": S3_ENDPOINT,
            "LIKENESS_S3_ACCESS_KEY_ID": "testing",
            "LIKENESS_S3_SECRET_ACCESS_KEY": "testing",
            "LIKENESS_S3_PREFIX": "images",
            "LIKENESS_MAX_CONCURRENT_JOBS": str(workers),
            "LIKENESS_FLEET_LEASE_SECONDS": "3",
            "LIKENESS_TLS_CERTIFICATE": certificate,
            "LIKENESS_TLS_PRIVATE_KEY": str(Path(certificate).with_name("key.pem")),
            **settings,
        },
        scheme="https", context=trusting(certificate),
    )
    return process, base


def password_file_for(database_url: str) -> str:
    handle, path = tempfile.mkstemp(prefix="likeness-db-", suffix=".pw")
    os.write(handle, (urlsplit(database_url).password + "\n").encode())
    os.close(handle)
    return path


@pytest.fixture(scope="module")
def fleet(tls_server):
    _, certificate = tls_server
    database_url, bucket = fresh_database(), fresh_bucket()
    password_file = password_file_for(database_url)
    a, base_a = start_replica(database_url, bucket, certificate, workers=0, password_file=password_file)
    b, base_b = start_replica(database_url, bucket, certificate, workers=2, password_file=password_file)
    yield {"a": base_a, "b": base_b, "certificate": certificate, "database": database_url, "bucket": bucket}
    for process in (a, b):
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def fal(fleet, monkeypatch):
    """fal-client, pointed at one replica or the other by `fal.on(base)`."""
    os.environ.setdefault("FAL_KEY", API_KEY)
    os.environ["SSL_CERT_FILE"] = fleet["certificate"]
    import fal_client
    import fal_client.client as client

    def on(base: str):
        host = urlsplit(base).netloc
        monkeypatch.setattr(client, "QUEUE_URL_FORMAT", f"https://{host}/fal/queue/")
        monkeypatch.setattr(client, "RUN_URL_FORMAT", f"https://{host}/fal/")
        return fal_client

    fal_client.on = on
    return fal_client


def openai_client(base: str, certificate: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base + "/v1", api_key=API_KEY, http_client=httpx.Client(verify=trusting(certificate)), max_retries=0
    )


def download(url: str, certificate: str, via: str | None = None) -> bytes:
    """The image at `url`, fetched from replica `via` when given (any replica serves any image)."""
    if via:
        url = via + url[url.index("/v1/files/"):]
    return httpx.get(url, verify=trusting(certificate), timeout=10).content


def logs_of(fleet, request_id: str, base: str) -> list[str]:
    response = httpx.get(
        f"{base}/fal/queue/{APP}/requests/{request_id}/status?logs=1",
        headers={"Authorization": f"Key {API_KEY}"}, verify=trusting(fleet["certificate"]), timeout=10,
    )
    return [line["message"] for line in response.json().get("logs") or []]


def test_health_lists_both_replicas(fleet):
    health = httpx.get(fleet["a"] + "/health", verify=trusting(fleet["certificate"])).json()
    assert len(health["replicas"]) == 2
    assert health["replica"] in {replica["id"] for replica in health["replicas"]}
    assert {replica["host"].split(":")[1] for replica in health["replicas"]} == {
        urlsplit(fleet["a"]).port.__str__(), urlsplit(fleet["b"]).port.__str__()}
    ready = httpx.get(fleet["a"] + "/ready", verify=trusting(fleet["certificate"]))
    assert ready.status_code == 200, ready.text


def test_openai_on_a_is_generated_by_b_and_served_by_either(fleet):
    client = openai_client(fleet["a"], fleet["certificate"])
    result = client.images.generate(model="image-01", prompt="a lighthouse at dawn", size="1024x1024", n=2)
    assert len(result.data) == 2
    for image in result.data:
        assert image.url.startswith(fleet["a"])
        body = download(image.url, fleet["certificate"], via=fleet["b"])
        assert jpeg_size(body) == (1024, 1024)
        assert body == download(image.url, fleet["certificate"])
    # Replica A runs no job: B ran it, and says so in the job's log.
    job = sql(fleet["database"], "SELECT lease_owner FROM jobs ORDER BY created_at DESC LIMIT 1")[0][0]
    health = httpx.get(fleet["b"] + "/health", verify=trusting(fleet["certificate"])).json()
    assert job == health["replica"]


def test_native_minimax_on_each_replica(fleet):
    for base in (fleet["a"], fleet["b"]):
        response = httpx.post(
            base + "/v1/image_generation", verify=trusting(fleet["certificate"]), timeout=30,
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={"model": "image-01", "prompt": "a red kite", "aspect_ratio": "16:9", "response_format": "base64"},
        ).json()
        assert response["base_resp"]["status_code"] == 0, response
        assert response["metadata"]["success_count"] == "1"  # MiniMax sends counts as strings
        assert len(response["data"]["image_base64"]) == 1


def test_fal_job_submitted_on_a_is_polled_streamed_and_fetched_on_b(fleet, fal):
    handle = fal.on(fleet["a"]).submit(APP, arguments={"prompt": "[sleep:600] a paper boat", "num_images": 1})
    on_b = fal.on(fleet["b"]).sync_client.get_handle(APP, handle.request_id)
    events = list(on_b.iter_events(with_logs=True, interval=0.05))
    assert type(events[-1]).__name__ == "Completed"
    status = fal.on(fleet["b"]).status(APP, handle.request_id, with_logs=True)
    assert type(status).__name__ == "Completed"
    result = fal.on(fleet["b"]).result(APP, handle.request_id)
    # The same result from either replica; each links its images on its own host.
    same = fal.on(fleet["a"]).result(APP, handle.request_id)
    assert [urlsplit(image["url"]).path for image in same["images"]] == [
        urlsplit(image["url"]).path for image in result["images"]]
    assert {**same, "images": None} == {**result, "images": None}
    image = result["images"][0]
    assert len(download(image["url"], fleet["certificate"], via=fleet["a"])) == image["file_size"]
    assert any("Started on " in line for line in logs_of(fleet, handle.request_id, fleet["a"]))


def test_fal_status_stream_on_a_follows_a_job_run_by_b(fleet):
    handle = httpx.post(
        f"{fleet['b']}/fal/queue/{APP}", json={"prompt": "[sleep:500] a stream"},
        headers={"Authorization": f"Key {API_KEY}"}, verify=trusting(fleet["certificate"]),
    ).json()
    seen = []
    with httpx.stream(
        "GET", f"{fleet['a']}/fal/queue/{APP}/requests/{handle['request_id']}/status/stream",
        headers={"Authorization": f"Key {API_KEY}"}, verify=trusting(fleet["certificate"]), timeout=30,
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["status"])
    assert seen[-1] == "COMPLETED" and "IN_PROGRESS" in seen, seen


def test_cancel_on_a_reaches_the_job_running_on_b(fleet, fal):
    handle = fal.on(fleet["b"]).submit(APP, arguments={"prompt": "[sleep:20000] a long one"})
    deadline = time.monotonic() + 10
    while type(fal.on(fleet["a"]).status(APP, handle.request_id)).__name__ != "InProgress":
        assert time.monotonic() < deadline, "the job never started on B"
        time.sleep(0.05)
    started = time.monotonic()
    fal.on(fleet["a"]).cancel(APP, handle.request_id)
    while True:
        state = sql(fleet["database"], f"SELECT status FROM jobs WHERE id = '{handle.request_id}'")[0][0]
        if state == "cancelled":
            break
        assert time.monotonic() - started < 5, f"B did not stop the job (it is {state})"
        time.sleep(0.05)
    assert any("Cancel" in line for line in logs_of(fleet, handle.request_id, fleet["b"]))


def test_a_wallet_race_across_both_replicas_delivers_what_the_balance_covers(fleet):
    """200 requests at once, half to each replica, against a balance that covers 37 images:
    exactly 37 are accepted, delivered and charged, and the balance never goes below zero."""
    from concurrent.futures import ThreadPoolExecutor

    client = httpx.Client(verify=trusting(fleet["certificate"]), timeout=30)
    admin = {"Authorization": f"Bearer {API_KEY}"}
    unlimited = {"requests_per_minute": 0, "concurrent_jobs": 0}
    account = client.post(fleet["a"] + "/v1/admin/accounts", headers=admin, json={"name": "race", **unlimited}).json()
    client.post(f"{fleet['b']}/v1/admin/accounts/{account['id']}/credits", headers=admin,
                json={"amount_usd": "0.37", "waive_fee": True}).raise_for_status()
    key = client.post(f"{fleet['a']}/v1/admin/accounts/{account['id']}/keys", headers=admin,
                      json={"name": "racer", **unlimited}).json()["secret"]

    def submit(index: int) -> tuple[int, str | None]:
        response = client.post(f"{fleet['a' if index % 2 else 'b']}/fal/queue/{APP}",
                               headers={"Authorization": f"Key {key}"}, json={"prompt": f"race {index}"})
        return response.status_code, response.json().get("request_id")

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(submit, range(200)))
    accepted = [id for code, id in outcomes if code == 200]
    assert len(accepted) == 37, sorted({code for code, _ in outcomes})
    assert {code for code, _ in outcomes} <= {200, 402}
    deadline = time.monotonic() + 60
    while True:
        statuses = dict(sql(fleet["database"], f"SELECT status, COUNT(*) FROM jobs WHERE account_id = '{account['id']}' AND status IN ('queued', 'running', 'succeeded') GROUP BY status"))
        if statuses.get("succeeded") == "37":
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.1)
    balance, summed, charged = sql(fleet["database"], f"""
        SELECT balance_micros, (SELECT SUM(amount_micros) FROM ledger WHERE account_id = '{account['id']}'),
        (SELECT -SUM(amount_micros) FROM ledger WHERE account_id = '{account['id']}' AND kind = 'charge')
        FROM accounts WHERE id = '{account['id']}'""")[0]
    assert balance == summed == "0" and charged == "370000"
    assert sql(fleet["database"], "SELECT COUNT(*) FROM ledger WHERE balance_after_micros < 0")[0][0] == "0"


def test_kill_9_of_a_replica_running_jobs_loses_nothing(tls_server):
    """Two replicas that both run jobs; one is killed while it runs some and others wait. The
    survivor finishes every job once its leases lapse: each result stored once, each
    reservation settled once, the balance equal to the ledger."""
    _, certificate = tls_server
    database_url, bucket = fresh_database(), fresh_bucket()
    password_file = password_file_for(database_url)
    doomed, base_doomed = start_replica(database_url, bucket, certificate, workers=2, password_file=password_file)
    survivor, base_survivor = start_replica(database_url, bucket, certificate, workers=2, password_file=password_file)
    client = httpx.Client(verify=trusting(certificate), timeout=10)
    try:
        admin = {"Authorization": f"Bearer {API_KEY}"}
        account = client.post(base_doomed + "/v1/admin/accounts", headers=admin,
                              json={"name": "fleet kill", "requests_per_minute": 0, "concurrent_jobs": 0}).json()
        client.post(f"{base_doomed}/v1/admin/accounts/{account['id']}/credits", headers=admin,
                    json={"amount_usd": "1.00", "waive_fee": True}).raise_for_status()
        key = client.post(f"{base_survivor}/v1/admin/accounts/{account['id']}/keys", headers=admin,
                          json={"name": "k", "requests_per_minute": 0, "concurrent_jobs": 0}).json()["secret"]
        auth = {"Authorization": f"Key {key}"}
        ids = [
            client.post(f"{base_doomed}/fal/queue/{APP}", headers=auth,
                        json={"prompt": f"[sleep:700] fleet job {index}", "num_images": 2}).json()["request_id"]
            for index in range(12)
        ]
        doomed_id = client.get(base_doomed + "/health").json()["replica"]
        deadline = time.monotonic() + 20
        while not sql(database_url, f"SELECT 1 FROM jobs WHERE status = 'running' AND lease_owner = '{doomed_id}'"):
            assert time.monotonic() < deadline, "the doomed replica never ran a job"
            time.sleep(0.02)
        doomed.kill()
        doomed.wait(timeout=10)
        interrupted = [row[0] for row in sql(
            database_url, f"SELECT id FROM jobs WHERE status = 'running' AND lease_owner = '{doomed_id}'")]
        assert interrupted, "nothing was running on the killed replica"

        deadline = time.monotonic() + 90
        while True:
            done = sql(database_url, "SELECT COUNT(*) FROM jobs WHERE status = 'succeeded'")[0][0]
            if int(done) == len(ids):
                break
            assert time.monotonic() < deadline, sql(database_url, "SELECT id, status, attempts FROM jobs")
            time.sleep(0.2)
        for id in ids:
            result = client.get(f"{base_survivor}/fal/queue/{APP}/requests/{id}", headers=auth).json()
            assert len(result["images"]) == 2
            for image in result["images"]:
                assert len(download(image["url"], certificate, via=base_survivor)) == image["file_size"]
    finally:
        for process in (doomed, survivor):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    images = dict(sql(database_url, "SELECT job_id, COUNT(*) FROM images GROUP BY job_id"))
    assert images == {id: "2" for id in ids}, "a result was stored twice or not at all"
    attempts = dict(sql(database_url, "SELECT id, attempts FROM jobs"))
    assert all(attempts[id] == "2" for id in interrupted), attempts
    kinds = {}
    for request_id, kind in sql(database_url, "SELECT request_id, kind FROM ledger WHERE request_id IS NOT NULL ORDER BY seq"):
        kinds.setdefault(request_id, []).append(kind)
    assert kinds == {id: ["reservation", "release", "charge"] for id in ids}
    balance, summed = sql(database_url, f"""
        SELECT balance_micros, (SELECT SUM(amount_micros) FROM ledger WHERE account_id = '{account['id']}')
        FROM accounts WHERE id = '{account['id']}'""")[0]
    assert balance == summed == str(1_000_000 - 12 * 2 * 10_000)
    listing = httpx.get(f"{S3_ENDPOINT}/{bucket}?list-type=2&prefix=images/").text
    assert listing.count("<Key>") == 24, "orphan images in the bucket"


def test_presigned_links_point_at_the_bucket(fleet):
    """`LIKENESS_IMAGE_URLS=presigned`: a third replica links images straight to the bucket."""
    process, base = start_replica(
        fleet["database"], fleet["bucket"], fleet["certificate"], workers=1,
        password_file=password_file_for(fleet["database"]), LIKENESS_IMAGE_URLS="presigned")
    try:
        result = openai_client(base, fleet["certificate"]).images.generate(
            model="image-01", prompt="a glass teapot", size="1024x1024")
        url = result.data[0].url
        assert url.startswith(f"{S3_ENDPOINT}/{fleet['bucket']}/images/") and "X-Amz-Signature=" in url
        assert jpeg_size(httpx.get(url).content) == (1024, 1024)
        # It expires with the result (LIKENESS_IMAGE_URL_TTL_SECONDS, a day by default).
        expires = int(dict(item.split("=") for item in urlsplit(url).query.split("&"))["X-Amz-Expires"])
        assert 86_000 < expires <= 86_400
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_two_replicas_on_one_minimax_key_keep_to_its_rate(tmp_path):
    """Fleet-wide pacing: two replicas route to one MiniMax account (the simulator, refusing past
    300 requests a minute per key). Paced at 285 a minute between them, none is refused, and
    while work waits they use more than 90% of the limit."""
    from conftest import LIKENESS, free_port, wait_until_up

    simulator_port = free_port()
    simulator = subprocess.Popen([str(LIKENESS), "simulate", "minimax", "--port", str(simulator_port),
                                  "--api-key", "sk-upstream", "--rpm", "300", "--rate-window-seconds", "10"])
    database_url = fresh_database()
    replicas, bases = [], []
    try:
        wait_until_up(f"http://127.0.0.1:{simulator_port}/simulator/requests", simulator)
        for index in range(2):
            port = free_port()
            environment = dict(
                os.environ, LIKENESS_PORT=str(port), LIKENESS_DATA_DIR=str(tmp_path / f"replica-{index}"),
                LIKENESS_API_KEY=API_KEY, LIKENESS_LOG_LEVEL="warning", LIKENESS_DATABASE_URL=database_url,
                LIKENESS_MAX_CONCURRENT_JOBS="8", LIKENESS_ENGINES="up", LIKENESS_ENGINE_UP_KIND="minimax",
                LIKENESS_ENGINE_UP_BASE_URL=f"http://127.0.0.1:{simulator_port}",
                LIKENESS_ENGINE_UP_API_KEY="sk-upstream", LIKENESS_ENGINE_UP_REQUESTS_PER_MINUTE="285",
                LIKENESS_ENGINE_UP_MAX_CONCURRENT="8", LIKENESS_ENGINE_UP_RESULTS="passthrough",
            )
            replicas.append(subprocess.Popen([str(LIKENESS), "serve"], env=environment, stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
            wait_until_up(bases[-1] + "/health", replicas[-1])
        client = httpx.Client(timeout=10, headers={"Authorization": f"Key {API_KEY}"})
        jobs = 40
        ids = [
            client.post(f"{bases[index % 2]}/fal/queue/{APP}", json={"prompt": f"paced {index}"}).json()["request_id"]
            for index in range(jobs)
        ]
        deadline = time.monotonic() + 60
        while int(sql(database_url, "SELECT COUNT(*) FROM jobs WHERE status = 'succeeded'")[0][0]) < jobs:
            assert time.monotonic() < deadline, sql(database_url, "SELECT status, COUNT(*) FROM jobs GROUP BY status")
            time.sleep(0.2)
        seen = httpx.get(f"http://127.0.0.1:{simulator_port}/simulator/requests").json()
        assert seen["rate_limited"] == 0
        assert seen["count"] == jobs, "each job reached MiniMax once"
        arrivals = seen["arrival_seconds"]
        rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        assert rate >= 0.9 * 300 / 60, f"{rate:.2f} requests a second"
        owners = {row[0] for row in sql(database_url, "SELECT DISTINCT lease_owner FROM jobs")}
        assert len(owners) == 2, "both replicas ran jobs"
        assert len(ids) == jobs
    finally:
        for process in [*replicas, simulator]:
            process.terminate()
            process.wait(timeout=15)


def test_migrate_data_moves_an_embedded_installation_into_the_fleet(fleet, tmp_path):
    """`likeness migrate-data`: what an embedded server kept (keys, an account's balance and ledger,
    jobs, images) works unchanged from a fleet replica on the copied database and bucket: the
    old signed image URL downloads the same bytes, the old key authenticates, the books balance."""
    from conftest import LIKENESS

    data = str(tmp_path / "embedded")
    process, base, _ = start_server({}, data=data)
    try:
        client = httpx.Client(timeout=30, headers={"Authorization": f"Bearer {API_KEY}"})
        account = client.post(base + "/v1/admin/accounts", json={"name": "moving"}).json()
        client.post(f"{base}/v1/admin/accounts/{account['id']}/credits",
                    json={"amount_usd": "1.00", "waive_fee": True}).raise_for_status()
        key = client.post(f"{base}/v1/admin/accounts/{account['id']}/keys", json={"name": "kept"}).json()["secret"]
        image = httpx.post(base + "/v1/images/generations", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                           json={"model": "image-01", "prompt": "a moving van", "n": 2}).json()["data"][0]["url"]
        original = httpx.get(image).content
    finally:
        process.terminate()
        process.wait(timeout=15)

    target = fresh_database()
    environment = dict(
        os.environ, LIKENESS_S3_BUCKET=fleet["bucket"], LIKENESS_S3_ENDPOINT=S3_ENDPOINT,
        LIKENESS_S3_ACCESS_KEY_ID="testing", LIKENESS_S3_SECRET_ACCESS_KEY="testing", LIKENESS_S3_PREFIX="images")
    moved = subprocess.run([str(LIKENESS), "migrate-data", "--from", data, "--to", target],
                           env=environment, capture_output=True, text=True)
    assert moved.returncode == 0, moved.stderr
    assert "ledger: 2 accounts, each balance equal to the sum of its ledger" in moved.stdout
    assert "images: 2 copied to the bucket" in moved.stdout
    again = subprocess.run([str(LIKENESS), "migrate-data", "--from", data, "--to", target],
                           env=environment, capture_output=True, text=True)
    assert again.returncode != 0 and "not empty" in again.stderr
    # The operator commands work against the fleet's database with the same setting.
    listed = subprocess.run([str(LIKENESS), "accounts", "list"], capture_output=True, text=True,
                            env=dict(environment, LIKENESS_DATABASE_URL=target,
                                     LIKENESS_DATA_DIR=str(tmp_path / "operator")))
    assert listed.returncode == 0, listed.stderr
    assert "moving" in listed.stdout and "0.98" in listed.stdout, listed.stdout

    replica, replica_base = start_replica(
        target, fleet["bucket"], fleet["certificate"], workers=1, password_file=password_file_for(target))
    try:
        moved_url = replica_base + image[image.index("/v1/files/"):]
        assert httpx.get(moved_url, verify=trusting(fleet["certificate"])).content == original
        balance = httpx.get(replica_base + "/v1/balance", headers={"Authorization": f"Bearer {key}"},
                            verify=trusting(fleet["certificate"])).json()
        assert balance["balance_usd"] == "0.98"
        # New rows continue the copied ones: the ledger's next entry follows the last copied.
        again = httpx.post(replica_base + "/v1/images/generations", headers={"Authorization": f"Bearer {key}"},
                           json={"model": "image-01", "prompt": "unpacked"}, verify=trusting(fleet["certificate"]),
                           timeout=30)
        assert again.status_code == 200, again.text
        sequences = [int(row[0]) for row in sql(target, "SELECT seq FROM ledger ORDER BY seq")]
        assert sequences == sorted(set(sequences))
    finally:
        replica.terminate()
        replica.wait(timeout=15)

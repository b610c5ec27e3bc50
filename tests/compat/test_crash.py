"""Crash test of the durable queue and the books: 20 fal queue jobs on a prepaid account, `kill -9`
while some run and others wait, then a restart on the same data directory. Every job must
complete, each result stored once, each request reserved, released and charged exactly once, and
every balance equal to the sum of its ledger."""

import json
import signal
import sqlite3
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import API_KEY, start_server

JOBS = 20
IMAGES_PER_JOB = 2
PRICE_MICROS = 10_000  # the default $0.010 per image
CREDIT_MICROS = 1_000_000  # $1.00, topped up with no fee


def call(base: str, method: str, path: str, body: dict | None = None, key: str = API_KEY) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Key {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def statuses(base: str, ids: list[str], key: str) -> dict[str, dict]:
    return {id: call(base, "GET", f"/fal/queue/fal-ai/minimax/requests/{id}/status", key=key)[1] for id in ids}


def prepaid_customer(base: str) -> tuple[str, str]:
    """Through the admin API (the first key is the admin): a prepaid account with $1 and a key."""
    unlimited = {"requests_per_minute": 0, "concurrent_jobs": 0}
    code, account = call(base, "POST", "/v1/admin/accounts", {"name": "crash test", **unlimited})
    assert code == 200, account
    code, rows = call(base, "POST", f"/v1/admin/accounts/{account['id']}/credits",
                      {"amount_usd": "1.00", "waive_fee": True})
    assert code == 200, rows
    code, key = call(base, "POST", f"/v1/admin/accounts/{account['id']}/keys", {"name": "crash", **unlimited})
    assert code == 200, key
    return account["id"], key["secret"]


def test_kill_9_while_running_and_queued_loses_nothing():
    data = tempfile.mkdtemp(prefix="likeness-crash-")
    workers = {"LIKENESS_MAX_CONCURRENT_JOBS": "2"}
    process, base, _ = start_server(workers, data=data)
    try:
        account, key = prepaid_customer(base)
        ids = []
        for index in range(JOBS):
            code, reply = call(base, "POST", "/fal/queue/fal-ai/minimax/image-01", {
                "prompt": f"[sleep:400] crash test job {index}", "num_images": IMAGES_PER_JOB,
            }, key=key)
            assert code == 200, reply
            ids.append(reply["request_id"])

        # Kill once some jobs have finished, some are running and the rest still wait.
        deadline = time.monotonic() + 30
        while True:
            seen = [status["status"] for status in statuses(base, ids, key).values()]
            if seen.count("COMPLETED") >= 2 and "IN_PROGRESS" in seen and "IN_QUEUE" in seen:
                break
            assert time.monotonic() < deadline, f"never saw a mix of states: {seen}"
            time.sleep(0.02)
        kill_9(process)
        interrupted = [id for id, status in statuses_from_database(data, ids).items() if status == "running"]
        assert interrupted, "no job was running at the kill"
        unsettled = ledger_rows(data, interrupted)
        assert all(kinds == ["reservation"] for kinds in unsettled.values()), "interrupted jobs hold only a reservation"
    finally:
        if process.poll() is None:
            process.kill()

    process, base, _ = start_server(workers, data=data)
    try:
        deadline = time.monotonic() + 60
        while True:
            current = statuses(base, ids, key)
            if all(status["status"] == "COMPLETED" for status in current.values()):
                break
            assert time.monotonic() < deadline, f"jobs did not complete after the restart: {current}"
            time.sleep(0.1)
        for id in ids:
            assert current[id].get("error") is None, current[id]
            code, result = call(base, "GET", f"/fal/queue/fal-ai/minimax/requests/{id}", key=key)
            assert code == 200 and len(result["images"]) == IMAGES_PER_JOB
            for image in result["images"]:
                url = image["url"].replace(image["url"].split("/v1/files/")[0], base)
                assert len(urllib.request.urlopen(url, timeout=10).read()) == image["file_size"]
        code, balance = call(base, "GET", "/v1/balance", key=key)
        assert code == 200 and balance["reserved_usd"] == "0.00", balance
    finally:
        process.terminate()
        process.wait(timeout=10)

    # The books: each request reserved once, released once, charged once for what it delivered.
    assert ledger_rows(data, ids) == {id: ["reservation", "release", "charge"] for id in ids}
    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    charged = database.execute(
        "SELECT -SUM(amount_micros) FROM ledger WHERE kind = 'charge' AND account_id = ?", [account]).fetchone()[0]
    assert charged == JOBS * IMAGES_PER_JOB * PRICE_MICROS
    stored, summed = database.execute(
        "SELECT balance_micros, (SELECT SUM(amount_micros) FROM ledger WHERE account_id = ?) FROM accounts WHERE id = ?",
        [account, account]).fetchone()
    assert stored == summed == CREDIT_MICROS - charged, (stored, summed)
    assert balance["balance_usd"] == f"{stored / 1_000_000:.2f}"
    database.close()

    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    per_job = dict(database.execute("SELECT job_id, COUNT(*) FROM images GROUP BY job_id").fetchall())
    assert per_job == {id: IMAGES_PER_JOB for id in ids}, "a result was stored twice or not at all"
    attempts = dict(database.execute(
        f"SELECT id, attempts FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
    assert all(attempts[id] == 2 for id in interrupted), "interrupted jobs ran again exactly once"
    assert sum(1 for _ in (Path(data) / "images").rglob("*.jpg")) == JOBS * IMAGES_PER_JOB, "orphan image files"


def bearer(base: str, method: str, path: str, body: dict | None, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_kill_9_between_an_async_submit_and_its_completion_loses_nothing():
    """The native dialect's async mode on the same queue: tasks accepted before a `kill -9` are
    answered after the restart, each once, each charged once."""
    data = tempfile.mkdtemp(prefix="likeness-crash-async-")
    workers = {"LIKENESS_MAX_CONCURRENT_JOBS": "1"}
    process, base, _ = start_server(workers, data=data)
    try:
        account, key = prepaid_customer(base)
        tasks = []
        for index in range(4):
            code, reply = bearer(base, "POST", "/v1/image_generation", {
                "model": "image-01", "prompt": f"[sleep:500] async crash {index}", "async": True,
            }, key)
            assert code == 202 and reply["base_resp"]["status_code"] == 0, reply
            tasks.append(reply["task_id"])
        deadline = time.monotonic() + 30
        while "running" not in statuses_from_database(data, tasks).values():
            assert time.monotonic() < deadline, "no task started"
            time.sleep(0.02)
    finally:
        kill_9(process)

    process, base, _ = start_server(workers, data=data)
    try:
        deadline = time.monotonic() + 60
        answers = {}
        while len(answers) < len(tasks):
            for task in tasks:
                code, body = bearer(base, "GET", f"/v1/query/image_generation?task_id={task}", None, key)
                assert code == 200, body
                if body["status"] in ("Success", "Fail"):
                    answers[task] = body
            assert time.monotonic() < deadline, f"tasks did not finish after the restart: {answers}"
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    for task, body in answers.items():
        assert body["status"] == "Success" and len(body["data"]["image_urls"]) == 1, body
    assert ledger_rows(data, tasks) == {task: ["reservation", "release", "charge"] for task in tasks}


def kill_9(process) -> None:
    """Kills the server as a crash would, with no chance to put anything back."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def statuses_from_database(data: str, ids: list[str]) -> dict[str, str]:
    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    try:
        return dict(database.execute(
            f"SELECT id, status FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
    finally:
        database.close()


def ledger_rows(data: str, ids: list[str]) -> dict[str, list[str]]:
    """Each request's ledger row kinds, in order."""
    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    try:
        rows: dict[str, list[str]] = {id: [] for id in ids}
        for request, kind in database.execute(
            f"SELECT request_id, kind FROM ledger WHERE request_id IN ({','.join('?' * len(ids))}) ORDER BY seq", ids
        ):
            rows[request].append(kind)
        return rows
    finally:
        database.close()

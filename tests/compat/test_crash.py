"""Crash test of the durable queue: 20 fal queue jobs, `kill -9` while some run and others wait,
then a restart on the same data directory. Every job must complete, each result stored once."""

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


def call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Key {API_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def statuses(base: str, ids: list[str]) -> dict[str, dict]:
    return {id: call(base, "GET", f"/fal/queue/fal-ai/minimax/requests/{id}/status")[1] for id in ids}


def test_kill_9_while_running_and_queued_loses_nothing():
    data = tempfile.mkdtemp(prefix="likeness-crash-")
    workers = {"LIKENESS_MAX_CONCURRENT_JOBS": "2"}
    process, base, _ = start_server(workers, data=data)
    try:
        ids = []
        for index in range(JOBS):
            code, reply = call(base, "POST", "/fal/queue/fal-ai/minimax/image-01", {
                "prompt": f"[sleep:400] crash test job {index}", "num_images": IMAGES_PER_JOB,
            })
            assert code == 200, reply
            ids.append(reply["request_id"])

        # Kill once some jobs have finished, some are running and the rest still wait.
        deadline = time.monotonic() + 30
        while True:
            seen = [status["status"] for status in statuses(base, ids).values()]
            if seen.count("COMPLETED") >= 2 and "IN_PROGRESS" in seen and "IN_QUEUE" in seen:
                break
            assert time.monotonic() < deadline, f"never saw a mix of states: {seen}"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        interrupted = [id for id, status in statuses_from_database(data, ids).items() if status == "running"]
        assert interrupted, "no job was running at the kill"
    finally:
        if process.poll() is None:
            process.kill()

    process, base, _ = start_server(workers, data=data)
    try:
        deadline = time.monotonic() + 60
        while True:
            current = statuses(base, ids)
            if all(status["status"] == "COMPLETED" for status in current.values()):
                break
            assert time.monotonic() < deadline, f"jobs did not complete after the restart: {current}"
            time.sleep(0.1)
        for id in ids:
            assert current[id].get("error") is None, current[id]
            code, result = call(base, "GET", f"/fal/queue/fal-ai/minimax/requests/{id}")
            assert code == 200 and len(result["images"]) == IMAGES_PER_JOB
            for image in result["images"]:
                url = image["url"].replace(image["url"].split("/v1/files/")[0], base)
                assert len(urllib.request.urlopen(url, timeout=10).read()) == image["file_size"]
    finally:
        process.terminate()
        process.wait(timeout=10)

    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    per_job = dict(database.execute("SELECT job_id, COUNT(*) FROM images GROUP BY job_id").fetchall())
    assert per_job == {id: IMAGES_PER_JOB for id in ids}, "a result was stored twice or not at all"
    attempts = dict(database.execute(
        f"SELECT id, attempts FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
    assert all(attempts[id] == 2 for id in interrupted), "interrupted jobs ran again exactly once"
    assert sum(1 for _ in (Path(data) / "images").rglob("*.jpg")) == JOBS * IMAGES_PER_JOB, "orphan image files"


def statuses_from_database(data: str, ids: list[str]) -> dict[str, str]:
    database = sqlite3.connect(Path(data) / "likeness.sqlite")
    try:
        return dict(database.execute(
            f"SELECT id, status FROM jobs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
    finally:
        database.close()

"""The real `fal-client` against Likeness's fal endpoints, over TLS as fal-client requires."""

import importlib
import os
import ssl
import urllib.request

import pytest

from conftest import API_KEY, jpeg_size, tunnel_to


@pytest.fixture(scope="module")
def fal(tls_server, tmp_path_factory):
    port, certificate = tls_server
    # fal-client reads its hosts when it is imported, and httpx the CA bundle when a client is made.
    os.environ["FAL_RUN_HOST"] = f"localhost:{port}/fal"
    os.environ["FAL_QUEUE_RUN_HOST"] = f"localhost:{port}/fal/queue"
    os.environ["FAL_KEY"] = API_KEY
    os.environ["SSL_CERT_FILE"] = certificate
    module = importlib.import_module("fal_client")
    module.context = ssl.create_default_context(cafile=certificate)
    return module


def download(fal, url: str) -> bytes:
    return urllib.request.urlopen(url, context=fal.context).read()


def test_run_text_to_image(fal):
    result = fal.run("fal-ai/minimax/image-01", arguments={"prompt": "a koi pond", "aspect_ratio": "16:9", "num_images": 2})
    assert len(result["images"]) == 2
    image = result["images"][0]
    assert image["content_type"] == "image/jpeg"
    assert (image["width"], image["height"]) == (1280, 720)
    assert image["url"].startswith("https://localhost:")
    body = download(fal, image["url"])
    assert len(body) == image["file_size"]
    assert jpeg_size(body) == (1280, 720)


def test_run_subject_reference_with_encode_file(fal, tmp_path):
    first = fal.run("fal-ai/minimax/image-01", arguments={"prompt": "a face"})
    face = tmp_path / "face.jpg"
    face.write_bytes(download(fal, first["images"][0]["url"]))
    result = fal.run(
        "fal-ai/minimax/image-01/subject-reference",
        arguments={"prompt": "A beautiful woman with a crown on her head.", "image_url": fal.encode_file(face)},
    )
    assert len(result["images"]) == 1


def test_subscribe_with_a_characters_own_url(fal, tls_server, tmp_path):
    """fal's clients have only `image_url`: a character's own URL, from `POST /v1/characters`, names it."""
    import httpx

    port, _ = tls_server
    first = fal.run("fal-ai/minimax/image-01", arguments={"prompt": "a face"})
    created = httpx.post(f"https://localhost:{port}/v1/characters", headers={"Authorization": f"Key {API_KEY}"},
                         files={"image": ("face.jpg", download(fal, first["images"][0]["url"]), "image/jpeg")},
                         data={"name": "crowned"}, verify=fal.context, timeout=30)
    assert created.status_code == 201, created.text
    character = created.json()
    assert character["url"] == f"https://localhost:{port}/v1/characters/{character['id']}"
    result = fal.subscribe(
        "fal-ai/minimax/image-01/subject-reference",
        arguments={"prompt": "the same woman with a crown", "image_url": character["url"]})
    assert len(result["images"]) == 1
    # Once deleted, the URL names nothing.
    httpx.delete(character["url"], headers={"Authorization": f"Key {API_KEY}"}, verify=fal.context)
    with pytest.raises(fal.client.FalClientHTTPError) as caught:
        fal.run("fal-ai/minimax/image-01/subject-reference",
                arguments={"prompt": "gone", "image_url": character["url"]})
    assert caught.value.status_code == 404


def test_upload_file_then_subscribe_with_its_url(fal, tls_server, tmp_path, monkeypatch):
    """`fal_client.upload_file` unchanged: its hosts (rest.fal.ai for the CDN token, v3.fal.media for
    the bytes) are fixed in the client, so they are tunnelled to Likeness here, as an operator would
    point them at it. The URL it returns is then usable as `image_url`."""
    port, _ = tls_server
    first = fal.run("fal-ai/minimax/image-01", arguments={"prompt": "a face"})
    face = tmp_path / "face.jpg"
    face.write_bytes(download(fal, first["images"][0]["url"]))
    with tunnel_to(port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        url = fal.upload_file(face)
        assert url.startswith("https://v3.fal.media/v1/uploads/file-"), url
        # fal-client's fallback, fal's storage flow: initiate with the name and type, PUT the bytes.
        stored = fal.SyncClient(key=API_KEY).upload(face.read_bytes(), "image/jpeg", "face.jpg", repository="fal")
        assert stored.startswith("https://rest.fal.ai/v1/uploads/file-"), stored
        # Not a picture: refused by the CDN, then by the storage flow it falls back to. (A client made
        # inside the tunnel: the default one keeps the connections it made before it.)
        not_an_image = tmp_path / "notes.txt"
        not_an_image.write_text("not a picture")
        with pytest.raises(fal.client.FalClientHTTPError) as refused:
            fal.SyncClient(key=API_KEY).upload_file(not_an_image)
        assert refused.value.status_code == 422 and "not an image" in refused.value.response.text
    for image_url in (url, stored):
        result = fal.subscribe(
            "fal-ai/minimax/image-01/subject-reference",
            arguments={"prompt": "the same face at sea", "image_url": image_url})
        assert len(result["images"]) == 1


def test_validation_error_is_422_with_detail(fal):
    with pytest.raises(fal.client.FalClientHTTPError) as caught:
        fal.run("fal-ai/minimax/image-01/subject-reference", arguments={"prompt": "no reference"})
    assert caught.value.status_code == 422
    assert caught.value.response.json()["detail"][0]["loc"] == ["body", "image_url"]


def test_wrong_key_is_401(fal):
    client = fal.SyncClient(key="lk_wrong")
    with pytest.raises(fal.client.FalClientHTTPError) as caught:
        client.run("fal-ai/minimax/image-01", arguments={"prompt": "x"})
    assert caught.value.status_code == 401


def test_subscribe_with_logs_and_queue_updates(fal):
    updates = []
    result = fal.subscribe(
        "fal-ai/minimax/image-01",
        arguments={"prompt": "[sleep:300] a paper boat", "num_images": 2},
        with_logs=True,
        on_queue_update=updates.append,
    )
    assert len(result["images"]) == 2
    kinds = {type(update).__name__ for update in updates}
    assert "InProgress" in kinds and isinstance(updates[-1], fal.Completed)
    messages = [log["message"] for update in updates if isinstance(update, fal.InProgress) for log in update.logs]
    assert "sleeping 300 ms as asked" in messages
    assert {"message", "level", "source", "timestamp"} <= set(updates[-1].logs[0])


def test_submit_status_result(fal):
    face = download(fal, fal.run("fal-ai/minimax/image-01", arguments={"prompt": "a face"})["images"][0]["url"])
    handle = fal.submit("fal-ai/minimax/image-01/subject-reference", arguments={
        "prompt": "A beautiful woman with a crown on her head.", "image_url": fal.encode(face, "image/jpeg"),
    })
    assert handle.request_id
    assert "/fal/queue/fal-ai/minimax/requests/" in handle.status_url
    for status in handle.iter_events(with_logs=True, interval=0.05):
        assert isinstance(status, (fal.Queued, fal.InProgress, fal.Completed))
    completed = fal.status("fal-ai/minimax/image-01/subject-reference", handle.request_id, with_logs=True)
    assert isinstance(completed, fal.Completed) and completed.error is None
    assert completed.metrics["inference_time"] > 0
    result = fal.result("fal-ai/minimax/image-01/subject-reference", handle.request_id)
    assert len(result["images"]) == 1
    assert handle.get() == result


def test_cancel_queued_and_running(fal):
    running = fal.submit("fal-ai/minimax/image-01", arguments={"prompt": "[sleep:5000] held"})
    fal.cancel("fal-ai/minimax/image-01", running.request_id)
    status = None
    for status in running.iter_events(interval=0.05):
        pass
    assert isinstance(status, fal.Completed) and status.error
    with pytest.raises(fal.client.FalClientHTTPError) as caught:
        running.get()
    assert caught.value.status_code == 400
    with pytest.raises(fal.client.FalClientHTTPError) as again:
        running.cancel()
    assert again.value.status_code == 400
    assert again.value.response.json() == {"status": "ALREADY_COMPLETED"}


def test_low_priority_and_webhook_are_accepted(fal):
    handle = fal.submit(
        "fal-ai/minimax/image-01", arguments={"prompt": "low"}, priority="low",
        webhook_url="https://example.invalid/hook",
    )
    assert len(handle.get()["images"]) == 1

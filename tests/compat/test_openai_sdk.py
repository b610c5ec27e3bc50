"""The real `openai` Python SDK against Likeness's OpenAI-compatible endpoints."""

import base64
import io
import json
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import API_KEY, BLOCKED_PHRASE, jpeg_size


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key=API_KEY, max_retries=0)


@pytest.fixture(scope="module")
def reference_jpeg(client) -> bytes:
    response = client.images.generate(model="MiniMax-Image-01", prompt="a face", response_format="b64_json", size="1024x1024")
    return base64.b64decode(response.data[0].b64_json)


def test_generate_url(client):
    response = client.images.generate(model="MiniMax-Image-01", prompt="A cute baby sea otter", n=2, size="1024x1024")
    assert response.created > 0
    assert len(response.data) == 2
    image = urllib.request.urlopen(response.data[0].url).read()
    assert jpeg_size(image) == (1024, 1024)


def test_generate_b64_json_maps_size_to_ratio(client):
    response = client.images.generate(model="image-01", prompt="harbor at dusk", size="1792x1024", response_format="b64_json")
    assert response.data[0].url is None
    assert jpeg_size(base64.b64decode(response.data[0].b64_json)) == (1280, 720)


def test_generate_custom_size_and_seed(client):
    first = client.images.generate(
        model="minimax/image-01", prompt="koi", size="1536x640", response_format="b64_json", extra_body={"seed": 5}
    )
    second = client.images.generate(
        model="minimax/image-01", prompt="koi", size="1536x640", response_format="b64_json", extra_body={"seed": 5}
    )
    assert jpeg_size(base64.b64decode(first.data[0].b64_json)) == (1536, 640)
    assert first.data[0].b64_json == second.data[0].b64_json


def test_dalle_fields_never_fail(client):
    response = client.images.generate(
        model="MiniMax-Image-01", prompt="a lighthouse", style="vivid", quality="hd", user="user-1",
        moderation="low", background="opaque", response_format="b64_json",
    )
    assert len(response.data) == 1


def test_output_format_png_and_webp(client):
    png = client.images.generate(model="image-01", prompt="a lighthouse", output_format="png", response_format="b64_json")
    assert png.output_format == "png"
    data = base64.b64decode(png.data[0].b64_json)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1024 and int.from_bytes(data[20:24], "big") == 1024

    webp = client.images.generate(
        model="image-01", prompt="a lighthouse", output_format="webp", output_compression=60,
        extra_body={"aigc_watermark": True},
    )
    assert webp.output_format == "webp"
    with urllib.request.urlopen(webp.data[0].url) as reply:
        assert reply.headers["Content-Type"] == "image/webp"
        data = reply.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert b"trainedAlgorithmicMedia" in data, "the AIGC marker is in the WebP's XMP chunk"

    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="image-01", prompt="x", output_compression=101)
    assert caught.value.body["param"] == "output_compression"


def test_edit_as_json_with_image_url(client, reference_jpeg):
    data_url = "data:image/jpeg;base64," + base64.b64encode(reference_jpeg).decode()
    response = client.post(
        "/images/edits",
        body={"model": "image-01", "prompt": "the same person, smiling", "images": [{"image_url": data_url}],
              "response_format": "b64_json"},
        cast_to=openai.types.ImagesResponse,
    )
    assert jpeg_size(base64.b64decode(response.data[0].b64_json)) == (1024, 1024)


def test_generate_with_extra_body_subject_reference(client, reference_jpeg):
    data_url = "data:image/jpeg;base64," + base64.b64encode(reference_jpeg).decode()
    response = client.images.generate(
        model="minimax/minimax-image-01-subject-reference", prompt="the same person on a beach", n=1,
        size="1024x1024", extra_body={"subject_reference": [{"type": "character", "image_file": data_url}]},
    )
    assert len(response.data) == 1
    as_array = client.images.generate(
        model="MiniMax-Image-01", prompt="the same person in the rain", response_format="b64_json",
        extra_body={"subject_reference": [{"type": "character", "image_file": ["", data_url]}]},
    )
    assert len(as_array.data) == 1


def test_edit_with_one_file(client, reference_jpeg):
    response = client.images.edit(
        model="MiniMax-Image-01", image=("face.jpg", io.BytesIO(reference_jpeg), "image/jpeg"),
        prompt="Close-up of a harbor worker with sunglasses", n=2, size="1024x1536", response_format="b64_json",
    )
    assert len(response.data) == 2
    assert jpeg_size(base64.b64decode(response.data[0].b64_json)) == (832, 1248)


def test_edit_with_a_list_of_files(client, reference_jpeg):
    one = client.images.edit(
        model="MiniMax-Image-01", image=[("face.jpg", io.BytesIO(reference_jpeg), "image/jpeg")], prompt="portrait"
    )
    assert len(one.data) == 1
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="MiniMax-Image-01",
            image=[("a.jpg", io.BytesIO(reference_jpeg), "image/jpeg"), ("b.jpg", io.BytesIO(reference_jpeg), "image/jpeg")],
            prompt="portrait",
        )
    assert caught.value.status_code == 400
    assert "only one reference image" in caught.value.message


def test_edit_with_a_mask_is_refused(client, reference_jpeg):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(
            model="MiniMax-Image-01", image=("face.jpg", io.BytesIO(reference_jpeg), "image/jpeg"),
            mask=("mask.png", io.BytesIO(reference_jpeg), "image/png"), prompt="portrait",
        )
    assert caught.value.body["param"] == "mask"


def test_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="MiniMax-Image-01", prompt="x", n=10)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "n"
    assert caught.value.body["code"] == "2013"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="MiniMax-Image-01", prompt="x", size="100x3")
    assert caught.value.body["param"] == "size"


def test_authentication_error(server):
    bad = OpenAI(base_url=server + "/v1", api_key="lk_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.images.generate(model="MiniMax-Image-01", prompt="x")
    assert caught.value.status_code == 401
    assert caught.value.body["type"] == "authentication_error"


def test_not_found_model(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.images.generate(model="dall-e-3", prompt="x")
    assert caught.value.status_code == 404
    assert caught.value.body["code"] == "model_not_found"


def test_permission_denied_for_content_policy(client):
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.images.generate(model="MiniMax-Image-01", prompt=f"a {BLOCKED_PHRASE} poster")
    assert caught.value.status_code == 403
    assert caught.value.body["code"] == "1026"


def test_rate_limit_error_with_retry_after(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.images.generate(model="MiniMax-Image-01", prompt="[fault:1002] busy")
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body["type"] == "rate_limit_error"


def test_server_error(client):
    with pytest.raises(openai.InternalServerError) as caught:
        client.images.generate(model="MiniMax-Image-01", prompt="[fault:1024] broken")
    assert caught.value.status_code == 500


def test_partially_blocked_images_are_reported(client):
    raw = client.images.with_raw_response.generate(model="MiniMax-Image-01", prompt="[blocked:1] three cats", n=3)
    assert raw.headers["x-likeness-blocked-images"] == "1"
    assert len(raw.parse().data) == 2
    with pytest.raises(openai.PermissionDeniedError):
        client.images.generate(model="MiniMax-Image-01", prompt="[blocked:2] two cats", n=2)


def admin(server: str, method: str, path: str, body: dict) -> dict:
    """The admin API, with the first key (the house account's admin)."""
    request = urllib.request.Request(
        server + path, method=method, data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_prepaid_customer_is_charged_then_refused_with_402(server):
    account = admin(server, "POST", "/v1/admin/accounts", {"name": "sdk customer"})
    admin(server, "POST", f"/v1/admin/accounts/{account['id']}/credits", {"amount_usd": "0.015", "waive_fee": True})
    key = admin(server, "POST", f"/v1/admin/accounts/{account['id']}/keys", {"requests_per_minute": 3})["secret"]
    customer = OpenAI(base_url=server + "/v1", api_key=key, max_retries=0)

    retried = {"Idempotency-Key": "sdk-order-1"}
    first = customer.images.with_raw_response.generate(model="MiniMax-Image-01", prompt="a cat", extra_headers=retried)
    assert first.headers["x-likeness-cost-usd"] == "0.01"
    again = customer.images.with_raw_response.generate(model="MiniMax-Image-01", prompt="a cat", extra_headers=retried)
    assert again.parse().data[0].url == first.parse().data[0].url, "a retry returns the first response"

    with pytest.raises(openai.APIStatusError) as caught:
        customer.images.generate(model="MiniMax-Image-01", prompt="a dog")
    assert caught.value.status_code == 402
    assert caught.value.body["type"] == "insufficient_credits"

    with pytest.raises(openai.RateLimitError) as caught:
        customer.images.generate(model="MiniMax-Image-01", prompt="a fourth request this minute")
    assert int(caught.value.response.headers["retry-after"]) >= 1


def test_models_list_and_retrieve(client):
    models = client.models.list()
    ids = [model.id for model in models.data]
    assert ids == sorted(ids)
    assert {"image-01", "image-01-live", "MiniMax-Image-01", "minimax/image-01"} <= set(ids)
    live = next(model for model in models.data if model.id == "image-01-live")
    assert live.object == "model" and live.owned_by == "minimax" and live.created > 0
    extensions = live.model_extra["likeness"]
    assert extensions["model"] == "image-01-live"
    assert "21:9" not in extensions["capabilities"]["aspect_ratios"]
    assert extensions["capabilities"]["custom_size"] is None
    assert len(extensions["capabilities"]["styles"]) == 4
    # The SDK escapes the slash of an id (`minimax%2Fimage-01`).
    retrieved = client.models.retrieve("minimax/image-01")
    assert retrieved.id == "minimax/image-01"
    assert retrieved.model_extra["likeness"]["model"] == "image-01"
    # The suite's key is the operator's own account, which pays nothing.
    assert float(retrieved.model_extra["likeness"]["price_per_image_usd"]) == 0
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("dall-e-3")
    assert caught.value.body["code"] == "model_not_found"


def test_stream_yields_one_completed_event_per_image(client, reference_jpeg):
    events = list(client.images.generate(model="image-01", prompt="a lighthouse", n=2, size="1536x1024", stream=True))
    assert [event.type for event in events] == ["image_generation.completed"] * 2
    assert events[0].size == "1248x832" and events[0].output_format == "jpeg"
    assert jpeg_size(base64.b64decode(events[0].b64_json)) == (1248, 832)
    edited = list(client.images.edit(
        model="image-01", image=("face.jpg", io.BytesIO(reference_jpeg), "image/jpeg"), prompt="the same person",
        stream=True,
    ))
    assert [event.type for event in edited] == ["image_edit.completed"]
    assert jpeg_size(base64.b64decode(edited[0].b64_json)) == (1024, 1024)


def test_character_by_id_in_extra_body(client, server, reference_jpeg):
    """A character stored once (`POST /v1/characters`) is named by id where the photo would go."""
    import httpx

    data_url = "data:image/jpeg;base64," + base64.b64encode(reference_jpeg).decode()
    created = httpx.post(server + "/v1/characters", headers={"Authorization": f"Bearer {API_KEY}"},
                         json={"name": "otter keeper", "image_file": data_url}, timeout=30)
    assert created.status_code == 201, created.text
    character = created.json()["id"]
    response = client.images.generate(
        model="image-01", prompt="the same person on a beach", size="1024x1024",
        extra_body={"subject_reference": [{"type": "character", "character_id": character}]})
    assert len(response.data) == 1
    with pytest.raises(openai.NotFoundError) as caught:
        client.images.generate(
            model="image-01", prompt="nobody", extra_body={
                "subject_reference": [{"type": "character", "character_id": "chr_" + "0" * 32}]})
    assert "no character" in caught.value.message
    deleted = httpx.delete(f"{server}/v1/characters/{character}", headers={"Authorization": f"Bearer {API_KEY}"})
    assert deleted.json() == {"id": character, "object": "character.deleted", "deleted": True}


def test_files_create_then_edit_by_file_id(client, reference_jpeg, tmp_path):
    """`files.create(purpose="vision")`, then a JSON edit naming the file by `file_id`; listed,
    deleted, and refused when it is not a picture."""
    photo = tmp_path / "face.jpg"
    photo.write_bytes(reference_jpeg)
    with photo.open("rb") as file:
        uploaded = client.files.create(file=file, purpose="vision")
    assert uploaded.id.startswith("file-") and uploaded.filename == "face.jpg" and uploaded.expires_at > uploaded.created_at
    response = client.post(
        "/images/edits",
        body={"model": "image-01", "prompt": "the same person, smiling", "images": [{"file_id": uploaded.id}],
              "response_format": "b64_json"},
        cast_to=openai.types.ImagesResponse,
    )
    assert jpeg_size(base64.b64decode(response.data[0].b64_json)) == (1024, 1024)
    assert uploaded.id in [listed.id for listed in client.files.list()]
    assert client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.post("/images/edits", body={"model": "image-01", "prompt": "gone", "images": [{"file_id": uploaded.id}]},
                    cast_to=openai.types.ImagesResponse)
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("notes.txt", b"not a picture", "text/plain"), purpose="vision")
    assert caught.value.body["param"] == "file" and "not an image" in caught.value.message

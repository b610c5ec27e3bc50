"""Identity scores and the consistency guard through the real `openai` client: the extra fields
ride on the client's own models, and a faceless reference is the client's BadRequestError."""

import base64
import io
import os
from pathlib import Path

import openai
import pytest
from openai import OpenAI

from conftest import API_KEY, ROOT, start_server

PHOTOS = Path(os.environ.get("LIKENESS_TEST_FACE_PHOTOS", ROOT / ".cache/face-photos"))


@pytest.fixture(scope="module")
def client():
    process, base, _ = start_server({"LIKENESS_IDENTITY_SCORING": "on", "LIKENESS_IDENTITY_THREADS": "2"})
    yield OpenAI(base_url=base + "/v1", api_key=API_KEY, max_retries=0)
    process.terminate()
    process.wait(timeout=10)


def data_url(name: str) -> str:
    return "data:image/jpeg;base64," + base64.b64encode((PHOTOS / name).read_bytes()).decode()


def test_scores_ride_on_each_image(client):
    response = client.images.generate(
        model="image-01", prompt="the same person on a beach", n=2, size="1024x1024",
        extra_body={"subject_reference": [{"type": "character", "image_file": data_url("obama.jpg")}]},
    )
    scores = [image.model_extra["identity_score"] for image in response.data]
    assert len(scores) == 2 and all(score >= 0.5 for score in scores), scores


def test_guard_fields_are_accepted_and_reported(client):
    raw = client.images.with_raw_response.generate(
        model="image-01", prompt="portrait", size="1024x1024",
        extra_body={
            "subject_reference": [{"type": "character", "image_file": data_url("obama2.jpg")}],
            "identity_threshold": 0.5, "identity_max_attempts": 2, "identity_policy": "strict",
        },
    )
    image = raw.parse().data[0]
    assert image.model_extra["identity_passed"] is True
    assert float(raw.headers["X-Likeness-Identity"]) == image.model_extra["identity_score"]


def drawn_picture(client) -> bytes:
    """A picture the server drew itself: no face in it."""
    return base64.b64decode(
        client.images.generate(model="image-01", prompt="a koi pond", response_format="b64_json", size="1024x1024")
        .data[0].b64_json
    )


def test_faceless_reference_is_generated_from_with_a_note_by_default(client):
    response = client.images.edit(
        model="image-01", image=("pond.jpg", io.BytesIO(drawn_picture(client)), "image/jpeg"), prompt="portrait")
    assert len(response.data) == 1
    assert response.model_extra["identity_note"].startswith("no face found in image")
    assert response.data[0].model_extra.get("identity_score") is None


def test_faceless_reference_is_a_bad_request_at_reject(client):
    drawn = drawn_picture(client)
    process, base, _ = start_server({
        "LIKENESS_IDENTITY_SCORING": "on", "LIKENESS_IDENTITY_THREADS": "1", "LIKENESS_IDENTITY_REFERENCE_CHECK": "reject"})
    try:
        strict = OpenAI(base_url=base + "/v1", api_key=API_KEY, max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            strict.images.edit(model="image-01", image=("pond.jpg", io.BytesIO(drawn), "image/jpeg"), prompt="portrait")
        assert caught.value.body["param"] == "image"
        assert "no face found in image" in caught.value.message
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_console_captions_each_image_with_its_score(client, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from test_console import CHROMIUM, sign_in

    base = str(client.base_url).removesuffix("/v1/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page()
        sign_in(page, base)
        page.set_input_files("#reference", str(PHOTOS / "obama2.jpg"))
        page.get_by_role("textbox", name="Prompt").fill("the same person on a beach")
        page.get_by_role("button", name="Generate").click()
        caption = page.locator("#gallery figcaption.identity")
        expect(caption).to_have_count(1)
        expect(caption).to_contain_text("Likeness to the reference: 0.")
        score = float(caption.inner_text().split(": ")[1])
        assert score >= 0.5, score
        browser.close()


def test_streamed_events_carry_the_score(client):
    events = list(client.images.edit(
        model="image-01", image=("face.jpg", (PHOTOS / "obama3.jpg").read_bytes(), "image/jpeg"),
        prompt="the same person at dusk", stream=True, extra_body={"identity_threshold": 0.5},
    ))
    assert [event.type for event in events] == ["image_edit.completed"]
    assert events[0].model_extra["identity_score"] >= 0.5
    assert events[0].model_extra["identity_passed"] is True

"""Webhook receivers written for fal and for Standard Webhooks verify Likeness's webhooks unchanged.

The fal receiver follows fal's documented steps with PyNaCl: fetch the JWKS, check the timestamp
is within five minutes, and verify the ED25519 signature (hex) over the request id, user id,
timestamp and the body's SHA-256 hex digest, one per line, against each published key. Native
and OpenAI `callback_url` deliveries are checked by the `standardwebhooks` package itself.
"""

import base64
import hashlib
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nacl.exceptions
import nacl.signing
import pytest
import standardwebhooks

from conftest import API_KEY, start_server

TOLERANCE_SECONDS = 300
RETIRED_KEY_SECONDS = 2


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POST it gets: (headers by lowercase name, body)."""

    def __init__(self):
        self.calls = []
        received = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(({name.lower(): value for name, value in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_port}/hook"

    def wait_for(self, count: int):
        for _ in range(200):
            if len(self.calls) >= count:
                return self.calls[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"{count} webhooks did not arrive")


@pytest.fixture(scope="module")
def hooked():
    process, base, _ = start_server(
        {
            "LIKENESS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
            "LIKENESS_WEBHOOKS_RETIRED_KEY_SECONDS": str(RETIRED_KEY_SECONDS),
        }
    )
    receiver = Receiver()
    yield base, receiver
    receiver.http.shutdown()
    process.terminate()
    process.wait(timeout=10)


def post(url: str, body: dict, key: str = API_KEY, scheme: str = "Bearer") -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"{scheme} {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def jwks(base: str) -> dict:
    with urllib.request.urlopen(base + "/.well-known/jwks.json", timeout=10) as response:
        return json.loads(response.read())


def fal_receiver_accepts(headers: dict, body: bytes, key_set: dict, now: float | None = None) -> bool:
    """fal's documented verification, step by step."""
    try:
        request_id = headers["x-fal-webhook-request-id"]
        user_id = headers["x-fal-webhook-user-id"]
        timestamp = headers["x-fal-webhook-timestamp"]
        signature = bytes.fromhex(headers["x-fal-webhook-signature"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    message = "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode("utf-8")
    for key in key_set["keys"]:
        verify_key = nacl.signing.VerifyKey(base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4)))
        try:
            verify_key.verify(message, signature)
            return True
        except nacl.exceptions.BadSignatureError:
            continue
    return False


def submit_fal(base: str, receiver: Receiver, prompt: str):
    submitted = post(
        f"{base}/fal/queue/fal-ai/minimax/image-01?fal_webhook={receiver.url}", {"prompt": prompt}, scheme="Key"
    )
    return submitted["request_id"], receiver.wait_for(len(receiver.calls) + 1)


def test_a_fal_receiver_accepts_and_refuses_what_it_should(hooked):
    base, receiver = hooked
    request_id, (headers, body) = submit_fal(base, receiver, "a signed lighthouse")
    key_set = jwks(base)
    assert headers["x-fal-webhook-request-id"] == request_id
    assert json.loads(body)["status"] == "OK"
    assert fal_receiver_accepts(headers, body, key_set)

    assert not fal_receiver_accepts(headers, body.replace(b'"OK"', b'"ERROR"'), key_set), "a tampered body"
    moved = dict(headers, **{"x-fal-webhook-timestamp": str(int(headers["x-fal-webhook-timestamp"]) + 1)})
    assert not fal_receiver_accepts(moved, body, key_set), "a timestamp not the one signed"
    assert not fal_receiver_accepts(headers, body, key_set, now=time.time() + TOLERANCE_SECONDS + 60), "a replay"
    other = dict(headers, **{"x-fal-webhook-user-id": "acct_someone_else"})
    assert not fal_receiver_accepts(other, body, key_set), "another user"


def test_a_rotated_out_key_is_refused_once_it_leaves_the_jwks(hooked):
    base, receiver = hooked
    _, (old_headers, old_body) = submit_fal(base, receiver, "before the rotation")
    rotated = post(f"{base}/v1/admin/webhook-keys/rotate", {})
    assert len(rotated["keys"]) == 2, "the old key stays published while its webhooks may be retried"
    assert fal_receiver_accepts(old_headers, old_body, jwks(base))

    _, (new_headers, new_body) = submit_fal(base, receiver, "after the rotation")
    time.sleep(RETIRED_KEY_SECONDS + 0.5)
    key_set = jwks(base)
    assert len(key_set["keys"]) == 1
    assert fal_receiver_accepts(new_headers, new_body, key_set)
    assert not fal_receiver_accepts(old_headers, old_body, key_set), "signed by a key no longer published"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/image_generation", {"model": "image-01", "prompt": "a native callback", "async": True}),
        ("/v1/images/generations", {"model": "image-01", "prompt": "an OpenAI callback", "async": True}),
    ],
)
def test_standard_webhooks_verifies_native_and_openai_callbacks(hooked, path, body):
    base, receiver = hooked
    issued = post(f"{base}/v1/keys", {"name": "standard webhooks"})
    secret = issued["webhook_secret"]
    assert secret.startswith("whsec_")
    post(base + path, dict(body, callback_url=receiver.url), key=issued["secret"])
    headers, payload = receiver.wait_for(len(receiver.calls) + 1)

    webhook = standardwebhooks.Webhook(secret)
    verified = webhook.verify(payload, headers)
    assert verified == json.loads(payload)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        webhook.verify(payload + b" ", headers)
    stale = dict(headers, **{"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 3600)})
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        webhook.verify(payload, stale)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + base64.b64encode(b"another secret, 32 bytes long!!").decode()).verify(
            payload, headers
        )

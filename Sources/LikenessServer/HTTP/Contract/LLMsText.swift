/// `GET /llms.txt`: a short guide to the API for coding agents (the llms.txt convention), with
/// the full contract one request away at `/openapi.json`.
enum LLMsText {
    static let text = """
        # Likeness

        > A self-hosted server for MiniMax image-01: text-to-image, and subject reference (a photo of a \
        person plus a prompt gives new images of that same person). It speaks MiniMax's native API, \
        the OpenAI images API and fal.ai's APIs, so existing client code works unchanged.

        Every request needs a key: `Authorization: Bearer lk_...` (fal clients send `Key lk_...`).
        The full contract, every route, body and error: `GET /openapi.json` (OpenAPI 3.1).

        ## Generate

        - MiniMax native: `POST /v1/image_generation` with `{"model": "image-01", "prompt": "...", \
        "aspect_ratio": "16:9", "n": 1, "response_format": "url"}`. Failures are HTTP 200 with \
        `base_resp.status_code` other than 0 (2013 invalid parameters, 1002 rate limited, 1008 no \
        balance, 1026 sensitive prompt).
        - Subject reference: add `"subject_reference": [{"type": "character", "image_file": \
        "<https URL or data URL of a JPEG/PNG face photo>"}]`.
        - OpenAI-compatible: `POST /v1/images/generations` (`model`, `prompt`, `n`, `size` such as \
        `1024x1024`, `response_format` `url` or `b64_json`; the reference as `extra_body` \
        `subject_reference`), or `POST /v1/images/edits` (multipart, the photo as `image`). Errors are \
        `{"error": {"message", "type", "param", "code"}}` with HTTP statuses.
        - fal: `POST /fal/fal-ai/minimax/image-01` (waits) or `POST /fal/queue/fal-ai/minimax/image-01` \
        (queues; poll `status_url`, then GET `response_url`). Subject reference: the app \
        `fal-ai/minimax/image-01/subject-reference` with `image_url`.

        ## Long jobs

        Add `"async": true` (or send `Prefer: respond-async`) to a native or OpenAI generation: the \
        answer is 202 with a task. Poll `GET /v1/query/image_generation?task_id=...` (native) or \
        `GET /v1/images/generations/{id}` (OpenAI) until it is done; it then answers as the \
        synchronous call would have. `callback_url` gets the answer POSTed, signed.

        ## Agents

        MCP at `POST /mcp` (streamable HTTP, stateless, same key): tools `generate_image`, \
        `generate_from_reference` (`reference`: an http(s) or data URL), `list_jobs`, `get_job`. \
        Desktop agents run `likeness mcp --server URL` (stdio; `reference` may be a file path).

        ## Models

        `GET /v1/models`: `image-01` (8 aspect ratios, custom sizes 512 to 2048 in steps of 8) and \
        `image-01-live` (styles, no 21:9), with aliases, prices and capabilities.

        ## Account

        `GET /v1/balance`, `GET /v1/usage?from=2026-11-01&to=2026-11-30` (`format=csv` for CSV).

        ## Tips

        - 1 to 9 images a request; `seed` makes results repeatable.
        - Image URLs are signed and expire (24 hours by default): download what you keep.
        - On 1002 / HTTP 429, wait for `Retry-After` seconds.
        - Send `Idempotency-Key` to retry a generation safely.
        """
}

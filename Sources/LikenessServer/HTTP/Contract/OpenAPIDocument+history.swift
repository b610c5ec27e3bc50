import Foundation
import LikenessCore

/// An account's history, the operator's jobs browser and metrics reading, and thumbnails.
extension OpenAPIDocument {
    static func history(into paths: inout [String: J]) {
        let id = pathParameter("id", "A request's id (its task or request id in any dialect)", schema: string())
        let page = [
            queryParameter("limit", "1 to 100 (default 20)", type: "integer"),
            queryParameter("after", "The last id of the previous page", type: "string"),
            queryParameter("from", "Created on or after: a UTC day (2026-11-01) or an ISO 8601 time", type: "string"),
            queryParameter("to", "Created before the end of: a UTC day, or before an ISO 8601 time", type: "string"),
            queryParameter("status", "queued, running, succeeded, failed or cancelled", type: "string"),
            queryParameter("model", "image-01 or image-01-live", type: "string"),
            queryParameter("dialect", "minimax, openai, fal or mcp", type: "string"),
            queryParameter("character_id", "Made from this character", type: "string"),
        ]
        paths["/v1/generations"] = .object([
            "get": operation(
                "listGenerations", tag: "account",
                summary: "The account's requests in every dialect, newest first, with thumbnails",
                description: "Each image has its signed URL, a 256 px thumbnail under the same signature, its "
                    + "seed (as `seed` with `n` = 1 it makes that image again) and its identity score; an "
                    + "expired image has `expired: true` and no URL.",
                security: accountSecurity, parameters: page,
                responses: ["200": json(ref("GenerationList"), "A page of requests"), "default": openAIError()])
        ])
        paths["/v1/generations/{id}"] = .object([
            "get": operation(
                "getGeneration", tag: "account", summary: "One of the account's requests, with its log",
                security: accountSecurity, parameters: [id],
                responses: ["200": json(ref("Generation"), "The request"), "default": openAIError()])
        ])
        paths["/v1/admin/jobs"] = .object([
            "get": adminOperation(
                "adminListJobs", "Every account's requests, newest first",
                parameters: page + [
                    queryParameter("account", "One account's (acct_…)", type: "string"),
                    queryParameter("engine", "Run by this engine", type: "string"),
                    queryParameter("error_code", "Failed with this catalogue code", type: "integer"),
                ], response: ref("GenerationList"))
        ])
        paths["/v1/admin/jobs/{id}"] = .object([
            "get": adminOperation(
                "adminGetJob", "Any account's request, with its log", parameters: [id],
                response: ref("Generation"))
        ])
        paths["/v1/admin/metrics"] = .object([
            "get": adminOperation(
                "adminMetrics", "The server's counters and gauges now, as JSON (rates come from two readings)",
                response: ref("Metrics"))
        ])
        paths["/v1/files/{file}/thumbnail"] = .object([
            "get": operation(
                "getImageThumbnail", tag: "files", summary: "A generated image, 256 px on its longest side, as JPEG",
                description: "Signed as the image's own URL is; anything else is 404.", security: .array([]),
                parameters: [
                    pathParameter("file", "`<image id>.jpg`, `.png` or `.webp`, as the image's URL", schema: string()),
                    queryParameter("expires", "Unix seconds", type: "string"),
                    queryParameter("signature", "HMAC-SHA256, hex", type: "string"),
                ],
                responses: [
                    "200": .object([
                        "description": .string("The thumbnail"),
                        "content": .object(["image/jpeg": .object(["schema": string()])]),
                    ]),
                    "404": .object(["description": .string("No such image, or the URL has expired")]),
                ])
        ])
    }

    static func historySchemas() -> [String: J] {
        let image = object(
            [
                "index": integer(), "url": string(), "thumbnail_url": string(), "width": integer(), "height": integer(),
                "seed": integer(), "identity_score": nullable("number"), "expired": boolean(),
            ], required: ["index", "expired"])
        let parameters = object(
            [
                "model": string(), "prompt": string(), "aspect_ratio": string(), "width": integer(),
                "height": integer(), "n": integer(), "seed": integer(), "response_format": string(),
                "prompt_optimizer": boolean(), "aigc_watermark": boolean(),
                "style": object(["style_type": string(), "style_weight": number()]),
                "subject_reference": object(
                    [
                        "type": enumeration(["character", "upload", "url", "inline"]), "character_id": string(),
                        "upload_id": string(), "url": string(),
                    ], required: ["type"]),
                "identity_threshold": number(), "output_format": string(),
            ], required: ["model", "prompt", "width", "height", "n"])
        let generation = object(
            [
                "id": string(), "object": .object(["const": .string("generation")]), "account_id": string(),
                "created_at": integer(),
                "status": enumeration(["queued", "running", "succeeded", "failed", "cancelled"]),
                "dialect": enumeration(["minimax", "openai", "fal", "mcp"]), "app": string(), "model": string(),
                "engine": string(), "parameters": parameters, "images": array(image), "withheld": integer(),
                "cost_usd": string("Charged once ended; held before"), "byok": boolean(),
                "error": object(["code": integer(), "message": string(), "field": string()], required: ["code"]),
                "timings": object([
                    "started_at": integer(), "finished_at": integer(), "queue_ms": integer(), "engine_ms": integer(),
                    "total_ms": integer(),
                ]),
                "identity_threshold": number(), "identity_note": string(),
                "logs": array(
                    object(["at": number(), "level": string(), "source": string(), "message": string()])),
            ], required: ["id", "object", "created_at", "status", "dialect", "images", "cost_usd", "timings"])
        return [
            "Generation": generation,
            "GenerationList": object(
                [
                    "object": .object(["const": .string("list")]), "data": array(ref("Generation")),
                    "has_more": boolean(), "last_id": string(),
                ], required: ["object", "data", "has_more"]),
            "Metrics": object(
                [
                    "object": .object(["const": .string("metrics")]), "at": number(), "requests": integer(),
                    "responses": .object(["type": .string("object"), "additionalProperties": integer()]),
                    "jobs_succeeded": integer(), "jobs_failed": integer(), "jobs_cancelled": integer(),
                    "queue_depth": integer(), "queue_waits": integer(), "queue_wait_seconds": number(),
                    "images_delivered": integer(), "images_withheld": integer(),
                    "upstreams": array(
                        object([
                            "engine": string(), "in_placement": boolean(), "in_flight": integer(), "errors": integer(),
                        ])),
                    "identity_scores": integer(), "identity_score_sum": number(),
                    "identity_buckets": .object(["type": .string("object"), "additionalProperties": integer()]),
                ], required: ["object", "at", "requests"]),
        ]
    }
}

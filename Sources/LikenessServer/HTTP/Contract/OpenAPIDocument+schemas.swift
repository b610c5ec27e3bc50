import LikenessAPI
import LikenessCore
import LikenessService

/// The document's schemas: request bodies with the contract's enums and ranges, and every
/// answer's shape as the dialects write it.
extension OpenAPIDocument {
    static func securitySchemes() -> J {
        .object([
            "bearer": .object([
                "type": .string("http"), "scheme": .string("bearer"),
                "description": .string("A Likeness key: `Authorization: Bearer lk_…`"),
            ]),
            "falKey": .object([
                "type": .string("apiKey"), "in": .string("header"), "name": .string("Authorization"),
                "description": .string("fal's clients send `Authorization: Key lk_…`"),
            ]),
        ])
    }

    static func schemas() -> J {
        let models = ImageModel.allCases.map(\.rawValue)
        let ratios = AspectRatio.allCases.map(\.rawValue)
        let styles = LiveStyleType.allCases.map(\.rawValue)
        let side = integer(PixelSize.customSideRange)
        let count = integer(GenerationRequest.countRange)
        let style = object([
            "style_type": enumeration(styles),
            "style_weight": .object([
                "type": .string("number"), "exclusiveMinimum": .integer(0), "maximum": .integer(1),
            ]),
        ])
        let subjectReference = array(
            .object([
                "oneOf": .array([
                    object(
                        [
                            "type": .object(["const": .string("character")]),
                            "image_file": string(
                                "An http(s) URL or a data URL of a JPEG or PNG under 10 MB, or a character's own URL"),
                        ], required: ["image_file"]),
                    object(
                        [
                            "type": .object(["const": .string("character")]),
                            "character_id": string("A character stored with POST /v1/characters"),
                        ], required: ["character_id"]),
                ])
            ]))
        let prompt: J = .object([
            "type": .string("string"), "maxLength": .integer(1500), "pattern": .string("\\S"),
            "description": .string("At most 1500 characters, with at least one visible one"),
        ])
        // MiniMax writes its counts as strings.
        let countText: J = .object(["type": .array([.string("string"), .string("integer")])])
        let async = boolean()
        let callback = string("An http(s) URL: sent the task's answer when it ends, signed")
        // The consistency guard's request fields and the scores beside each image (`IdentityReport`).
        let identityRequest: [String: J] = [
            "identity_threshold": .object([
                "type": .string("number"), "minimum": .integer(0), "maximum": .integer(1),
                "description": .string(
                    "With a subject reference: images whose identity score is under this are made again"),
            ]),
            "identity_max_attempts": .object([
                "type": .string("integer"), "minimum": .integer(1), "maximum": .integer(5),
                "description": .string("Engine calls an image may take, the first included (default 2)"),
            ]),
            "identity_policy": .object([
                "enum": .array([.string("best"), .string("strict")]),
                "description": .string("`best` (default) delivers flagged images; `strict` withholds them"),
            ]),
        ]
        let identityScore: J = .object([
            "type": .array([.string("number"), .string("null")]), "minimum": .integer(0), "maximum": .integer(1),
            "description": .string("Similarity of the image's face to the reference's: 1 − dlib distance / 1.2"),
        ])
        let identityImage: [String: J] = ["identity_score": identityScore, "identity_passed": boolean()]
        let identityNote = string("Several faces in the reference (the largest is the subject), or none")
        let openAIImage = object(["url": string(), "b64_json": string()].merging(identityImage) { $1 })
        let falImage = object(
            [
                "url": string(), "content_type": string(), "file_name": string(), "file_size": integer(),
                "width": integer(), "height": integer(), "identity_score": identityScore,
                "identity_passed": boolean(),
            ], required: ["url", "content_type", "file_name", "file_size", "width", "height"])
        let byok = object(["minimax": boolean(), "minimax_region": string()], required: ["minimax"])
        let usageRow = object(
            [
                "request_id": string(), "created_at": string(), "key_id": string(), "dialect": string(),
                "model": string(), "status": string(), "error_code": integer(), "images_requested": integer(),
                "images_delivered": integer(), "images_blocked": integer(), "price_usd": dollars(),
                "cost_usd": dollars(), "byok": boolean(), "engine": string(), "identity_score": number(),
            ], required: ["request_id", "created_at", "dialect", "status"])
        let logLine = object(
            ["message": string(), "level": string(), "source": string(), "timestamp": string()],
            required: ["message", "level", "source", "timestamp"])
        return .object([
            "MiniMaxRequest": object(
                [
                    "model": enumeration(models), "prompt": prompt, "aspect_ratio": enumeration(ratios),
                    "width": side, "height": side, "response_format": enumeration(["url", "base64"]),
                    "seed": integer(), "n": count, "prompt_optimizer": boolean(), "aigc_watermark": boolean(),
                    "subject_reference": subjectReference, "style": style, "async": async,
                    "callback_url": callback,
                ].merging(identityRequest) { $1 }, required: ["model", "prompt"]),
            "MiniMaxResponse": object(
                [
                    "task_id": string(), "status": enumeration(["Queueing", "Processing", "Success", "Fail"]),
                    "id": string(),
                    "data": object(["image_urls": array(string()), "image_base64": array(string())]),
                    "metadata": object([
                        "success_count": countText, "failed_count": countText,
                        "identity_scores": array(identityScore), "identity_passed": array(boolean()),
                        "identity_note": identityNote,
                    ]),
                    "base_resp": object(
                        ["status_code": integer(), "status_msg": string()], required: ["status_code", "status_msg"]),
                ], required: ["base_resp"]),
            "OpenAIImagesRequest": object(
                [
                    "model": string("`image-01`, `image-01-live`, or an alias (`GET /v1/models`)"), "prompt": prompt,
                    "n": count, "size": string("`WxH`: an aspect ratio's size, or a custom size for image-01"),
                    "response_format": enumeration(["url", "b64_json", "base64"]), "aspect_ratio": enumeration(ratios),
                    "width": side, "height": side, "seed": integer(), "prompt_optimizer": boolean(),
                    "aigc_watermark": boolean(), "subject_reference": subjectReference, "style": style,
                    "style_type": enumeration(styles), "quality": string("Accepted and ignored"),
                    "user": string("Accepted and ignored"),
                    "background": .object([
                        "enum": .array([.string("auto"), .string("opaque"), .string("transparent")]),
                        "description": .string("`transparent` is refused: image-01 makes opaque images"),
                    ]),
                    "moderation": string("Accepted and ignored (`auto`, `low`)"),
                    "output_format": .object([
                        "enum": .array([.string("jpeg"), .string("png"), .string("webp"), .string("jpg")]),
                        "description": .string("The images' file format (default `jpeg`)"),
                    ]),
                    "output_compression": .object([
                        "type": .string("integer"), "minimum": .integer(0), "maximum": .integer(100),
                        "description": .string("JPEG or WebP quality, 100 the least compressed; PNG ignores it"),
                    ]),
                    "async": async, "callback_url": callback,
                    "stream": .object([
                        "type": .string("boolean"),
                        "description": .string("Server-sent events, one `image_generation.completed` per image"),
                    ]),
                ].merging(identityRequest) { $1 }, required: ["prompt"]),
            "OpenAIImageStreamEvent": object(
                [
                    "type": enumeration(["image_generation.completed", "image_edit.completed"]),
                    "b64_json": string(), "created_at": integer(), "size": string(), "quality": string(),
                    "background": string(), "output_format": string(), "usage": .object(["type": .string("object")]),
                    "identity_score": identityScore, "identity_passed": boolean(),
                ], required: ["type", "b64_json", "created_at", "size"]),
            "OpenAIImageTask": object(
                [
                    "id": string(), "object": .object(["const": .string("image.generation.task")]),
                    "status": enumeration(["queued", "in_progress", "completed", "failed", "cancelled"]),
                    "created": integer(), "data": array(openAIImage),
                    "output_format": enumeration(OutputFormat.allCases.map(\.rawValue)), "identity_note": identityNote,
                    "error": object(
                        [
                            "message": string(), "type": string(), "param": nullable("string"),
                            "code": nullable("string"),
                        ], required: ["message", "type"]),
                ], required: ["id", "object", "status", "created"]),
            "OpenAIEditsJSON": object(
                [
                    "model": string(), "prompt": prompt, "n": count, "size": string(),
                    "response_format": enumeration(["url", "b64_json", "base64"]), "seed": integer(),
                    "aspect_ratio": enumeration(ratios),
                    "background": enumeration(["auto", "opaque", "transparent"]),
                    "output_format": enumeration(OutputFormat.allCases.map(\.rawValue)),
                    "output_compression": integer(0...100),
                    "images": .object([
                        "type": .string("array"), "minItems": .integer(1), "maxItems": .integer(1),
                        "items": object(
                            ["image_url": string("The subject's photo: an http(s) or data URL")],
                            required: ["image_url"]),
                    ]),
                ].merging(identityRequest) { $1 }, required: ["prompt", "images"]),
            "CreateCharacterJSON": object(
                [
                    "name": string("1 to 100 visible characters"),
                    "image_file": .object([
                        "description": .string(
                            "1 to 5 photos of one person: http(s) URLs or data URLs of JPEGs or PNGs under 10 MB"),
                        "oneOf": .array([
                            string(), .object(["type": .string("array"), "items": string(), "maxItems": .integer(5)]),
                        ]),
                    ]),
                ], required: ["image_file"]),
            "CreateCharacterForm": object(
                [
                    "name": string(),
                    "image": .object([
                        "type": .string("string"), "contentMediaType": .string("application/octet-stream"),
                        "description": .string("A photo of the person, JPEG or PNG (up to 5 such parts)"),
                    ]),
                ], required: ["image"]),
            "Character": object(
                [
                    "id": string(), "object": .object(["const": .string("character")]), "name": string(),
                    "created_at": integer(), "url": string("This character's own URL, usable as image_url"),
                    "photos": array(
                        object(
                            [
                                "width": integer(), "height": integer(), "bytes": integer(), "content_type": string(),
                                "face": object(["width": integer(), "height": integer()]), "note": string(),
                                "thumbnail_url": string(),
                            ], required: ["width", "height", "bytes", "content_type", "thumbnail_url"])),
                ], required: ["id", "object", "created_at", "url", "photos"]),
            "CharacterList": object(
                [
                    "object": .object(["const": .string("list")]), "data": array(ref("Character")),
                    "has_more": boolean(), "last_id": string(),
                ], required: ["object", "data", "has_more"]),
            "CharacterDeleted": object(
                [
                    "id": string(), "object": .object(["const": .string("character.deleted")]),
                    "deleted": boolean(),
                ], required: ["id", "object", "deleted"]),
            "CharacterHistory": object(
                [
                    "object": .object(["const": .string("list")]),
                    "data": array(
                        object(
                            [
                                "id": string(), "object": .object(["const": .string("character.generation")]),
                                "created_at": integer(), "model": string(), "prompt": string(), "dialect": string(),
                                "images": array(
                                    object(
                                        [
                                            "url": string(), "width": integer(), "height": integer(),
                                            "identity_score": nullable("number"),
                                        ], required: ["url", "width", "height"])),
                                "identity_scores": array(nullable("number")), "identity_threshold": number(),
                            ], required: ["id", "object", "created_at", "dialect", "images", "identity_scores"])),
                    "has_more": boolean(), "last_id": string(),
                ], required: ["object", "data", "has_more"]),
            "OpenAIEditsForm": object(
                [
                    "image": .object([
                        "type": .string("string"), "contentMediaType": .string("application/octet-stream"),
                        "description": .string("The subject's photo, JPEG or PNG"),
                    ]),
                    "prompt": prompt, "model": string(), "n": string("1 to 9"), "size": string(),
                    "response_format": enumeration(["url", "b64_json", "base64"]), "seed": string(),
                    "aspect_ratio": enumeration(ratios),
                ].merging(identityRequest.mapValues { _ in string("As text") }) { $1 }, required: ["image", "prompt"]),
            "OpenAIImagesResponse": object(
                [
                    "created": integer(),
                    "data": array(openAIImage),
                    "output_format": enumeration(OutputFormat.allCases.map(\.rawValue)), "identity_note": identityNote,
                ], required: ["created", "data"]),
            "OpenAIError": object(
                [
                    "error": object(
                        [
                            "message": string(), "type": string(), "param": nullable("string"),
                            "code": nullable("string"),
                        ], required: ["message", "type"])
                ], required: ["error"]),
            "Model": object(
                [
                    "id": string(), "object": .object(["const": .string("model")]), "created": integer(),
                    "owned_by": string(),
                    "likeness": object(
                        [
                            "model": enumeration(models), "price_per_image_usd": dollars(),
                            "engines": array(array(string())),
                            "capabilities": object([
                                "subject_reference": boolean(), "aspect_ratios": array(enumeration(ratios)),
                                "sizes": array(string()),
                                "custom_size": .object([
                                    "type": .array([.string("object"), .string("null")]),
                                    "properties": .object([
                                        "min": integer(), "max": integer(), "multiple_of": integer(),
                                    ]),
                                ]),
                                "styles": array(string()), "max_images": integer(),
                                "response_formats": array(string()),
                            ]),
                        ], required: ["model", "price_per_image_usd", "capabilities", "engines"]),
                ], required: ["id", "object", "created", "owned_by"]),
            "ModelList": object(
                ["object": .object(["const": .string("list")]), "data": array(ref("Model"))],
                required: ["object", "data"]),
            "FalTextToImageInput": object(
                [
                    "prompt": prompt, "aspect_ratio": enumeration(ratios), "num_images": count,
                    "prompt_optimizer": boolean(),
                ], required: ["prompt"]),
            "FalSubjectReferenceInput": object(
                [
                    "prompt": prompt, "image_url": string("The subject's photo: an http(s) or data URL"),
                    "aspect_ratio": enumeration(ratios), "num_images": count, "prompt_optimizer": boolean(),
                ].merging(identityRequest) { $1 }, required: ["prompt", "image_url"]),
            "FalOutput": object(["images": array(falImage), "identity_note": identityNote], required: ["images"]),
            "FalSubmitted": object(
                [
                    "request_id": string(), "response_url": string(), "status_url": string(),
                    "cancel_url": string(), "queue_position": integer(),
                ], required: ["request_id", "response_url", "status_url", "cancel_url"]),
            "FalStatus": object(
                [
                    "request_id": string(), "response_url": string(),
                    "status": enumeration(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]), "queue_position": integer(),
                    "logs": .object(["type": .array([.string("array"), .string("null")]), "items": logLine]),
                    "metrics": object(["inference_time": nullable("number")]), "error": string(),
                    "error_type": string(),
                ], required: ["request_id", "response_url", "status"]),
            "FalCancel": object(
                ["status": enumeration(["CANCELLATION_REQUESTED", "ALREADY_COMPLETED", "NOT_FOUND"])],
                required: ["status"]),
            "FalDetail": object(["detail": string()], required: ["detail"]),
            "FalValidationError": object(
                [
                    "detail": array(
                        object(
                            ["loc": array(string()), "msg": string(), "type": string()],
                            required: ["loc", "msg", "type"]))
                ], required: ["detail"]),
            "Balance": object(
                [
                    "object": .object(["const": .string("balance")]), "account_id": string(), "billing": string(),
                    "balance_usd": dollars(), "reserved_usd": dollars(), "currency": string(),
                    "prices_usd": .object(["type": .string("object"), "additionalProperties": dollars()]),
                    "byok": byok, "key_id": string("The key that asked (on `GET /v1/balance`)"),
                    "key_role": enumeration(["user", "admin"]),
                ], required: ["object", "account_id", "billing", "balance_usd", "reserved_usd", "prices_usd"]),
            "Usage": object(
                [
                    "object": .object(["const": .string("usage")]), "account_id": string(), "from": string(),
                    "to": string(),
                    "totals": object([
                        "requests": integer(), "images_delivered": integer(), "cost_usd": dollars(),
                    ]),
                    "data": array(usageRow), "has_more": boolean(),
                ], required: ["object", "account_id", "from", "to", "totals", "data"]),
            "Account": object(
                [
                    "object": .object(["const": .string("account")]), "id": string(), "name": string(),
                    "billing": string(), "balance_usd": dollars(), "reserved_usd": dollars(),
                    "requests_per_minute": integer(), "concurrent_jobs": integer(), "byok": byok,
                    "created_at": string(), "top_up_fee_percent": dollars(),
                    "deleted_at": string("Set once the account is deleted"),
                    "queue_weight": integer(),
                ], required: ["object", "id", "name", "billing", "balance_usd"]),
            "QueueShares": object(
                [
                    "object": .object(["const": .string("queue")]), "queued": integer(), "running": integer(),
                    "accounts": .object([
                        "type": .string("array"),
                        "items": object(
                            [
                                "account_id": string(), "name": string(), "queue_weight": integer(),
                                "queued": integer(), "running": integer(),
                            ], required: ["account_id", "queue_weight", "queued", "running"]),
                    ]),
                ], required: ["object", "queued", "running", "accounts"]),
            "DeletedAccount": object(
                [
                    "object": .object(["const": .string("account.deleted")]), "id": string(),
                    "deleted": .object(["type": .string("boolean")]), "refunded_usd": dollars(),
                    "requests": integer(), "images": integer(), "characters": integer(), "uploads": integer(),
                    "revoked_keys": integer(),
                ], required: ["object", "id", "deleted", "refunded_usd"]),
            "APIKey": object(
                [
                    "object": .object(["const": .string("api_key")]), "id": string(), "name": string(),
                    "account_id": string(), "role": string(), "prefix": string(), "created_at": string(),
                    "expires_at": string(), "revoked_at": string(), "last_used_at": string(),
                    "requests_per_minute": integer(), "concurrent_jobs": integer(),
                    "secret": string("Shown once, when the key is issued"), "webhook_secret": string(),
                ], required: ["object", "id", "account_id", "role", "prefix"]),
            "LedgerEntry": object(
                [
                    "seq": integer(), "created_at": string(), "kind": string(), "amount_usd": dollars(),
                    "balance_after_usd": dollars(), "request_id": string(), "note": string(),
                ], required: ["seq", "kind", "amount_usd", "balance_after_usd", "created_at"]),
            "CreateAccountRequest": object(
                [
                    "name": string(), "billing": enumeration(["prepaid", "unmetered"]),
                    "requests_per_minute": integer(), "concurrent_jobs": integer(),
                ], required: ["name"]),
            "UpdateLimitsRequest": object([
                "requests_per_minute": integer(), "concurrent_jobs": integer(), "queue_weight": integer(),
            ]),
            "CreateKeyRequest": object([
                "name": string(), "role": enumeration(["user", "admin"]), "expires_at": string(),
                "requests_per_minute": integer(), "concurrent_jobs": integer(),
            ]),
            "CreditRequest": object(
                [
                    "amount_usd": dollars(), "kind": string(), "waive_fee": boolean(), "note": string(),
                ], required: ["amount_usd"]),
            "MiniMaxKeyRequest": object(
                ["api_key": string(), "region": enumeration(["global", "cn"])], required: ["api_key"]),
            "Readiness": object(
                [
                    "status": enumeration(["ready", "starting", "stopping", "unavailable"]), "reason": string(),
                    "workers": integer(), "queued_jobs": integer(),
                ], required: ["status", "workers"]),
            "Health": object(
                [
                    "status": enumeration(["ok", "degraded"]), "engine": string(), "libvips": string(),
                    "routes": .object(["type": .string("object"), "additionalProperties": array(array(string()))]),
                    "engines": .object([
                        "type": .string("object"), "additionalProperties": .object(["type": .string("object")]),
                    ]),
                    // A fleet's replicas (LIKENESS_DATABASE_URL): this one, and every one seen within a lease.
                    "replica": string("this replica's id, in a fleet"),
                    "replicas": array(
                        object(
                            [
                                "id": string(), "host": string(),
                                "started_at": .object(["type": .string("string"), "format": .string("date-time")]),
                                "seen_at": .object(["type": .string("string"), "format": .string("date-time")]),
                            ], required: ["id", "host", "started_at", "seen_at"])),
                ], required: ["status", "engine", "libvips"]),
        ])
    }
}

import Foundation
import LikenessCore

/// `{"created": <unix seconds>, "data": [{"url": …} | {"b64_json": …}], "output_format": …}`
public enum OpenAIImagesResponse {
    public enum Images: Sendable {
        case urls([String])
        case base64([String])
    }

    /// `format` is today's `output_format` field; nil leaves it out (DALL-E's shape). `identity`
    /// adds each image's score (see `JSONWriter.identityFields`).
    public static func jsonData(
        created: Date, images: Images, format: OutputFormat? = nil, identity: IdentityReport? = nil
    ) -> Data {
        let payload: Int =
            switch images {
            case .urls(let urls): urls.reduce(0) { $0 + $1.utf8.count + 16 }
            case .base64(let strings): strings.reduce(0) { $0 + $1.utf8.count + 16 }
            }
        var writer = JSONWriter(reservingCapacity: payload + 64)
        writer.raw("{\"created\":")
        writer.integer(Int(created.timeIntervalSince1970))
        writer.raw(",\"data\":[")
        switch images {
        case .urls(let urls):
            for (index, url) in urls.enumerated() {
                writer.raw(index == 0 ? "{\"url\":" : ",{\"url\":")
                writer.string(url)
                writer.identityFields(identity, image: index)
                writer.raw("}")
            }
        case .base64(let strings):
            for (index, string) in strings.enumerated() {
                writer.raw(index == 0 ? "{\"b64_json\":" : ",{\"b64_json\":")
                writer.plainString(string)
                writer.identityFields(identity, image: index)
                writer.raw("}")
            }
        }
        writer.raw("]")
        if let format {
            writer.raw(",\"output_format\":")
            writer.plainString(format.rawValue)
        }
        writer.identityNote(identity)
        writer.raw("}")
        return Data(writer.bytes)
    }
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}` with its HTTP status.
///
/// | catalogue code | HTTP | type |
/// |---|---|---|
/// | 2013 (unknown model) | 404 | `invalid_request_error`, code `model_not_found` |
/// | any, not found (`Reason.notFound`) | 404 | `invalid_request_error`, code `not_found` |
/// | any, forbidden (`Reason.forbidden`) | 403 | `permission_error`, code `forbidden` |
/// | 2013 | 400 | `invalid_request_error`, `param` names the field |
/// | 1004, 2049 | 401 | `authentication_error` |
/// | 1008 | 402 | `insufficient_credits` (also the `code`) |
/// | 1026, 1027 | 403 | `content_policy_violation` |
/// | 1002, 1041, 2045, 2056 | 429 | `rate_limit_error`, with `Retry-After` |
/// | 1001 | 504 | `server_error` |
/// | 1000, 1024, 1033, others | 500 | `server_error` |
///
/// `code` carries the MiniMax status code as a string (`insufficient_credits` for 1008).
public struct OpenAIError: Sendable, Hashable {
    public var status: Int
    public var type: String
    public var message: String
    public var param: String?
    public var code: String?
    public var retryAfterSeconds: Int?

    public init(status: Int, type: String, message: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
        self.code = code
    }

    public init(_ error: APIError) {
        let code = String(error.code.rawValue)
        switch (error.code, error.reason) {
        case (_, .upstream?):
            let busy = error.code == .rateLimited
            self.init(
                status: busy ? 503 : 502, type: "upstream_error", message: error.message,
                code: busy ? "upstream_busy" : "upstream_error")
        case (_, .notFound?):
            self.init(status: 404, type: "invalid_request_error", message: error.message, code: "not_found")
        case (_, .forbidden?):
            self.init(status: 403, type: "permission_error", message: error.message, code: "forbidden")
        case (.invalidParameters, .unknownModel?):
            self.init(
                status: 404, type: "invalid_request_error", message: error.message, param: "model",
                code: "model_not_found")
        case (.invalidParameters, _):
            self.init(
                status: 400, type: "invalid_request_error", message: error.message, param: error.field, code: code)
        case (.authenticationFailed, _), (.invalidAPIKey, _):
            self.init(status: 401, type: "authentication_error", message: error.message, code: code)
        case (.insufficientBalance, _):
            self.init(status: 402, type: "insufficient_credits", message: error.message, code: "insufficient_credits")
        case (.sensitivePrompt, _), (.sensitiveOutput, _):
            self.init(status: 403, type: "content_policy_violation", message: error.message, code: code)
        case (.rateLimited, _), (.connectionLimit, _), (.usageLimitExceeded, _):
            self.init(status: 429, type: "rate_limit_error", message: error.message, code: code)
        case (.timeout, _):
            self.init(status: 504, type: "server_error", message: error.message, code: code)
        default:
            self.init(status: 500, type: "server_error", message: error.message, code: code)
        }
        retryAfterSeconds = error.retryAfterSeconds ?? (status == 429 || status == 503 ? 1 : nil)
    }

    public func jsonData() -> Data {
        var writer = JSONWriter()
        writer.raw("{\"error\":")
        write(into: &writer)
        writer.raw("}")
        return Data(writer.bytes)
    }

    /// The inner `{"message", "type", "param", "code"}` object.
    func write(into writer: inout JSONWriter) {
        writer.raw("{\"message\":")
        writer.string(message)
        writer.raw(",\"type\":")
        writer.string(type)
        writer.raw(",\"param\":")
        if let param { writer.string(param) } else { writer.raw("null") }
        writer.raw(",\"code\":")
        if let code { writer.string(code) } else { writer.raw("null") }
        writer.raw("}")
    }
}

/// An asynchronous generation (`"async": true` or `Prefer: respond-async`):
/// `{"id", "object": "image.generation.task", "status", "created"}`, and once it has ended, the
/// synchronous answer's `data`, or its `error`.
public enum OpenAIImageTask {
    public enum Status: String, Sendable {
        case queued
        case inProgress = "in_progress"
        case completed, failed, cancelled
    }

    public static func jsonData(
        id: String, status: Status, created: Date, images: OpenAIImagesResponse.Images? = nil,
        format: OutputFormat = .jpeg, identity: IdentityReport? = nil, error: OpenAIError? = nil
    ) -> Data {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.raw("{\"id\":")
        writer.plainString(id)
        writer.raw(",\"object\":\"image.generation.task\",\"status\":")
        writer.plainString(status.rawValue)
        if let images {
            // The synchronous answer's fields (`created`, `data`), so a client reads the result as
            // it would have then.
            var body = OpenAIImagesResponse.jsonData(
                created: created, images: images, format: format, identity: identity)
            body.removeFirst()  // its opening brace: its fields continue this object
            writer.raw(",")
            writer.append(body)
            return Data(writer.bytes)
        }
        writer.raw(",\"created\":")
        writer.integer(Int(created.timeIntervalSince1970))
        if let error {
            writer.raw(",\"error\":")
            error.write(into: &writer)
        }
        writer.raw("}")
        return Data(writer.bytes)
    }
}

/// `stream: true`: server-sent events in OpenAI's names, one `image_generation.completed` (or
/// `image_edit.completed`) event per finished image. image-01 makes no partial images, so none
/// are sent, nor invented.
public enum OpenAIImageStream {
    public enum Kind: String, Sendable {
        case generation = "image_generation"
        case edit = "image_edit"
    }

    /// `identity` adds each image's score to its event (see `JSONWriter.identityFields`).
    public static func completedEvents(
        _ kind: Kind, base64 images: [String], format: OutputFormat, created: Date, size: PixelSize,
        identity: IdentityReport? = nil
    ) -> Data {
        var writer = JSONWriter(reservingCapacity: images.reduce(0) { $0 + $1.utf8.count + 400 })
        let name = kind.rawValue + ".completed"
        for (index, image) in images.enumerated() {
            writer.raw("event: ")
            writer.append(Data(name.utf8))
            writer.raw("\ndata: {\"type\":")
            writer.plainString(name)
            writer.raw(",\"b64_json\":")
            writer.plainString(image)
            writer.raw(",\"created_at\":")
            writer.integer(Int(created.timeIntervalSince1970))
            writer.raw(",\"size\":")
            writer.plainString(size.description)
            writer.raw(",\"quality\":\"auto\",\"background\":\"opaque\",\"output_format\":")
            writer.plainString(format.rawValue)
            writer.raw(
                ",\"usage\":{\"input_tokens\":0,\"input_tokens_details\":{\"image_tokens\":0,\"text_tokens\":0},")
            writer.raw("\"output_tokens\":0,\"total_tokens\":0}")
            writer.identityFields(identity, image: index)
            writer.raw("}\n\n")
        }
        return Data(writer.bytes)
    }
}

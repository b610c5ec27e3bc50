import Foundation
import LikenessAPI
import LikenessCore

/// A misbehaviour a simulator shows on demand, the way real providers misbehave.
///
/// Faults wait in a first-in, first-out plan; each request that would start a generation (a
/// MiniMax or OpenAI generation, a fal submit) takes the next one. `POST /simulator/faults`
/// appends to the plan:
///
/// ```json
/// {"faults": [{"kind": "code", "code": 1002, "count": 3}, {"kind": "latency", "milliseconds": 800}]}
/// ```
public enum SimulatedFault: Sendable, Hashable {
    /// Answer normally, this much later.
    case latency(milliseconds: Int)
    /// An HTTP error status (429, 500, 502, 503, ...) with a short body, and `Retry-After` when set.
    case httpStatus(Int, retryAfterSeconds: Int?)
    /// MiniMax's way: HTTP 200 with this `base_resp.status_code` (1002, 1004, 2013, ...). The fal
    /// and OpenAI simulators answer the code's usual HTTP status instead.
    case code(Int)
    /// HTTP 200 with a body that is not JSON.
    case malformedJSON
    /// HTTP 200, then the connection closes halfway through the body.
    case truncatedBody
    /// The connection closes right after the response head, before any body.
    case connectionReset
    /// Success, but the result URLs answer 403 as an expired signed URL does.
    case expiredResultURLs
    /// fal only: the next `count` status polls answer HTTP 500 (the request itself is fine).
    case failingPolls(count: Int)
    /// MiniMax only: success with `images` fewer images, counted in `metadata.failed_count`, as
    /// MiniMax reports images its content safety withheld.
    case withheldImages(Int)
    /// MiniMax only: success, with images of these photos' people (image `i` shows photo
    /// `i % count`), as a model that drew them would make them: the preview engine's picture with
    /// the photo as its subject. How a test makes an upstream return the wrong person, or the
    /// right one: `{"kind": "subject", "photos": ["<base64>", …]}`.
    case subject(photos: [Data])

    /// Reads one entry of the control API's `faults` array.
    init(json object: [String: JSONValue]) throws(APIError) {
        let fields = FieldReader(object)
        switch try fields.string("kind") {
        case "latency": self = .latency(milliseconds: Int(try fields.integer("milliseconds") ?? 1000))
        case "http":
            self = .httpStatus(
                Int(try fields.integer("status") ?? 500),
                retryAfterSeconds: (try fields.integer("retry_after")).map { Int($0) })
        case "code": self = .code(Int(try fields.integer("code") ?? 1002))
        case "malformed-json": self = .malformedJSON
        case "truncated-body": self = .truncatedBody
        case "connection-reset": self = .connectionReset
        case "expired-urls": self = .expiredResultURLs
        case "failing-polls": self = .failingPolls(count: Int(try fields.integer("count") ?? 1))
        case "withheld": self = .withheldImages(Int(try fields.integer("images") ?? 1))
        case "subject":
            let photos = (try fields.array("photos") ?? []).compactMap { entry -> Data? in
                guard case .string(let text) = entry else { return nil }
                return Data(base64Encoded: text)
            }
            guard !photos.isEmpty else { throw APIError.invalid("photos", "must hold base64 JPEG or PNG photos") }
            self = .subject(photos: photos)
        default:
            throw APIError.invalid(
                "kind",
                "must be latency, http, code, malformed-json, truncated-body, connection-reset, expired-urls, "
                    + "failing-polls, withheld or subject")
        }
    }
}

/// The faults waiting to be shown, in order.
struct FaultPlan: Sendable {
    private var entries: [SimulatedFault] = []

    mutating func append(_ fault: SimulatedFault, count: Int) {
        entries += Array(repeating: fault, count: max(1, count))
    }

    mutating func next() -> SimulatedFault? {
        entries.isEmpty ? nil : entries.removeFirst()
    }

    mutating func removeAll() { entries.removeAll() }

    var count: Int { entries.count }
}

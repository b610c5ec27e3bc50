import Foundation
import LikenessCore

/// Likeness as a client of the MiniMax-native API (`POST /v1/image_generation`).
public enum MiniMaxUpstream {
    public static let path = "/v1/image_generation"

    /// The native request for a canonical one. Results are asked for as URLs; Likeness's own
    /// AIGC marker is applied after download, so MiniMax's mainland-only `aigc_watermark` is not
    /// sent. `referenceDataURL` is the already checked reference photo.
    public static func requestBody(_ request: GenerationRequest, referenceDataURL: String?) -> Data {
        var body = fields(request, reference: referenceDataURL.map { ["image_file": .string($0)] })
        body["response_format"] = .string("url")
        return UpstreamWire.encode(body)
    }

    /// The native request as Likeness's Swift client sends it: the caller's response format and
    /// `aigc_watermark` (which Likeness honours and MiniMax accepts), `"async": true` for
    /// Likeness's queue, and Likeness's consistency guard. `reference` is a data URL or an
    /// http(s) URL, or a stored character's id.
    public static func clientRequestBody(_ request: GenerationRequest, reference: ClientReference?, async: Bool)
        -> Data
    {
        let element: [String: JSONValue]? =
            switch reference {
            case .imageFile(let text)?: ["image_file": .string(text)]
            case .character(let id)?: ["character_id": .string(id)]
            case nil: nil
            }
        var body = fields(request, reference: element)
        body["response_format"] = .string(request.responseFormat.rawValue)
        if request.aigcWatermark { body["aigc_watermark"] = .bool(true) }
        if async { body["async"] = .bool(true) }
        if let rule = request.identityGuard {
            body["identity_threshold"] = .number(rule.threshold)
            body["identity_max_attempts"] = .integer(Int64(rule.maxAttempts))
            body["identity_policy"] = .string(rule.policy.rawValue)
        }
        return UpstreamWire.encode(body)
    }

    /// How Likeness's client names a reference: a photo (`image_file`) or a stored character.
    public enum ClientReference: Sendable, Hashable {
        case imageFile(String)
        case character(String)
    }

    /// `reference` is the subject reference element's fields beside its `type`.
    private static func fields(_ request: GenerationRequest, reference: [String: JSONValue]?) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "model": .string(request.model.rawValue),
            "prompt": .string(request.prompt),
            "n": .integer(Int64(request.count)),
            "prompt_optimizer": .bool(request.promptOptimizer),
        ]
        if let ratio = request.aspectRatio {
            body["aspect_ratio"] = .string(ratio.rawValue)
        } else {
            body["width"] = .integer(Int64(request.size.width))
            body["height"] = .integer(Int64(request.size.height))
        }
        if let seed = request.seed { body["seed"] = .integer(seed) }
        if let style = request.style {
            body["style"] = .object(["style_type": .string(style.type.rawValue), "style_weight": .number(style.weight)])
        }
        if let reference {
            body["subject_reference"] = .array([.object(reference.merging(["type": .string("character")]) { $1 })])
        }
        return body
    }

    /// What a MiniMax answer says, read the way its clients read it: `base_resp` first, whatever
    /// the HTTP status; counts as integers or strings.
    public struct Answer: Sendable, Hashable {
        public var statusCode: Int
        public var statusMessage: String
        public var imageURLs: [String]
        public var imageBase64: [String]
        /// Images withheld by MiniMax's content safety.
        public var failedCount: Int
        /// The request's id (MiniMax's trace id; Likeness's job id).
        public var id: String? = nil
        /// A task query's id and status (`Queueing`, `Processing`, `Success`, `Fail`): Likeness's queue.
        public var taskID: String? = nil
        public var taskStatus: String? = nil
        /// Likeness's identity scores, one per image (nil where unscored), and its note.
        public var identityScores: [Double?] = []
        public var identityPassed: [Bool] = []
        public var identityNote: String? = nil
    }

    public static func readAnswer(_ body: Data) throws(UpstreamWire.MalformedAnswer) -> Answer {
        let object = try UpstreamWire.parse(body)
        guard let base = object["base_resp"]?.objectValue, let code = base["status_code"]?.lenientInteger else {
            throw UpstreamWire.MalformedAnswer("the answer has no base_resp.status_code")
        }
        let data = object["data"]?.objectValue ?? [:]
        let metadata = object["metadata"]?.objectValue ?? [:]
        return Answer(
            statusCode: code,
            statusMessage: base["status_msg"]?.stringValue ?? "",
            imageURLs: data["image_urls"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            imageBase64: data["image_base64"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            failedCount: metadata["failed_count"]?.lenientInteger ?? 0, id: object["id"]?.stringValue,
            taskID: object["task_id"]?.stringValue, taskStatus: object["status"]?.stringValue,
            identityScores: metadata["identity_scores"]?.arrayValue?.map(\.doubleValue) ?? [],
            identityPassed: metadata["identity_passed"]?.arrayValue?.compactMap { value in
                if case .bool(let passed) = value { passed } else { nil }
            } ?? [],
            identityNote: metadata["identity_note"]?.stringValue)
    }
}

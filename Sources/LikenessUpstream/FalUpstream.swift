import Foundation
import LikenessCore

/// Likeness as a client of fal's queue API for `fal-ai/minimax/image-01[/subject-reference]`.
public enum FalUpstream {
    /// fal's two image-01 apps, as Likeness calls them: the endpoint ids in the queue's paths.
    public enum App: String, Sendable, CaseIterable {
        case textToImage = "fal-ai/minimax/image-01"
        case subjectReference = "fal-ai/minimax/image-01/subject-reference"
    }

    /// The app for a request: subject reference when there is a reference photo.
    public static func app(for request: GenerationRequest) -> App {
        request.subjectReference == nil ? .textToImage : .subjectReference
    }

    /// fal's input: it knows only the eight aspect ratios (no width/height) and no live styles,
    /// so those requests are refused before they are sent (the router then tries the next engine).
    public static func requestBody(_ request: GenerationRequest, referenceDataURL: String?) throws(APIError) -> Data {
        guard request.model == .image01 else {
            throw APIError(.invalidParameters, "fal serves image-01 only", reason: .unsupported)
        }
        guard let ratio = request.aspectRatio else {
            throw APIError(.invalidParameters, "fal takes aspect_ratio only, not width/height", reason: .unsupported)
        }
        var body: [String: JSONValue] = [
            "prompt": .string(request.prompt),
            "aspect_ratio": .string(ratio.rawValue),
            "num_images": .integer(Int64(request.count)),
            "prompt_optimizer": .bool(request.promptOptimizer),
        ]
        if let referenceDataURL { body["image_url"] = .string(referenceDataURL) }
        return UpstreamWire.encode(body)
    }

    /// The answer to a queue submit.
    public struct Submitted: Sendable, Hashable {
        public var requestID: String
        public var statusURL: String
        public var responseURL: String
        public var cancelURL: String?
    }

    public static func readSubmitted(_ body: Data) throws(UpstreamWire.MalformedAnswer) -> Submitted {
        let object = try UpstreamWire.parse(body)
        guard let id = object["request_id"]?.stringValue, let status = object["status_url"]?.stringValue,
            let response = object["response_url"]?.stringValue
        else {
            throw UpstreamWire.MalformedAnswer("the submit answer lacks request_id, status_url or response_url")
        }
        return Submitted(
            requestID: id, statusURL: status, responseURL: response, cancelURL: object["cancel_url"]?.stringValue)
    }

    public enum Status: Sendable, Hashable {
        case queued(position: Int?)
        case inProgress
        /// `error` is set when the request failed upstream.
        case completed(error: String?)
    }

    public static func readStatus(_ body: Data) throws(UpstreamWire.MalformedAnswer) -> Status {
        let object = try UpstreamWire.parse(body)
        switch object["status"]?.stringValue {
        case "IN_QUEUE": return .queued(position: object["queue_position"]?.lenientInteger)
        case "IN_PROGRESS": return .inProgress
        case "COMPLETED": return .completed(error: object["error"]?.stringValue)
        default: throw UpstreamWire.MalformedAnswer("unknown queue status")
        }
    }

    /// The image URLs of a result body, `{"images": [{"url": ...}]}`.
    public static func readImageURLs(_ body: Data) throws(UpstreamWire.MalformedAnswer) -> [String] {
        let object = try UpstreamWire.parse(body)
        guard let images = object["images"]?.arrayValue else {
            throw UpstreamWire.MalformedAnswer("the result has no images")
        }
        return images.compactMap { $0.objectValue?["url"]?.stringValue }
    }

    /// A fal error body's message: `{"detail": "..."}` or `{"detail": [{"msg": ...}]}`.
    public static func readErrorMessage(_ body: Data) -> String? {
        guard let object = try? UpstreamWire.parse(body) else { return nil }
        if let text = object["detail"]?.stringValue { return text }
        return object["detail"]?.arrayValue?.compactMap { $0.objectValue?["msg"]?.stringValue }.first
    }
}

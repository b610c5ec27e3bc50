import Foundation
import LikenessCore

/// The bodies of fal's queue API (`queue.fal.run`): submit, status, cancel, and the webhook
/// POSTed when a request finishes. The shapes are the ones `fal-client` parses.
public enum FalQueue {
    /// The app id that request URLs use: nested apps drop their last path segment, so both
    /// MiniMax apps answer under `fal-ai/minimax`.
    public static let requestsApp = "fal-ai/minimax"

    /// The submit answer: where to poll, fetch and cancel, and how many requests are ahead.
    public static func submitted(requestID: String, requestURL: String, queuePosition: Int) -> Data {
        encode(
            Submitted(
                requestID: requestID, responseURL: requestURL, statusURL: requestURL + "/status",
                cancelURL: requestURL + "/cancel", queuePosition: queuePosition))
    }

    public struct LogLine: Sendable, Hashable {
        public var message: String
        public var level: String
        public var source: String
        public var timestamp: Date

        public init(message: String, level: String, source: String, timestamp: Date) {
            self.message = message
            self.level = level
            self.source = source
            self.timestamp = timestamp
        }
    }

    public enum Status: Sendable, Hashable {
        /// `position`: requests ahead of this one (0 = next).
        case inQueue(position: Int)
        case inProgress
        case completed(inferenceSeconds: Double?, error: String?, errorType: String?)

        public var isCompleted: Bool {
            if case .completed = self { return true }
            return false
        }
    }

    /// A status body. `logs` is nil unless the caller asked for them (`logs=1`); it is written as
    /// `null` then, because `fal-client` requires the key.
    public static func status(_ status: Status, requestID: String, requestURL: String, logs: [LogLine]?) -> Data {
        var body = StatusBody(requestID: requestID, responseURL: requestURL, status: "IN_QUEUE")
        switch status {
        case .inQueue(let position):
            body.queuePosition = position
        case .inProgress:
            body.status = "IN_PROGRESS"
            body.logs = .some(logs?.map(LogBody.init))
        case .completed(let inferenceSeconds, let error, let errorType):
            body.status = "COMPLETED"
            body.logs = .some(logs?.map(LogBody.init))
            body.metrics = Metrics(inferenceTime: inferenceSeconds)
            body.error = error
            body.errorType = errorType
        }
        return encode(body)
    }

    /// `{"detail": message}`, fal's body for a refusal that is not a validation error.
    public static func detail(_ message: String) -> Data {
        encode(["detail": message])
    }

    /// The cancel answers: `CANCELLATION_REQUESTED` (202), `ALREADY_COMPLETED` (400), `NOT_FOUND` (404).
    public static func cancelStatus(_ status: String) -> Data {
        encode(["status": status])
    }

    /// The webhook body for a finished request: `status` `OK` with the output as `payload`, or
    /// `ERROR` with the error body as `payload` and `error` naming the HTTP status it would have had.
    public static func webhook(
        requestID: String, output: Result<[FalImage], FalError>, identity: IdentityReport? = nil
    ) -> Data {
        var writer = JSONWriter(reservingCapacity: 512)
        writer.raw("{\"request_id\":")
        writer.string(requestID)
        writer.raw(",\"gateway_request_id\":")
        writer.string(requestID)
        switch output {
        case .success(let images):
            writer.raw(",\"status\":\"OK\",\"payload\":")
            writer.append(FalResponse.jsonData(images: images, identity: identity))
        case .failure(let error):
            writer.raw(",\"status\":\"ERROR\",\"error\":")
            writer.string("Invalid status code: \(error.status)")
            writer.raw(",\"payload\":")
            writer.append(error.body)
        }
        writer.raw("}")
        return Data(writer.bytes)
    }

    private struct Submitted: Encodable {
        var requestID: String
        var responseURL: String
        var statusURL: String
        var cancelURL: String
        var queuePosition: Int
    }

    private struct StatusBody: Encodable {
        var requestID: String
        var responseURL: String
        var status: String
        var queuePosition: Int?
        /// Outer nil: no key; inner nil: `null`.
        var logs: [LogBody]??
        var metrics: Metrics?
        var error: String?
        var errorType: String?

        enum CodingKeys: String, CodingKey {
            case requestID
            case responseURL
            case status
            case queuePosition
            case logs
            case metrics
            case error
            case errorType
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(requestID, forKey: .requestID)
            try container.encode(responseURL, forKey: .responseURL)
            try container.encodeIfPresent(queuePosition, forKey: .queuePosition)
            if let logs { try container.encode(logs, forKey: .logs) }
            try container.encodeIfPresent(metrics, forKey: .metrics)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encodeIfPresent(errorType, forKey: .errorType)
        }
    }

    private struct LogBody: Encodable {
        var message: String
        var level: String
        var source: String
        var timestamp: String

        init(_ line: LogLine) {
            message = line.message
            level = line.level
            source = line.source
            timestamp = line.timestamp.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
    }

    private struct Metrics: Encodable {
        var inferenceTime: Double?
    }

    private static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        // `requestID` → `request_id`, `responseURL` → `response_url`: fal's spelling.
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        // Every value here is a string, number or array of those: encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

import Foundation
import LikenessCore

/// The MiniMax-native response body, success or failure.
///
/// MiniMax answers failures with HTTP 200 and a non-zero `base_resp.status_code`, and its
/// clients read `base_resp` first; Likeness does the same (see README, "Errors").
public struct MiniMaxResponse: Sendable, Decodable, Hashable {
    public struct ImageData: Sendable, Decodable, Hashable {
        public var imageURLs: [String]?
        public var imageBase64: [String]?

        enum CodingKeys: String, CodingKey {
            case imageURLs = "image_urls"
            case imageBase64 = "image_base64"
        }
    }

    public struct Metadata: Sendable, Decodable, Hashable {
        /// Strings, as in MiniMax's own examples (its schema says integers; clients take both).
        public var successCount: String
        public var failedCount: String
        /// Likeness's identity scores, one per image (see `IdentityReport`); absent unless scored.
        public var identityScores: [Double?]? = nil
        public var identityPassed: [Bool]? = nil
        public var identityNote: String? = nil

        enum CodingKeys: String, CodingKey {
            case successCount = "success_count"
            case failedCount = "failed_count"
            case identityScores = "identity_scores"
            case identityPassed = "identity_passed"
            case identityNote = "identity_note"
        }
    }

    public struct BaseResponse: Sendable, Decodable, Hashable {
        public var statusCode: Int
        public var statusMessage: String

        enum CodingKeys: String, CodingKey {
            case statusCode = "status_code"
            case statusMessage = "status_msg"
        }
    }

    /// An asynchronous task's id and status (`Queueing`, `Processing`, `Success`, `Fail`), in the
    /// style of MiniMax's task queries; nil for a synchronous answer.
    public var taskID: String?
    public var status: String?
    /// Likeness's addition to an unfinished task's query with `logs=1` (as fal's status takes
    /// it): the job's log lines so far. MiniMax's clients never ask, and never see it.
    public var logs: [String]? = nil
    public var id: String?
    public var data: ImageData?
    public var metadata: Metadata?
    public var baseResponse: BaseResponse

    enum CodingKeys: String, CodingKey {
        case id, data, metadata, status, logs
        case taskID = "task_id"
        case baseResponse = "base_resp"
    }

    /// The answer to an asynchronous submission: its task id, and success.
    public static func accepted(taskID: String) -> MiniMaxResponse {
        MiniMaxResponse(
            taskID: taskID, data: nil, metadata: nil,
            baseResponse: BaseResponse(statusCode: StatusCode.success.rawValue, statusMessage: "success"))
    }

    /// This answer as a task query's: the task's id and status first.
    public func task(_ taskID: String, status: String) -> MiniMaxResponse {
        var copy = self
        copy.taskID = taskID
        copy.status = status
        return copy
    }

    public static func success(
        id: String, imageURLs: [String]? = nil, imageBase64: [String]? = nil, failedCount: Int,
        identity: IdentityReport? = nil
    ) -> MiniMaxResponse {
        let delivered = imageURLs?.count ?? imageBase64?.count ?? 0
        var metadata = Metadata(successCount: String(delivered), failedCount: String(failedCount))
        if let identity {
            metadata.identityScores = identity.scores.map { $0.map(IdentityReport.rounded) }
            metadata.identityPassed = identity.passed
            metadata.identityNote = identity.note
        }
        return MiniMaxResponse(
            id: id,
            data: ImageData(imageURLs: imageURLs, imageBase64: imageBase64),
            metadata: metadata,
            baseResponse: BaseResponse(statusCode: StatusCode.success.rawValue, statusMessage: "success")
        )
    }

    public static func failure(id: String?, _ error: APIError) -> MiniMaxResponse {
        MiniMaxResponse(
            id: id, data: nil, metadata: nil,
            baseResponse: BaseResponse(statusCode: error.code.rawValue, statusMessage: error.message))
    }
}

extension MiniMaxResponse {
    /// The response body as JSON, in MiniMax's field order.
    public func jsonData() -> Data {
        let payloadSize = (data?.imageBase64?.reduce(0) { $0 + $1.utf8.count } ?? 0) + 512
        var writer = JSONWriter(reservingCapacity: payloadSize)
        writer.raw("{")
        for case (let key, let value?) in [("task_id", taskID), ("status", status), ("id", id)] {
            writer.string(key)
            writer.raw(":")
            writer.string(value)
            writer.raw(",")
        }
        if let logs {
            writer.raw("\"logs\":")
            writer.stringArray(logs, plain: false)
            writer.raw(",")
        }
        if let data {
            writer.raw("\"data\":{")
            if let urls = data.imageURLs {
                writer.raw("\"image_urls\":")
                writer.stringArray(urls, plain: false)
            }
            if let base64 = data.imageBase64 {
                if data.imageURLs != nil { writer.raw(",") }
                writer.raw("\"image_base64\":")
                // Base64 never needs escaping.
                writer.stringArray(base64, plain: true)
            }
            writer.raw("},")
        }
        if let metadata {
            writer.raw("\"metadata\":{\"success_count\":")
            writer.string(metadata.successCount)
            writer.raw(",\"failed_count\":")
            writer.string(metadata.failedCount)
            if let scores = metadata.identityScores {
                writer.raw(",\"identity_scores\":[")
                for (index, score) in scores.enumerated() {
                    if index > 0 { writer.raw(",") }
                    if let score { writer.number(score) } else { writer.raw("null") }
                }
                writer.raw("]")
            }
            if let passed = metadata.identityPassed {
                writer.raw(",\"identity_passed\":[")
                for (index, value) in passed.enumerated() {
                    if index > 0 { writer.raw(",") }
                    value ? writer.raw("true") : writer.raw("false")
                }
                writer.raw("]")
            }
            if let note = metadata.identityNote {
                writer.raw(",\"identity_note\":")
                writer.string(note)
            }
            writer.raw("},")
        }
        writer.raw("\"base_resp\":{\"status_code\":")
        writer.integer(baseResponse.statusCode)
        writer.raw(",\"status_msg\":")
        writer.string(baseResponse.statusMessage)
        writer.raw("}}")
        return Data(writer.bytes)
    }
}

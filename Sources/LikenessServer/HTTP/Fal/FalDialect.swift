import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService

/// fal's answers, in one place: errors (`FalError`, with `Retry-After` when busy), images, and
/// the output of a finished request.
struct FalDialect: DialectRendering {
    let id = Dialect.fal
    /// fal's clients send `Authorization: Key <key>`; Bearer works too.
    static let schemes: Set<String> = ["key", "bearer"]

    func failure(_ error: APIError, id: String) -> Rendered {
        Self.rendered(error)
    }

    static func rendered(_ error: APIError) -> Rendered {
        let failure = FalError(error)
        var headers: HTTPFields = [:]
        if failure.status == 429 || failure.status == 503 {
            headers[.retryAfter] = String(error.retryAfterSeconds ?? 1)
        }
        return Rendered(status: HTTPResponse.Status(code: failure.status), body: failure.body, headers: headers)
    }

    /// A result's images as fal describes them, linked from `origin`.
    static func images(_ stored: [ResultImage], links: ImageLinks, origin: String) -> [FalImage] {
        stored.map { image in
            FalImage(
                url: links.url(for: image, origin: origin), contentType: image.format.mimeType,
                fileName: "\(image.id).\(image.format.fileExtension)", fileSize: image.byteCount, width: image.width,
                height: image.height)
        }
    }

    /// A job's state as fal's queue reports it; `position` (requests ahead) counts for a queued job.
    static func status(of job: JobSnapshot, position: Int) -> FalQueue.Status {
        switch job.state {
        case .queued: return .inQueue(position: position)
        case .running: return .inProgress
        case .succeeded: return .completed(inferenceSeconds: job.engineSeconds, error: nil, errorType: nil)
        case .failed, .cancelled:
            let failure = job.failure
            return .completed(
                inferenceSeconds: job.engineSeconds, error: failure?.message, errorType: failure.map(errorType))
        }
    }

    /// A short machine-readable kind for a failed request's status.
    static func errorType(_ error: APIError) -> String {
        if error.reason == .cancelled { return "request_cancelled" }
        switch error.code {
        case .invalidParameters: return "validation_error"
        case .sensitivePrompt, .sensitiveOutput: return "content_policy_violation"
        case .timeout: return "request_timeout"
        case .rateLimited, .connectionLimit, .usageLimitExceeded: return "rate_limited"
        default: return "internal_error"
        }
    }

    /// The output body of a finished generation: `{"images": [...]}`.
    static func output(_ result: GenerationResult, links: ImageLinks, origin: String) throws(APIError) -> Data {
        guard case .stored(let stored) = result.images else {
            throw APIError(.internalError, "fal results are always stored images")
        }
        return FalResponse.jsonData(images: images(stored, links: links, origin: origin), identity: result.identity)
    }
}

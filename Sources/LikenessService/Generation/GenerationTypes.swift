import Foundation
import LikenessCore
import LikenessStore

/// What a finished generation hands back to a dialect's route.
public struct GenerationResult: Sendable {
    public enum Images: Sendable {
        /// Stored images, to be served under signed URLs.
        case stored([ResultImage])
        /// The files' bytes, for `base64` responses.
        case inline([Data])
    }

    public var engine: String
    public var images: Images
    public var blockedCount: Int
    /// Time inside the engine alone (no queueing, no storage), reported as `Server-Timing`.
    public var engineDuration: Duration
    /// The job that made the images: the first request's, when an `Idempotency-Key` replayed it.
    public var jobID: String
    /// What the request was charged (`X-Likeness-Cost-USD`).
    public var cost: MicroDollars
    /// The format of every image (`output_format`).
    public var format: OutputFormat
    /// The images' identity scores, for a subject-reference request that was scored.
    public var identity: IdentityReport? = nil
}

/// One image of a result, as routes link to it and describe it.
public struct ResultImage: Sendable, Hashable {
    public var id: String
    public var byteCount: Int
    public var width: Int
    public var height: Int
    public var expiresAt: Date
    /// The provider's own URL of a passed-through image; nil when Likeness serves it.
    public var sourceURL: String?
    public var format: OutputFormat

    init(_ image: StoredImage) {
        id = image.id
        byteCount = image.byteCount
        width = image.width
        height = image.height
        expiresAt = image.expiresAt
        sourceURL = image.sourceURL
        format = image.format
    }
}

/// A job as the routes see it: where it stands, how it ended, and what it holds or cost. Routes
/// hand it back to the service to cancel it or read its result.
package struct JobSnapshot: Sendable {
    package enum State: Sendable {
        case queued, running, succeeded, failed, cancelled
    }

    let record: JobRecord

    package var id: String { record.id }
    package var createdAt: Date { record.createdAt }
    package var isFinished: Bool { record.status.isFinished }
    package var state: State {
        switch record.status {
        case .queued: .queued
        case .running: .running
        case .succeeded: .succeeded
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }
    /// Time inside the engine, once it ran.
    package var engineSeconds: Double? { record.engineSeconds }
    package var failure: APIError? { record.failure.map(APIError.init) }
    /// What it was charged, once it ended.
    package var cost: MicroDollars { record.cost ?? .zero }
    /// Images delivered, once it has succeeded.
    package var imageCount: Int { record.imageCount }

    /// The prompt its request gave, read from the recorded parameters.
    package var prompt: String? { record.parameters.flatMap { try? QueuedRequest(json: $0) }?.prompt }
    package var model: String? { record.model }
    package var dialect: Dialect { record.dialect }
    /// How its images compared with the reference's face, once it succeeded.
    package var identity: IdentityReport? { record.identity }
    /// What it holds from the balance while it has not ended.
    package var reserved: MicroDollars { record.reserved }
}

/// How a job is queued beyond its canonical request: the options of fal's queue.
package struct QueueOptions: Sendable {
    /// fal's app id, for fal jobs.
    var app: String? = nil
    package var priority: Priority = .normal
    package var webhookURL: String? = nil
    /// `scheme://host` of this server as the caller addressed it (for links in webhooks).
    var origin: String? = nil
    /// Fail the job if it has not started within this time (fal's `X-Fal-Request-Timeout`).
    package var startTimeout: Duration? = nil

    package init(
        app: String? = nil, priority: Priority = .normal, webhookURL: String? = nil, origin: String? = nil,
        startTimeout: Duration? = nil
    ) {
        self.app = app
        self.priority = priority
        self.webhookURL = webhookURL
        self.origin = origin
        self.startTimeout = startTimeout
    }
}

/// Queued jobs start by priority, then in the order they came.
package enum Priority: Sendable {
    case normal, low
}

/// One line of a job's progress log.
package struct JobLogEntry: Sendable, Hashable {
    package var at: Date
    package var level: JobLogLevel
    /// What wrote it.
    package var source: JobLogSource
    package var message: String
}

/// How a job was submitted, beyond its canonical request.
package struct Submission: Sendable {
    var caller: Caller
    /// The dialect it arrived in: recorded, and part of what makes two requests the same for
    /// `Idempotency-Key`.
    var dialect: Dialect
    /// `Idempotency-Key`: a retry with the same key and request gets the first request's job.
    var idempotencyKey: String? = nil
    var options = QueueOptions()

    package init(
        caller: Caller, dialect: Dialect, idempotencyKey: String? = nil, options: QueueOptions = QueueOptions()
    ) {
        self.caller = caller
        self.dialect = dialect
        self.idempotencyKey = idempotencyKey
        self.options = options
    }
}

/// Renders the webhook body of a finished job, in the dialect of the route that asked for one.
/// The service records it with the job's completion and knows nothing of its shape.
package protocol WebhookRendering: Sendable {
    /// `dialect` is the job's; `origin` is this server as the request that asked for the webhook
    /// addressed it.
    /// `identity`: the images' scores, for a subject-reference job that was scored.
    func body(
        jobID: String, dialect: Dialect, origin: String?, outcome: Result<[ResultImage], APIError>,
        identity: IdentityReport?
    ) -> Data
}

extension APIError {
    /// A refusal at admission, in the catalogue: 1008 for credits, 1002 for concurrency.
    init(_ refusal: AdmissionRefusal, request: GenerationRequest, price: MicroDollars) {
        switch refusal {
        case .insufficientCredits(let needed, let balance):
            self.init(
                .insufficientBalance,
                "insufficient credits: this request reserves $\(needed.usd) (\(request.count) image"
                    + "\(request.count == 1 ? "" : "s") at $\(price.usd)) and the balance is $\(balance.usd); "
                    + "top up, or ask for fewer images")
        case .tooManyJobs(let scope, let limit):
            self.init(
                .rateLimited,
                "too many requests in progress: this \(scope.rawValue) may have \(limit) queued or running at once; "
                    + "retry when one finishes", retryAfterSeconds: 2)
        case .idempotencyKeyReused:
            self.init(
                .invalidParameters,
                "invalid params, Idempotency-Key was already used for a different request; use a new key",
                field: "Idempotency-Key")
        case .queueFull(let limit):
            self.init(
                .rateLimited, "the queue is full (\(limit) jobs waiting); retry later", retryAfterSeconds: 5)
        }
    }
}

extension JobFailure {
    init(_ error: APIError) {
        self.init(
            code: error.code.rawValue, message: error.message, field: error.field, reason: error.reason?.rawValue,
            retryAfterSeconds: error.retryAfterSeconds)
    }
}

extension APIError {
    init(_ failure: JobFailure) {
        self.init(
            StatusCode(rawValue: failure.code) ?? .unknownError, failure.message, field: failure.field,
            reason: failure.reason.flatMap(Reason.init(rawValue:)), retryAfterSeconds: failure.retryAfterSeconds)
    }
}

import Foundation

public enum JobStatus: String, Sendable, Hashable, Codable {
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// Queue order: every `normal` job runs before any `low` one; FIFO within each.
public enum JobPriority: Int, Sendable, Hashable, Comparable {
    case normal = 0
    case low = 1

    public static func < (lhs: JobPriority, rhs: JobPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Why a job failed, as the catalogue error a caller sees (the dialect renders it).
public struct JobFailure: Sendable, Hashable {
    public var code: Int
    public var message: String
    public var field: String?
    /// `APIError.Reason`, by name.
    public var reason: String?
    public var retryAfterSeconds: Int?

    public init(code: Int, message: String, field: String? = nil, reason: String? = nil, retryAfterSeconds: Int? = nil)
    {
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The durable record of one generation request.
public struct JobRecord: Sendable, Hashable {
    public var id: String
    public var keyID: String?
    /// The API dialect the request arrived in (`minimax`, `openai`, `fal`).
    public var dialect: String
    /// For fal jobs, the app id it was submitted to (`fal-ai/minimax/image-01`).
    public var app: String?
    public var model: String?
    /// The canonical request as JSON, without image bytes (those are in the job's input).
    public var parameters: String?
    public var engine: String?
    public var status: JobStatus
    public var priority: JobPriority
    /// Times a worker has started this job (a restart after a crash starts it again).
    public var attempts: Int
    public var cancelRequested: Bool
    /// Set for failed and cancelled jobs.
    public var failure: JobFailure?
    public var imageCount: Int
    public var failedCount: Int
    public var resultImageIDs: [String]
    /// Seconds inside the engine, for finished jobs.
    public var engineSeconds: Double?
    /// Where to POST the outcome (fal's `fal_webhook`).
    public var webhookURL: String?
    /// `scheme://host` the job was submitted to, for links built when no request is at hand.
    public var origin: String?
    /// A job not started by then fails instead (fal's `X-Fal-Request-Timeout`).
    public var startDeadline: Date?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        id: String, keyID: String?, dialect: String, model: String?, parameters: String?, createdAt: Date,
        status: JobStatus = .queued
    ) {
        self.id = id
        self.keyID = keyID
        self.dialect = dialect
        self.model = model
        self.parameters = parameters
        self.status = status
        self.priority = .normal
        self.attempts = 0
        self.cancelRequested = false
        self.imageCount = 0
        self.failedCount = 0
        self.resultImageIDs = []
        self.createdAt = createdAt
    }
}

/// What a worker needs to run a job that is not in the job record: the canonical request in
/// full, and the reference photo's bytes when the caller sent them inline.
public struct JobInput: Sendable, Hashable {
    public var request: String
    public var reference: Data?

    public init(request: String, reference: Data?) {
        self.request = request
        self.reference = reference
    }
}

/// A job a worker has claimed: now `running`, its attempt counted.
public struct ClaimedJob: Sendable {
    public var record: JobRecord
    public var input: JobInput
}

/// A status log line (shown by fal's status endpoints with `logs=1`).
public struct JobLogLine: Sendable, Hashable {
    public var at: Date
    public var level: String
    public var source: String
    public var message: String

    public init(at: Date, level: String, source: String, message: String) {
        self.at = at
        self.level = level
        self.source = source
        self.message = message
    }
}

/// A webhook to POST when a job finishes, recorded in the transaction that finishes it.
public struct WebhookDelivery: Sendable, Hashable {
    public var url: String
    public var body: Data

    public init(url: String, body: Data) {
        self.url = url
        self.body = body
    }
}

public enum CancellationOutcome: Sendable, Hashable {
    /// It was queued: it is now cancelled and will never run.
    case cancelled
    /// It is running: the flag is set; the worker stops it.
    case requested
    case alreadyFinished
    case notFound
}

/// The durable job queue. Every transition is one transaction and is guarded by the state it
/// leaves, so a job finishes once whatever races with it (a cancel, a restart).
public protocol JobRepository: Sendable {
    /// Records a request refused before it was queued (already `failed`).
    func insertJob(_ job: JobRecord) throws
    /// Queues a job and its input together, behind every job already queued at its priority.
    func enqueueJob(_ job: JobRecord, input: JobInput) throws
    /// Takes the first queued job (priority, then FIFO), marks it running on `engine` and
    /// counts the attempt. Nil when nothing is queued.
    /// The job a worker would take next, by priority then first in, first out.
    func nextQueuedJob() throws -> (id: String, model: String?)?
    /// Marks a queued job running and returns it with its input; nil if it is no longer queued
    /// (another worker took it, or it was cancelled).
    func claimJob(id: String, engine: String, at: Date) throws -> ClaimedJob?
    /// Jobs ahead of this one (0 = next to run); nil unless it is queued.
    func queuePosition(id: String) throws -> Int?
    func queuedJobCount() throws -> Int
    /// `webhook` is recorded only when the outcome is `.cancelled`.
    func requestCancellation(id: String, webhook: WebhookDelivery?, at: Date) throws -> CancellationOutcome
    /// Records success, the images that make it visible and the webhook, in one transaction;
    /// false (and nothing written) unless the job was running.
    @discardableResult
    func completeJob(
        id: String, images: [StoredImage], blockedCount: Int, engine: String, engineSeconds: Double,
        webhook: WebhookDelivery?, at: Date
    ) throws -> Bool
    /// Failed, but only while it is still queued (a synchronous caller gave up waiting for it to
    /// start); false once it has started or finished.
    func failQueuedJob(id: String, failure: JobFailure, at: Date) throws -> Bool
    /// Failed or cancelled (`status`), from any unfinished state; false when already finished.
    @discardableResult
    func finishJob(id: String, status: JobStatus, failure: JobFailure, webhook: WebhookDelivery?, at: Date) throws
        -> Bool
    /// Puts a running job back at its place in the queue (the server is stopping).
    func requeueJob(id: String, refundAttempt: Bool) throws
    /// Jobs a previous process left running.
    func runningJobs() throws -> [JobRecord]
    func job(id: String) throws -> JobRecord?
    func appendLog(jobID: String, _ line: JobLogLine) throws
    func logs(jobID: String) throws -> [JobLogLine]
}

extension JobRepository {
    /// Claims whatever job is at the head of the queue now.
    public func claimNextJob(engine: String, at date: Date) throws -> ClaimedJob? {
        while let next = try nextQueuedJob() {
            if let claimed = try claimJob(id: next.id, engine: engine, at: date) { return claimed }
        }
        return nil
    }
}

import Foundation
import LikenessCore

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
    /// The API dialect the request arrived in.
    public var dialect: Dialect
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
    /// The account of the key that submitted it.
    public var accountID: String?
    /// Images asked for (`n`).
    public var requestedCount: Int
    /// Per delivered image; zero for BYOK and unmetered requests.
    public var price: MicroDollars
    /// Held from the account's balance while the job is unfinished: `requestedCount` × `price`.
    public var reserved: MicroDollars
    /// Served with the account's own MiniMax key.
    public var byok: Bool
    /// What it was charged, once it has ended and been settled.
    public var cost: MicroDollars?
    public var idempotencyKey: String?
    /// A digest of the request, to tell a retry from a different request under the same key.
    public var fingerprint: String?
    /// How the delivered images compare with the reference's face, once succeeded.
    public var identity: IdentityReport?
    /// The stored character its request named as the reference, for that character's history.
    public var characterID: String?

    public init(
        id: String, keyID: String?, dialect: Dialect, model: String?, parameters: String?, createdAt: Date,
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
        self.requestedCount = 0
        self.price = .zero
        self.reserved = .zero
        self.byok = false
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

/// The job at the head of the queue: what a worker needs to pick its engine before claiming it.
public struct QueueHead: Sendable, Hashable {
    public var id: String
    public var model: String?
    public var accountID: String?
    public var byok: Bool

    public init(id: String, model: String?, accountID: String?, byok: Bool) {
        self.id = id
        self.model = model
        self.accountID = accountID
        self.byok = byok
    }
}

/// Who runs a claimed job, and until when: the running replica renews it; a job whose lease
/// lapsed belongs to a replica that stopped, and runs again elsewhere.
public struct JobLease: Sendable, Hashable {
    /// The replica's id.
    public var owner: String
    public var expiresAt: Date

    public init(owner: String, expiresAt: Date) {
        self.owner = owner
        self.expiresAt = expiresAt
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
    public var level: JobLogLevel
    public var source: JobLogSource
    public var message: String

    public init(at: Date, level: JobLogLevel = .info, source: JobLogSource, message: String) {
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

/// Which jobs a history page lists: every condition given must hold. Newest first, the page
/// after the job `after` (its id; within `accountID` when one is given).
public struct JobQuery: Sendable, Hashable {
    public var accountID: String?
    public var status: JobStatus?
    public var model: String?
    public var dialect: Dialect?
    public var characterID: String?
    public var engine: String?
    /// The catalogue code a failed job ended with.
    public var errorCode: Int?
    /// Created at or after.
    public var createdFrom: Date?
    /// Created before.
    public var createdBefore: Date?
    public var after: String?
    public var limit: Int

    public init(
        accountID: String? = nil, status: JobStatus? = nil, model: String? = nil, dialect: Dialect? = nil,
        characterID: String? = nil, engine: String? = nil, errorCode: Int? = nil, createdFrom: Date? = nil,
        createdBefore: Date? = nil, after: String? = nil, limit: Int
    ) {
        self.accountID = accountID
        self.status = status
        self.model = model
        self.dialect = dialect
        self.characterID = characterID
        self.engine = engine
        self.errorCode = errorCode
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.after = after
        self.limit = limit
    }
}

/// The durable job queue. Every transition is one transaction and is guarded by the state it
/// leaves, so a job finishes once whatever races with it (a cancel, a restart).
public protocol JobRepository: Sendable {
    /// Records a request refused before it was queued (already `failed`).
    func insertJob(_ job: JobRecord) throws
    /// Queues a job and its input together, behind every job already queued at its priority,
    /// after `admission`'s checks pass, reserving `job.reserved` from its account, and claims it
    /// at once under `admission.startNow` when nothing waits before it. All of it is one
    /// transaction: a refusal (`AdmissionRefusal`) writes nothing.
    func enqueueJob(_ job: JobRecord, input: JobInput, admission: Admission) throws -> EnqueueOutcome
    /// The job a worker would take next, by priority then first in, first out.
    func nextQueuedJob() throws -> QueueHead?
    /// Marks a queued job running under `lease` and returns it with its input; nil if it is no
    /// longer queued (another worker or replica took it, or it was cancelled).
    /// `startLog`, given the attempt now starting, is the job's log line for it, written in the
    /// same transaction (one commit fewer on the request's path).
    func claimJob(
        id: String, engine: String, lease: JobLease, at: Date, startLog: (@Sendable (Int) -> JobLogLine)?
    ) throws -> ClaimedJob?
    /// Extends the leases of the jobs `owner` runs; returns how many it holds.
    @discardableResult
    func renewLeases(owner: String, until: Date) throws -> Int
    /// Running jobs whose lease lapsed before `date`: their replica stopped.
    func lapsedJobs(at date: Date) throws -> [JobRecord]
    /// Jobs ahead of this one (0 = next to run); nil unless it is queued.
    func queuePosition(id: String) throws -> Int?
    func queuedJobCount() throws -> Int
    /// `webhook` is recorded only when the outcome is `.cancelled`.
    func requestCancellation(id: String, webhook: WebhookDelivery?, at: Date) throws -> CancellationOutcome
    /// Records success, the images that make it visible and the webhook, in one transaction,
    /// and returns the job as it now stands (settled); nil (and nothing written) unless the job
    /// was running. `log` is the job's last log line, written in the same transaction.
    @discardableResult
    func completeJob(
        id: String, images: [StoredImage], blockedCount: Int, engine: String, engineSeconds: Double,
        identity: IdentityReport?, webhook: WebhookDelivery?, log: JobLogLine?, at: Date
    ) throws -> JobRecord?
    /// Failed, but only while it is still queued (a synchronous caller gave up waiting for it to
    /// start); false once it has started or finished.
    func failQueuedJob(id: String, failure: JobFailure, at: Date) throws -> Bool
    /// Failed or cancelled (`status`), from any unfinished state; false when already finished.
    @discardableResult
    func finishJob(id: String, status: JobStatus, failure: JobFailure, webhook: WebhookDelivery?, at: Date) throws
        -> Bool
    /// Puts a running job back at its place in the queue (the server is stopping); false when
    /// it was not running.
    @discardableResult
    func requeueJob(id: String, refundAttempt: Bool) throws -> Bool
    /// Puts a running job back at its place if its lease has still lapsed at `date` (its replica
    /// stopped); false when it was renewed meanwhile or is no longer running.
    func requeueLapsedJob(id: String, at date: Date) throws -> Bool
    /// Jobs left running (by a previous process, when only one serves the store).
    func runningJobs() throws -> [JobRecord]
    func job(id: String) throws -> JobRecord?
    /// An account's jobs submitted in `dialect`, newest first.
    func recentJobs(accountID: String, dialect: Dialect, limit: Int) throws -> [JobRecord]
    /// The jobs `query` selects, newest first: a page of an account's history, or of every
    /// account's for the operator.
    func jobs(matching query: JobQuery) throws -> [JobRecord]
    func appendLog(jobID: String, _ line: JobLogLine) throws
    func logs(jobID: String) throws -> [JobLogLine]
}

extension JobRepository {
    public func claimJob(id: String, engine: String, lease: JobLease, at date: Date) throws -> ClaimedJob? {
        try claimJob(id: id, engine: engine, lease: lease, at: date, startLog: nil)
    }

    @discardableResult
    public func completeJob(
        id: String, images: [StoredImage], blockedCount: Int, engine: String, engineSeconds: Double,
        webhook: WebhookDelivery?, at date: Date
    ) throws -> JobRecord? {
        try completeJob(
            id: id, images: images, blockedCount: blockedCount, engine: engine, engineSeconds: engineSeconds,
            identity: nil, webhook: webhook, log: nil, at: date)
    }

    /// Claims whatever job is at the head of the queue now.
    public func claimNextJob(engine: String, lease: JobLease, at date: Date) throws -> ClaimedJob? {
        while let next = try nextQueuedJob() {
            if let claimed = try claimJob(id: next.id, engine: engine, lease: lease, at: date) { return claimed }
        }
        return nil
    }
}

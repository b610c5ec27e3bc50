import Foundation
import LikenessCore

/// The queue's transitions: each one guarded transaction, settling the job's money with it.
extension SQLStore {
    /// One job's share of the queue's virtual time at weight 1 (`InsertQueuedJob`); an account
    /// of weight w advances by `fairTagUnit / w` a job.
    static let fairTagUnit = 1_000_000
    /// The weights an account may have (`AccountRepository.setQueueWeight`).
    public static let queueWeights = 1...100

    /// Records `job`: queued (at the queue's next place), or already finished (refused, outside
    /// the queue).
    private static func insert(_ job: JobRecord, queued: Bool, into transaction: any SQLTransaction) throws {
        let values: [SQLValue] = [
            .text(job.id), SQLValue(job.keyID), .text(job.dialect.rawValue), SQLValue(job.app), SQLValue(job.model),
            SQLValue(job.parameters), .text(job.status.rawValue), SQLValue(job.priority.rawValue),
            SQLValue(job.failure?.code), SQLValue(job.failure?.message), SQLValue(job.failure?.field),
            SQLValue(job.failure?.reason), SQLValue(job.failure?.retryAfterSeconds), SQLValue(job.webhookURL),
            SQLValue(job.origin), SQLValue(job.startDeadline), SQLValue(job.createdAt), SQLValue(job.finishedAt),
            SQLValue(job.accountID), SQLValue(job.requestedCount), .integer(job.price.value),
            .integer(job.reserved.value), SQLValue(job.byok ? 1 : 0),
            job.cost.map { .integer($0.value) } ?? (job.status.isFinished ? .integer(0) : .null),
            // A job recorded already finished (refused) holds nothing, so it is settled as it is written.
            job.status.isFinished ? SQLValue(job.createdAt) : .null, SQLValue(job.idempotencyKey),
            SQLValue(job.fingerprint), SQLValue(job.characterID),
        ]
        if queued, let accountID = job.accountID {
            // The fair tag's two parameters name the account, in the place of `queue_seq`.
            var tagged = values
            tagged.insert(contentsOf: [.text(accountID), .text(accountID)], at: 8)
            _ = try transaction.query(InsertQueuedJob.self, tagged)
        } else if queued {
            try transaction.execute(InsertQueuedJob.sql(queueSequence: InsertQueuedJob.lastInQueue), values)
        } else {
            try transaction.execute(InsertQueuedJob.sql(queueSequence: "0"), values)
        }
    }

    public func insertJob(_ job: JobRecord) throws {
        try database.transaction { transaction in try Self.insert(job, queued: false, into: transaction) }
    }

    public func enqueueJob(_ job: JobRecord, input: JobInput, admission: Admission) throws -> EnqueueOutcome {
        var job = job
        job.status = .queued
        job.cost = nil
        return try database.transaction { transaction in
            // The checks below and the writes they allow are one step for this account and key,
            // whichever replica runs them (the account first, always, so no two submits deadlock).
            // A lock is taken only for a check that reads what a concurrent submit could change:
            // held for the whole transaction, it makes one account's submits take turns.
            let accountChecked =
                admission.idempotencyKey != nil || (admission.concurrentJobsPerAccount ?? 0) > 0 || job.reserved > .zero
            if accountChecked, let accountID = job.accountID { try transaction.lock("accounts", id: accountID) }
            if (admission.concurrentJobsPerKey ?? 0) > 0, let keyID = job.keyID {
                try transaction.lock("api_keys", id: keyID)
            }
            if let key = admission.idempotencyKey, let accountID = job.accountID {
                let earlier = try transaction.query(
                    "SELECT \(Self.jobColumns) FROM jobs WHERE account_id = ? AND idempotency_key = ?",
                    [.text(accountID), .text(key)]
                ).first.map(Self.job)
                if let earlier {
                    if earlier.createdAt.addingTimeInterval(admission.idempotencyWindow) > job.createdAt {
                        guard earlier.fingerprint == admission.fingerprint else {
                            throw AdmissionRefusal.idempotencyKeyReused
                        }
                        return .duplicate(earlier)
                    }
                    // Remembered long enough: the key is free for a new request.
                    try transaction.execute("UPDATE jobs SET idempotency_key = NULL WHERE id = ?", [.text(earlier.id)])
                }
                job.idempotencyKey = key
                job.fingerprint = admission.fingerprint
            }
            // The queue's length, and whether anything in it would run before this job (if not, it
            // may start at once), in one read.
            let queue = try transaction.query(QueueLength.self, [SQLValue(job.priority.rawValue)]).first
            if let limit = admission.maximumQueuedJobs, queue?.integer(0) ?? 0 >= limit {
                throw AdmissionRefusal.queueFull(limit: limit)
            }
            let startsNow = admission.startNow != nil && queue?.integer(1) ?? 0 == 0
            try Self.checkConcurrency(
                column: "key_id", job.keyID, limit: admission.concurrentJobsPerKey, scope: .key, in: transaction)
            try Self.checkConcurrency(
                column: "account_id", job.accountID, limit: admission.concurrentJobsPerAccount, scope: .account,
                in: transaction)
            if job.reserved > .zero {
                guard let accountID = job.accountID,
                    try Self.appendLedger(
                        accountID: accountID, .reservation, -job.reserved, requestID: job.id, note: nil,
                        at: job.createdAt, in: transaction) != nil
                else {
                    let balance = try job.accountID.flatMap { accountID in
                        try transaction.query("SELECT balance_micros FROM accounts WHERE id = ?", [.text(accountID)])
                            .first?.integer(0)
                    }
                    throw AdmissionRefusal.insufficientCredits(
                        needed: job.reserved, balance: MicroDollars(balance ?? 0))
                }
            }
            try Self.insert(job, queued: true, into: transaction)
            try transaction.execute(
                "INSERT INTO job_inputs (job_id, request, reference) VALUES (?, ?, ?)",
                [.text(job.id), .text(input.request), input.reference.map(SQLValue.blob) ?? .null])
            guard startsNow, let start = admission.startNow,
                let started = try claim(
                    id: job.id, engine: start.engine, lease: start.lease, at: job.createdAt, in: transaction)
            else { return .queued }
            try Self.insertLogs(jobID: job.id, start.log, in: transaction)
            return .started(started)
        }
    }

    private static func checkConcurrency(
        column: String, _ owner: String?, limit: Int?, scope: LimitScope,
        in transaction: any SQLTransaction
    ) throws {
        guard let owner, let limit, limit > 0 else { return }
        let unfinished =
            try transaction.query(
                "SELECT COUNT(*) FROM jobs WHERE \(column) = ? AND status IN ('queued', 'running')", [.text(owner)]
            ).first?.integer(0) ?? 0
        if unfinished >= limit { throw AdmissionRefusal.tooManyJobs(scope: scope, limit: limit) }
    }

    public func claimJob(
        id: String, engine: String, lease: JobLease, at date: Date, startLog: (@Sendable (Int) -> JobLogLine)?
    ) throws -> ClaimedJob? {
        try database.transaction { transaction in
            guard let record = try claim(id: id, engine: engine, lease: lease, at: date, in: transaction) else {
                return nil
            }
            let input = try transaction.query("SELECT request, reference FROM job_inputs WHERE job_id = ?", [.text(id)])
                .first
            guard let input else { throw StoreError(.corrupt, "job \(id) is queued without its input") }
            if let startLog { try Self.insertLogs(jobID: id, [startLog(record.attempts)], in: transaction) }
            return ClaimedJob(
                record: record, input: JobInput(request: input.text(0) ?? "", reference: input.blob(1)))
        }
    }

    /// Marks a queued job running under `lease`, counting the attempt; nil when it is not queued
    /// (or, on PostgreSQL, another replica is claiming it).
    private func claim(id: String, engine: String, lease: JobLease, at date: Date, in transaction: any SQLTransaction)
        throws -> JobRecord?
    {
        try transaction.query(
            ClaimJob.self, [.text(engine), SQLValue(date), .text(lease.owner), SQLValue(lease.expiresAt), .text(id)]
        ).first.map(Self.job)
    }

    public func requestCancellation(id: String, webhook: WebhookDelivery?, at date: Date) throws
        -> CancellationOutcome
    {
        try database.transaction { transaction in
            try transaction.lock("jobs", id: id)
            guard
                let status = try transaction.query("SELECT status FROM jobs WHERE id = ?", [.text(id)]).first?
                    .text(0).flatMap(JobStatus.init(rawValue:))
            else { return .notFound }
            switch status {
            case .queued:
                try Self.finish(
                    id: id, status: .cancelled, failure: JobFailure.cancelled, webhook: webhook, at: date,
                    in: transaction)
                return .cancelled
            case .running:
                try transaction.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", [.text(id)])
                return .requested
            case .succeeded, .failed, .cancelled:
                return .alreadyFinished
            }
        }
    }

    @discardableResult
    public func completeJob(
        id: String, images: [StoredImage], blockedCount: Int, engine: String, engineSeconds: Double,
        identity: IdentityReport?, webhook: WebhookDelivery?, log: JobLogLine?, at date: Date
    ) throws -> JobRecord? {
        let imageIDs = String(decoding: try JSONEncoder().encode(images.map(\.id)), as: UTF8.self)
        return try database.transaction { transaction in
            let completed = try transaction.query(
                CompleteJob.self,
                [
                    SQLValue(images.count), SQLValue(blockedCount), .text(imageIDs), .text(engine),
                    .real(engineSeconds), SQLValue(date), identity.map { .text($0.json) } ?? .null,
                    identity?.lowest.map(SQLValue.real) ?? .null, .text(id),
                ])
            guard completed.count == 1 else { return nil }
            for image in images {
                try transaction.execute(
                    """
                    INSERT INTO images
                    (id, job_id, content_type, byte_count, width, height, created_at, expires_at, source_url)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(image.id), .text(image.jobID), .text(image.contentType), SQLValue(image.byteCount),
                        SQLValue(image.width), SQLValue(image.height), SQLValue(image.createdAt),
                        SQLValue(image.expiresAt), image.sourceURL.map(SQLValue.text) ?? .null,
                    ])
            }
            try Self.finished(id: id, webhook: webhook, in: transaction)
            if let log { try Self.insertLogs(jobID: id, [log], in: transaction) }
            return try transaction.query(JobByID.self, [.text(id)]).first
                .map(Self.job)
        }
    }

    @discardableResult
    public func finishJob(id: String, status: JobStatus, failure: JobFailure, webhook: WebhookDelivery?, at date: Date)
        throws -> Bool
    {
        precondition(status == .failed || status == .cancelled, "finishJob records failures and cancellations")
        return try database.transaction { transaction in
            try Self.finish(id: id, status: status, failure: failure, webhook: webhook, at: date, in: transaction)
        }
    }

    public func failQueuedJob(id: String, failure: JobFailure, at date: Date) throws -> Bool {
        try database.transaction { transaction in
            try Self.finish(
                id: id, status: .failed, failure: failure, webhook: nil, at: date, in: transaction, onlyIfQueued: true)
        }
    }

    @discardableResult
    private static func finish(
        id: String, status: JobStatus, failure: JobFailure, webhook: WebhookDelivery?, at date: Date,
        in transaction: any SQLTransaction, onlyIfQueued: Bool = false
    ) throws -> Bool {
        let finished = try transaction.execute(
            """
            UPDATE jobs SET status = ?, status_code = ?, status_message = ?, error_field = ?, error_reason = ?,
            retry_after_seconds = ?, finished_at = ? WHERE id = ? AND status IN ('queued'\(onlyIfQueued ? "" : ", 'running'"))
            """,
            [
                .text(status.rawValue), SQLValue(failure.code), .text(failure.message), SQLValue(failure.field),
                SQLValue(failure.reason), SQLValue(failure.retryAfterSeconds), SQLValue(date), .text(id),
            ])
        guard finished == 1 else { return false }
        try Self.finished(id: id, webhook: webhook, in: transaction)
        return true
    }

    /// What every finish does besides its own update: drop the input, record the webhook.
    private static func finished(id: String, webhook: WebhookDelivery?, in transaction: any SQLTransaction) throws {
        _ = try transaction.query(DeleteJobInput.self, [.text(id)])
        try settle(jobID: id, at: Date(), in: transaction)
        if let webhook {
            try transaction.execute(
                "INSERT INTO webhook_deliveries (job_id, url, body, next_attempt_at) VALUES (?, ?, ?, ?)",
                [.text(id), .text(webhook.url), .blob(webhook.body), .real(0)])
        }
    }

    @discardableResult
    public func requeueJob(id: String, refundAttempt: Bool) throws -> Bool {
        try database.execute(
            """
            UPDATE jobs SET status = 'queued', started_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
            attempts = CASE WHEN attempts > 0 THEN attempts - ? ELSE 0 END
            WHERE id = ? AND status = 'running'
            """, [SQLValue(refundAttempt ? 1 : 0), .text(id)]) == 1
    }

    public func requeueLapsedJob(id: String, at date: Date) throws -> Bool {
        try database.execute(
            """
            UPDATE jobs SET status = 'queued', started_at = NULL, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ? AND status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?)
            """, [.text(id), SQLValue(date)]) == 1
    }

}

extension JobFailure {
    /// The failure recorded for a cancelled job.
    public static let cancelled = JobFailure(code: 1000, message: "the request was cancelled", reason: "cancelled")
}

/// The queue's length, and how many queued jobs would run before one of the given priority.
private enum QueueLength: FrequentStatement {
    static let name = "queue_length"
    static let parameterTypes: [SQLType] = [.integer]
    static func sql(_ flavor: SQLFlavor) -> String {
        """
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN priority <= ? THEN 1 ELSE 0 END), 0)
        FROM jobs WHERE status = 'queued'
        """
    }
}

/// Marks a queued job running: engine, start, lease owner, lease expiry, job id.
private enum ClaimJob: FrequentStatement {
    static let name = "claim_job"
    static let parameterTypes: [SQLType] = [.text, .real, .text, .real, .text]
    static func sql(_ flavor: SQLFlavor) -> String {
        """
        UPDATE jobs SET status = 'running', engine = ?, attempts = attempts + 1, started_at = ?,
        lease_owner = ?, lease_expires_at = ?
        WHERE id = (SELECT id FROM jobs WHERE id = ? AND status = 'queued' \(flavor.skipLocked))
        RETURNING \(SQLStore.jobColumns)
        """
    }
}

/// Marks a running job succeeded, with what it delivered; returns its id if it was running.
private enum CompleteJob: FrequentStatement {
    static let name = "complete_job"
    static let parameterTypes: [SQLType] = [.integer, .integer, .text, .text, .real, .real, .text, .real, .text]
    static func sql(_ flavor: SQLFlavor) -> String {
        """
        UPDATE jobs SET status = 'succeeded', status_code = 0, status_message = 'success', image_count = ?,
        failed_count = ?, result_image_ids = ?, engine = ?, engine_seconds = ?, finished_at = ?,
        identity = ?, identity_score = ?
        WHERE id = ? AND status = 'running'
        RETURNING id
        """
    }
}

/// Records a job at its fair place in the queue (or, with `sql(queueSequence: "0")`, outside it).
///
/// The queue is ordered by priority, then by `queue_seq`, a start tag of start-time fair queuing
/// across accounts: a job's tag is the queue's virtual time (the head's tag; with nothing
/// queued, the last started job's) or, when its account already has jobs waiting, its last
/// waiting job's tag plus `fairTagUnit / weight`, whichever is larger. So each account's jobs
/// keep their order, and an account arriving behind another's backlog starts its jobs level
/// with the head, taking turns by weight instead of waiting for the backlog to drain. Being
/// computed from the queue, the tags mean the same on every replica of a fleet.
private enum InsertQueuedJob: FrequentStatement {
    static let name = "insert_queued_job"
    static let parameterTypes: [SQLType] = [
        .text, .text, .text, .text, .text, .text, .text, .integer, .text, .text, .integer, .text, .text, .text,
        .integer, .text, .text, .real, .real, .real, .text, .integer, .integer, .integer, .integer, .integer, .real,
        .text, .text, .text,
    ]
    static func sql(_ flavor: SQLFlavor) -> String {
        sql(
            queueSequence: """
                \(flavor.greatest)(
                    COALESCE((SELECT MIN(queue_seq) FROM jobs WHERE status = 'queued'),
                        (SELECT MAX(queue_seq) FROM jobs WHERE status = 'running'), 0),
                    COALESCE((SELECT MAX(queue_seq) FROM jobs WHERE account_id = ? AND status = 'queued')
                        + (SELECT \(SQLStore.fairTagUnit) / COALESCE(MAX(queue_weight), 1) FROM accounts WHERE id = ?), 0))
                """)
    }
    /// A job of no account (recorded before accounts existed) queues behind every other.
    static let lastInQueue =
        "(SELECT COALESCE(MAX(queue_seq), 0) + \(SQLStore.fairTagUnit) FROM jobs WHERE status = 'queued')"
    static func sql(queueSequence: String) -> String {
        """
        INSERT INTO jobs (id, key_id, dialect, app, model, parameters, status, priority, queue_seq, status_code,
        status_message, error_field, error_reason, retry_after_seconds, webhook_url, origin, start_deadline,
        created_at, finished_at, account_id, requested_count, price_micros, reserved_micros, byok, cost_micros,
        settled_at, idempotency_key, fingerprint, character_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, \(queueSequence), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    }
}

/// A finished job's input goes: its request, and its reference's place.
private enum DeleteJobInput: FrequentStatement {
    static let name = "delete_job_input"
    static let parameterTypes: [SQLType] = [.text]
    static func sql(_ flavor: SQLFlavor) -> String { "DELETE FROM job_inputs WHERE job_id = ?" }
}

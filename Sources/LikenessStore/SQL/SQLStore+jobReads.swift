import Foundation
import LikenessCore

/// The queue's reads, and how a job row is read back.
extension SQLStore {
    static let jobColumns = """
        id, key_id, dialect, app, model, parameters, engine, status, priority, attempts, cancel_requested,
        status_code, status_message, error_field, error_reason, retry_after_seconds, image_count, failed_count,
        result_image_ids, engine_seconds, webhook_url, origin, start_deadline, created_at, started_at, finished_at,
        account_id, requested_count, price_micros, reserved_micros, byok, cost_micros, idempotency_key, fingerprint,
        identity, character_id
        """

    static func job(_ row: SQLRow) -> JobRecord {
        var job = JobRecord(
            id: row.text("id") ?? "", keyID: row.text("key_id"),
            dialect: Dialect(rawValue: row.text("dialect") ?? "") ?? .minimax,
            model: row.text("model"), parameters: row.text("parameters"),
            createdAt: row.date("created_at") ?? .distantPast,
            status: JobStatus(rawValue: row.text("status") ?? "") ?? .failed)
        job.app = row.text("app")
        job.engine = row.text("engine")
        job.priority = JobPriority(rawValue: Int(row.integer("priority") ?? 0)) ?? .normal
        job.attempts = Int(row.integer("attempts") ?? 0)
        job.cancelRequested = row.integer("cancel_requested") == 1
        if let code = row.integer("status_code"), code != 0 {
            job.failure = JobFailure(
                code: Int(code), message: row.text("status_message") ?? "", field: row.text("error_field"),
                reason: row.text("error_reason"), retryAfterSeconds: row.integer("retry_after_seconds").map(Int.init))
        }
        job.imageCount = Int(row.integer("image_count") ?? 0)
        job.failedCount = Int(row.integer("failed_count") ?? 0)
        // A list this store wrote; anything else reads as no images (the job then has no result).
        job.resultImageIDs =
            (try? JSONDecoder().decode([String].self, from: Data((row.text("result_image_ids") ?? "[]").utf8))) ?? []
        job.engineSeconds = row.real("engine_seconds")
        job.webhookURL = row.text("webhook_url")
        job.origin = row.text("origin")
        job.startDeadline = row.date("start_deadline")
        job.startedAt = row.date("started_at")
        job.finishedAt = row.date("finished_at")
        job.accountID = row.text("account_id")
        job.requestedCount = Int(row.integer("requested_count") ?? 0)
        job.price = MicroDollars(row.integer("price_micros") ?? 0)
        job.reserved = MicroDollars(row.integer("reserved_micros") ?? 0)
        job.byok = row.integer("byok") == 1
        job.cost = row.integer("cost_micros").map(MicroDollars.init)
        job.idempotencyKey = row.text("idempotency_key")
        job.fingerprint = row.text("fingerprint")
        job.identity = row.text("identity").flatMap(IdentityReport.init(json:))
        job.characterID = row.text("character_id")
        return job
    }

    public func nextQueuedJob() throws -> QueueHead? {
        try database.query(NextQueuedJob.self, []).first.flatMap { row in
            row.text(0).map { QueueHead(id: $0, model: row.text(1), accountID: row.text(2), byok: row.integer(3) == 1) }
        }
    }

    public func queuePosition(id: String) throws -> Int? {
        let rows = try database.query(
            """
            SELECT (
                SELECT COUNT(*) FROM jobs AS ahead WHERE ahead.status = 'queued' AND (ahead.priority < this.priority
                OR (ahead.priority = this.priority AND ahead.queue_seq < this.queue_seq))
            ) FROM jobs AS this WHERE this.id = ? AND this.status = 'queued'
            """, [.text(id)])
        return rows.first?.integer(0).map(Int.init)
    }

    public func queuedJobCount() throws -> Int {
        Int(try database.query("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").first?.integer(0) ?? 0)
    }

    public func runningJobs() throws -> [JobRecord] {
        try database.query("SELECT \(Self.jobColumns) FROM jobs WHERE status = 'running' ORDER BY queue_seq").map(
            Self.job)
    }

    public func job(id: String) throws -> JobRecord? {
        try database.query(JobByID.self, [.text(id)]).first.map(Self.job)
    }

    public func recentJobs(accountID: String, dialect: Dialect, limit: Int) throws -> [JobRecord] {
        try database.query(
            """
            SELECT \(Self.jobColumns) FROM jobs WHERE account_id = ? AND dialect = ?
            ORDER BY created_at DESC, \(database.flavor.insertionOrder) DESC LIMIT ?
            """, [.text(accountID), .text(dialect.rawValue), .integer(Int64(limit))]
        ).map(Self.job)
    }

    public func jobs(matching query: JobQuery) throws -> [JobRecord] {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        func require(_ condition: String, _ values: SQLValue...) {
            conditions.append(condition)
            parameters += values
        }
        if let account = query.accountID { require("account_id = ?", .text(account)) }
        if let status = query.status { require("status = ?", .text(status.rawValue)) }
        if let model = query.model { require("model = ?", .text(model)) }
        if let dialect = query.dialect { require("dialect = ?", .text(dialect.rawValue)) }
        if let character = query.characterID { require("character_id = ?", .text(character)) }
        if let engine = query.engine { require("engine = ?", .text(engine)) }
        if let code = query.errorCode { require("status_code = ?", .integer(Int64(code))) }
        if let from = query.createdFrom { require("created_at >= ?", SQLValue(from)) }
        if let before = query.createdBefore { require("created_at < ?", SQLValue(before)) }
        if let after = query.after {
            // The cursor is looked up within the same account, so it cannot reveal another's.
            let owner = query.accountID == nil ? "" : " AND account_id = ?"
            conditions.append("(created_at, id) < (SELECT created_at, id FROM jobs WHERE id = ?\(owner))")
            parameters.append(.text(after))
            if let account = query.accountID { parameters.append(.text(account)) }
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try database.query(
            "SELECT \(Self.jobColumns) FROM jobs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?",
            parameters + [SQLValue(query.limit)]
        ).map(Self.job)
    }

    public func appendLog(jobID: String, _ line: JobLogLine) throws {
        try database.execute(Self.insertLogs(count: 1), Self.values(of: line, jobID: jobID))
    }

    /// Inside a transaction that moves the job (its claim, its completion), in one statement.
    static func insertLogs(jobID: String, _ lines: [JobLogLine], in transaction: any SQLTransaction) throws {
        guard !lines.isEmpty else { return }
        try transaction.execute(insertLogs(count: lines.count), lines.flatMap { values(of: $0, jobID: jobID) })
    }

    private static func insertLogs(count: Int) -> String {
        "INSERT INTO job_logs (job_id, at, level, source, message) VALUES "
            + repeatElement("(?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }

    private static func values(of line: JobLogLine, jobID: String) -> [SQLValue] {
        [.text(jobID), SQLValue(line.at), .text(line.level.rawValue), .text(line.source.rawValue), .text(line.message)]
    }

    public func logs(jobID: String) throws -> [JobLogLine] {
        try database.query(
            "SELECT at, level, source, message FROM job_logs WHERE job_id = ? ORDER BY \(database.flavor.insertionOrder)",
            [
                .text(jobID)
            ]
        ).map { row in
            JobLogLine(
                at: row.date(0) ?? .distantPast, level: row.text(1).flatMap(JobLogLevel.init) ?? .info,
                source: row.text(2).flatMap(JobLogSource.init) ?? .queue,
                message: row.text(3) ?? "")
        }
    }
}

/// The queue's head: the job a worker claims next.
private enum NextQueuedJob: FrequentStatement {
    static let name = "next_queued_job"
    static let parameterTypes: [SQLType] = []
    static func sql(_ flavor: SQLFlavor) -> String {
        // Past a job another worker is claiming right now: reading it again would only spin.
        """
        SELECT id, model, account_id, byok FROM jobs WHERE status = 'queued' ORDER BY priority, queue_seq LIMIT 1
        \(flavor.skipLocked)
        """
    }
}

/// One job's record.
enum JobByID: FrequentStatement {
    static let name = "job_by_id"
    static let parameterTypes: [SQLType] = [.text]
    static func sql(_ flavor: SQLFlavor) -> String { "SELECT \(SQLStore.jobColumns) FROM jobs WHERE id = ?" }
}

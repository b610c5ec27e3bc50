import Crypto
import Foundation

/// The SQLite implementation of every repository. One database file, `likeness.sqlite`.
public final class SQLiteStore: APIKeyRepository, JobRepository, ImageRepository {
    let database: SQLiteDatabase

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try Schema.migrate(database)
    }

    // MARK: Keys

    /// `lk_` then 32 random bytes as unpadded base64url.
    static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "lk_"
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexadecimal
    }

    public func createKey(name: String, secret: String?) throws -> IssuedAPIKey {
        let secret = secret ?? Self.generateSecret()
        let key = APIKey(
            id: "key_" + Identifier.make().prefix(12), name: name, displayPrefix: String(secret.prefix(7)) + "…",
            createdAt: Date(), revokedAt: nil, lastUsedAt: nil)
        try database.execute(
            "INSERT INTO api_keys (id, name, secret_hash, display_prefix, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(key.id), .text(name), .text(Self.hash(secret)), .text(key.displayPrefix), SQLValue(key.createdAt)])
        return IssuedAPIKey(key: key, secret: secret)
    }

    public func checkKey(secret: String) throws -> KeyCheck {
        // Looked up by SHA-256: equal hashes are the only match, so no secret is ever compared.
        let rows = try database.query(
            "SELECT id, name, display_prefix, created_at, revoked_at, last_used_at FROM api_keys WHERE secret_hash = ?",
            [.text(Self.hash(secret))])
        guard let row = rows.first else { return .unknown }
        let key = Self.key(row)
        if key.revokedAt != nil { return .revoked }
        let now = Date()
        // One write a minute per key at most, not one per request.
        if key.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try database.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [SQLValue(now), .text(key.id)])
        }
        return .valid(key)
    }

    public func listKeys() throws -> [APIKey] {
        try database.query(
            "SELECT id, name, display_prefix, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at"
        ).map(Self.key)
    }

    public func revokeKey(id: String) throws -> Bool {
        try database.transaction { transaction in
            try transaction.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [SQLValue(Date()), .text(id)])
            return transaction.changes == 1
        }
    }

    public func keyCount() throws -> Int {
        Int(try database.query("SELECT COUNT(*) FROM api_keys").first?.integer(0) ?? 0)
    }

    private static func key(_ row: SQLRow) -> APIKey {
        APIKey(
            id: row.text(0) ?? "", name: row.text(1) ?? "", displayPrefix: row.text(2) ?? "",
            createdAt: row.date(3) ?? .distantPast, revokedAt: row.date(4), lastUsedAt: row.date(5))
    }

    // MARK: Jobs

    public func insertJob(_ job: JobRecord) throws {
        try database.execute(
            """
            INSERT INTO jobs (id, key_id, dialect, model, parameters, status, status_code, status_message, created_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(job.id), SQLValue(job.keyID), .text(job.dialect), SQLValue(job.model), SQLValue(job.parameters),
                .text(job.status.rawValue), SQLValue(job.statusCode), SQLValue(job.statusMessage),
                SQLValue(job.createdAt),
                SQLValue(job.finishedAt),
            ])
    }

    public func markJobRunning(id: String, engine: String, at date: Date) throws {
        try database.execute(
            "UPDATE jobs SET status = 'running', engine = ?, started_at = ? WHERE id = ?",
            [.text(engine), SQLValue(date), .text(id)])
    }

    public func completeJob(id: String, images: [StoredImage], deliveredCount: Int, failedCount: Int, at date: Date)
        throws
    {
        let imageIDs = String(decoding: try JSONEncoder().encode(images.map(\.id)), as: UTF8.self)
        try database.transaction { transaction in
            for image in images {
                try transaction.execute(
                    """
                    INSERT INTO images (id, job_id, content_type, byte_count, width, height, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(image.id), .text(image.jobID), .text(image.contentType), SQLValue(image.byteCount),
                        SQLValue(image.width), SQLValue(image.height), SQLValue(image.createdAt),
                        SQLValue(image.expiresAt),
                    ])
            }
            try transaction.execute(
                """
                UPDATE jobs SET status = 'succeeded', status_code = 0, status_message = 'success', image_count = ?,
                failed_count = ?, result_image_ids = ?, finished_at = ? WHERE id = ?
                """,
                [SQLValue(deliveredCount), SQLValue(failedCount), .text(imageIDs), SQLValue(date), .text(id)])
        }
    }

    public func failJob(id: String, statusCode: Int, message: String, at date: Date) throws {
        try database.execute(
            "UPDATE jobs SET status = 'failed', status_code = ?, status_message = ?, finished_at = ? WHERE id = ?",
            [SQLValue(statusCode), .text(message), SQLValue(date), .text(id)])
    }

    public func job(id: String) throws -> JobRecord? {
        let rows = try database.query(
            """
            SELECT id, key_id, dialect, model, parameters, engine, status, status_code, status_message, image_count,
            failed_count, result_image_ids, created_at, started_at, finished_at FROM jobs WHERE id = ?
            """, [.text(id)])
        return rows.first.map { row in
            var job = JobRecord(
                id: row.text(0) ?? "", keyID: row.text(1), dialect: row.text(2) ?? "", model: row.text(3),
                parameters: row.text(4), createdAt: row.date(12) ?? .distantPast,
                status: JobStatus(rawValue: row.text(6) ?? "") ?? .failed)
            job.engine = row.text(5)
            job.statusCode = row.integer(7).map(Int.init)
            job.statusMessage = row.text(8)
            job.imageCount = Int(row.integer(9) ?? 0)
            job.failedCount = Int(row.integer(10) ?? 0)
            job.resultImageIDs =
                (try? JSONDecoder().decode([String].self, from: Data((row.text(11) ?? "[]").utf8))) ?? []
            job.startedAt = row.date(13)
            job.finishedAt = row.date(14)
            return job
        }
    }

    public func failInterruptedJobs(at date: Date) throws -> Int {
        try database.transaction { transaction in
            try transaction.execute(
                """
                UPDATE jobs SET status = 'failed', status_code = 1033, status_message = 'interrupted by a server restart',
                finished_at = ? WHERE status IN ('queued', 'running')
                """, [SQLValue(date)])
            return transaction.changes
        }
    }

    // MARK: Images

    public func image(id: String) throws -> StoredImage? {
        try database.query(
            "SELECT id, job_id, content_type, byte_count, width, height, created_at, expires_at FROM images WHERE id = ?",
            [.text(id)]
        ).first.map { row in
            StoredImage(
                id: row.text(0) ?? "", jobID: row.text(1) ?? "", contentType: row.text(2) ?? "",
                byteCount: Int(row.integer(3) ?? 0), width: Int(row.integer(4) ?? 0), height: Int(row.integer(5) ?? 0),
                createdAt: row.date(6) ?? .distantPast, expiresAt: row.date(7) ?? .distantPast)
        }
    }

    public func deleteExpiredImages(at date: Date) throws -> [String] {
        try database.transaction { transaction in
            let ids = try transaction.query("SELECT id FROM images WHERE expires_at <= ?", [SQLValue(date)])
                .compactMap { $0.text(0) }
            try transaction.execute("DELETE FROM images WHERE expires_at <= ?", [SQLValue(date)])
            return ids
        }
    }

    public func imageIDs() throws -> Set<String> {
        Set(try database.query("SELECT id FROM images").compactMap { $0.text(0) })
    }
}

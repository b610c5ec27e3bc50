import Crypto
import Foundation

/// The SQLite implementation of every repository. One database file, `likeness.sqlite`.
public final class SQLiteStore: APIKeyRepository, JobRepository, WebhookRepository, ImageRepository {
    let database: SQLiteDatabase

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try Schema.migrate(database)
    }

    // MARK: Keys

    /// `lk_` then 32 random bytes as unpadded base64url.
    static func generateSecret() -> String {
        "lk_"
            + randomBytes(32).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexadecimal
    }

    public func createKey(name: String, secret: String?) throws -> IssuedAPIKey {
        let secret = secret ?? Self.generateSecret()
        let key = APIKey(
            id: "key_" + Identifier.make().prefix(12), name: name, displayPrefix: String(secret.prefix(7)) + "…",
            createdAt: Date(), revokedAt: nil, lastUsedAt: nil)
        let webhookSecret = "whsec_" + Self.randomBytes(32).hexadecimal
        try database.execute(
            """
            INSERT INTO api_keys (id, name, secret_hash, display_prefix, created_at, webhook_secret)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .text(key.id), .text(name), .text(Self.hash(secret)), .text(key.displayPrefix), SQLValue(key.createdAt),
                .text(webhookSecret),
            ])
        return IssuedAPIKey(key: key, secret: secret, webhookSecret: webhookSecret)
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

    // MARK: Images

    public func image(id: String) throws -> StoredImage? {
        try database.query(
            """
            SELECT id, job_id, content_type, byte_count, width, height, created_at, expires_at, source_url
            FROM images WHERE id = ?
            """,
            [.text(id)]
        ).first.map { row in
            StoredImage(
                id: row.text(0) ?? "", jobID: row.text(1) ?? "", contentType: row.text(2) ?? "",
                byteCount: Int(row.integer(3) ?? 0), width: Int(row.integer(4) ?? 0), height: Int(row.integer(5) ?? 0),
                createdAt: row.date(6) ?? .distantPast, expiresAt: row.date(7) ?? .distantPast, sourceURL: row.text(8))
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

import Crypto
import Foundation
import LikenessCore

/// Every repository, on SQL: SQLite in one file (`likeness.sqlite`, the embedded default) or
/// PostgreSQL shared by a fleet of replicas. One set of statements serves both.
public final class SQLStore: APIKeyRepository, AccountRepository, JobRepository, WebhookRepository, ImageRepository,
    CharacterRepository, UploadRepository
{
    let database: any SQLDatabase

    /// The embedded store: SQLite at `path`, migrated to the current schema.
    public init(path: String) throws {
        let database = try SQLiteDatabase(path: path)
        try SQLiteSchema.migrate(database)
        self.database = database
    }

    /// The fleet's store: a PostgreSQL database, migrated to the current schema (replicas that
    /// start together take turns; see `PostgresSchema`).
    public init(postgres database: PostgreSQLDatabase) throws {
        try PostgresSchema.migrate(database)
        self.database = database
    }

    public var flavor: SQLFlavor { database.flavor }

    /// The PostgreSQL database beneath, for what only it offers (`LISTEN`/`NOTIFY`); nil for SQLite.
    public var postgres: PostgreSQLDatabase? { database as? PostgreSQLDatabase }

    // MARK: Keys

    /// `lk_` then 32 random bytes as unpadded base64url.
    static func generateSecret() -> String {
        "lk_" + randomBytes(32).base64URLEncoded
    }

    static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexadecimal
    }

    public func createKey(
        name: String, accountID: String, role: KeyRole = .user, secret: String? = nil, expiresAt: Date? = nil,
        limits: UsageLimits = UsageLimits()
    ) throws -> IssuedAPIKey {
        try database.transaction { transaction in
            try Self.createKey(
                name: name, accountID: accountID, role: role, secret: secret, expiresAt: expiresAt, limits: limits,
                in: transaction)
        }
    }

    /// The operator's first key, with its unmetered "house" account, when the store has no key
    /// yet; nil when it has one. Replicas starting together on one database create one between them.
    public func createFirstAdminKey(secret: String?) throws -> IssuedAPIKey? {
        try database.transaction { transaction in
            try transaction.serialize("first-admin-key")
            guard try transaction.query("SELECT COUNT(*) FROM api_keys").first?.integer(0) == 0 else { return nil }
            let house = try Self.createAccount(name: "house", billing: .unmetered, limits: .unlimited, in: transaction)
            return try Self.createKey(
                name: "first key", accountID: house.id, role: .admin, secret: secret, expiresAt: nil,
                limits: .unlimited, in: transaction)
        }
    }

    static func createKey(
        name: String, accountID: String, role: KeyRole, secret: String?, expiresAt: Date?, limits: UsageLimits,
        in transaction: any SQLTransaction
    ) throws -> IssuedAPIKey {
        let secret = secret ?? Self.generateSecret()
        let key = APIKey(
            id: "key_" + Identifier.make().prefix(12), name: name, accountID: accountID, role: role,
            displayPrefix: String(secret.prefix(7)) + "…", createdAt: Date(), expiresAt: expiresAt, revokedAt: nil,
            lastUsedAt: nil, limits: limits)
        let webhookSecret = "whsec_" + Self.randomBytes(32).hexadecimal
        guard try transaction.query("SELECT 1 FROM accounts WHERE id = ?", [.text(accountID)]).first != nil else {
            throw StoreError(.notFound, "no account with id \(accountID)")
        }
        try transaction.execute(
            """
            INSERT INTO api_keys (id, name, secret_hash, display_prefix, created_at, webhook_secret, account_id,
            role, expires_at, requests_per_minute, concurrent_jobs)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(key.id), .text(name), .text(Self.hash(secret)), .text(key.displayPrefix),
                SQLValue(key.createdAt), .text(webhookSecret), .text(accountID), .text(role.rawValue),
                SQLValue(expiresAt), SQLValue(limits.requestsPerMinute), SQLValue(limits.concurrentJobs),
            ])
        return IssuedAPIKey(key: key, secret: secret, webhookSecret: webhookSecret)
    }

    static let keyColumns = """
        k.id, k.name, k.account_id, k.role, k.display_prefix, k.created_at, k.expires_at, k.revoked_at,
        k.last_used_at, k.requests_per_minute, k.concurrent_jobs
        """

    public func checkKey(secret: String) throws -> KeyCheck {
        let check = try lookUpKey(secret: secret)
        if case .valid(let key, _) = check, key.isUseWorthRecording(at: Date()) {
            try recordKeyUse(id: key.id, at: Date())
        }
        return check
    }

    public func lookUpKey(secret: String) throws -> KeyCheck {
        // Looked up by SHA-256: equal hashes are the only match, so no secret is ever compared.
        let rows = try database.query(
            "SELECT \(Self.keyColumns), \(Self.accountColumns) FROM api_keys AS k JOIN accounts AS a "
                + "ON a.id = k.account_id WHERE k.secret_hash = ?",
            [.text(Self.hash(secret))])
        guard let row = rows.first else { return .unknown }
        let key = Self.key(row)
        if key.revokedAt != nil { return .revoked }
        if let expiry = key.expiresAt, expiry <= Date() { return .expired }
        return .valid(key, Self.account(row, from: 11))
    }

    public func recordKeyUse(id: String, at date: Date) throws {
        try database.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [SQLValue(date), .text(id)])
    }

    public func listKeys(accountID: String?) throws -> [APIKey] {
        if let accountID {
            return try database.query(
                "SELECT \(Self.keyColumns) FROM api_keys AS k WHERE k.account_id = ? ORDER BY k.created_at",
                [.text(accountID)]
            ).map(Self.key)
        }
        return try database.query("SELECT \(Self.keyColumns) FROM api_keys AS k ORDER BY k.created_at").map(Self.key)
    }

    public func key(id: String) throws -> APIKey? {
        try database.query("SELECT \(Self.keyColumns) FROM api_keys AS k WHERE k.id = ?", [.text(id)]).first.map(
            Self.key)
    }

    public func revokeKey(id: String) throws -> Bool {
        try database.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [SQLValue(Date()), .text(id)])
            == 1
    }

    public func keyCount() throws -> Int {
        Int(try database.query("SELECT COUNT(*) FROM api_keys").first?.integer(0) ?? 0)
    }

    private static func key(_ row: SQLRow) -> APIKey {
        APIKey(
            id: row.text(0) ?? "", name: row.text(1) ?? "", accountID: row.text(2) ?? "",
            role: KeyRole(rawValue: row.text(3) ?? "") ?? .user, displayPrefix: row.text(4) ?? "",
            createdAt: row.date(5) ?? .distantPast, expiresAt: row.date(6), revokedAt: row.date(7),
            lastUsedAt: row.date(8),
            limits: UsageLimits(
                requestsPerMinute: row.integer(9).map(Int.init), concurrentJobs: row.integer(10).map(Int.init)))
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

    public func deleteExpiredImages(at date: Date) throws -> [StoredImage.File] {
        // One statement: replicas sweeping at once each get a row to delete the file of, once.
        try database.transaction { transaction in
            try transaction.query(
                "DELETE FROM images WHERE expires_at <= ? RETURNING id, content_type", [SQLValue(date)]
            ).compactMap { row in
                row.text(0).map { StoredImage.File(id: $0, format: OutputFormat(mimeType: row.text(1) ?? "") ?? .jpeg) }
            }
        }
    }

    public func imageIDs() throws -> Set<String> {
        Set(try database.query("SELECT id FROM images").compactMap { $0.text(0) })
    }

    /// The unfinished jobs, which keep their input until they end.
    public func jobIDsWithInputs() throws -> Set<String> {
        Set(try database.query("SELECT job_id FROM job_inputs").compactMap { $0.text(0) })
    }
}

import Foundation

extension SQLStore {
    static let uploadColumns =
        "id, account_id, file_name, content_type, byte_count, width, height, purpose, created_at, expires_at"

    public func insertUpload(_ upload: StoredUpload, quotaBytes: Int) throws {
        try database.transaction { transaction in
            // Two uploads at once for one account must not both fit the same room.
            try transaction.serialize("uploads of \(upload.accountID)")
            let held =
                try transaction.query(
                    "SELECT COALESCE(SUM(byte_count), 0) FROM uploads WHERE account_id = ? AND expires_at > ?",
                    [.text(upload.accountID), SQLValue(upload.createdAt)]
                ).first?.integer(0) ?? 0
            guard Int(held) + upload.byteCount <= quotaBytes else {
                throw StoreError(
                    .refused,
                    "the account's uploads hold \(held) bytes; this one (\(upload.byteCount) bytes) would pass its "
                        + "quota of \(quotaBytes) bytes")
            }
            try transaction.execute(
                "INSERT INTO uploads (\(Self.uploadColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(upload.id), .text(upload.accountID), .text(upload.fileName), .text(upload.contentType),
                    SQLValue(upload.byteCount), SQLValue(upload.width), SQLValue(upload.height), .text(upload.purpose),
                    SQLValue(upload.createdAt), SQLValue(upload.expiresAt),
                ])
        }
    }

    public func upload(id: String, accountID: String, at date: Date) throws -> StoredUpload? {
        try database.query(
            "SELECT \(Self.uploadColumns) FROM uploads WHERE id = ? AND account_id = ? AND expires_at > ?",
            [.text(id), .text(accountID), SQLValue(date)]
        ).first.map(Self.upload)
    }

    public func uploads(accountID: String, at date: Date, limit: Int) throws -> [StoredUpload] {
        try database.query(
            """
            SELECT \(Self.uploadColumns) FROM uploads WHERE account_id = ? AND expires_at > ?
            ORDER BY created_at DESC, id DESC LIMIT ?
            """, [.text(accountID), SQLValue(date), SQLValue(limit)]
        ).map(Self.upload)
    }

    public func deleteUpload(id: String, accountID: String) throws -> StoredUpload? {
        try database.transaction { transaction in
            try transaction.query(
                "DELETE FROM uploads WHERE id = ? AND account_id = ? RETURNING \(Self.uploadColumns)",
                [.text(id), .text(accountID)]
            ).first.map(Self.upload)
        }
    }

    public func deleteExpiredUploads(at date: Date) throws -> [String] {
        // One statement: replicas sweeping at once each get a row to delete the object of, once.
        try database.transaction { transaction in
            try transaction.query("DELETE FROM uploads WHERE expires_at <= ? RETURNING id", [SQLValue(date)])
                .compactMap { $0.text(0) }
        }
    }

    public func uploadIDs() throws -> Set<String> {
        Set(try database.query("SELECT id FROM uploads").compactMap { $0.text(0) })
    }

    private static func upload(_ row: SQLRow) -> StoredUpload {
        StoredUpload(
            id: row.text(0) ?? "", accountID: row.text(1) ?? "", fileName: row.text(2) ?? "",
            contentType: row.text(3) ?? "", byteCount: Int(row.integer(4) ?? 0), width: Int(row.integer(5) ?? 0),
            height: Int(row.integer(6) ?? 0), purpose: row.text(7) ?? "", createdAt: row.date(8) ?? .distantPast,
            expiresAt: row.date(9) ?? .distantPast)
    }
}

/// Schema migrations, applied in order and tracked in `PRAGMA user_version`.
enum Schema {
    static let migrations: [String] = [
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            display_prefix TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL,
            last_used_at REAL
        );
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            key_id TEXT,
            dialect TEXT NOT NULL,
            model TEXT,
            parameters TEXT,
            engine TEXT,
            status TEXT NOT NULL,
            status_code INTEGER,
            status_message TEXT,
            image_count INTEGER NOT NULL DEFAULT 0,
            failed_count INTEGER NOT NULL DEFAULT 0,
            result_image_ids TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL
        );
        CREATE INDEX jobs_by_status ON jobs(status, created_at);
        CREATE TABLE images (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs(id),
            content_type TEXT NOT NULL,
            byte_count INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE INDEX images_by_expiry ON images(expires_at);
        """
    ]

    static func migrate(_ database: SQLiteDatabase) throws {
        let current = try database.query("PRAGMA user_version").first?.integer(0) ?? 0
        for (index, migration) in migrations.enumerated() where index >= current {
            try database.transaction { transaction in
                for statement in migration.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try transaction.execute(String(statement))
                }
                try transaction.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}

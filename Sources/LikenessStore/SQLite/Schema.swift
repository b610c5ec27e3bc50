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
        """,
        // v2: the durable job queue, its logs and webhooks; a webhook signing secret per key.
        """
        ALTER TABLE jobs ADD COLUMN app TEXT;
        ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN queue_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN error_field TEXT;
        ALTER TABLE jobs ADD COLUMN error_reason TEXT;
        ALTER TABLE jobs ADD COLUMN retry_after_seconds INTEGER;
        ALTER TABLE jobs ADD COLUMN engine_seconds REAL;
        ALTER TABLE jobs ADD COLUMN webhook_url TEXT;
        ALTER TABLE jobs ADD COLUMN origin TEXT;
        ALTER TABLE jobs ADD COLUMN start_deadline REAL;
        CREATE INDEX jobs_in_queue_order ON jobs(status, priority, queue_seq);
        CREATE TABLE job_inputs (
            job_id TEXT PRIMARY KEY REFERENCES jobs(id),
            request TEXT NOT NULL,
            reference BLOB
        );
        CREATE TABLE job_logs (
            job_id TEXT NOT NULL REFERENCES jobs(id),
            at REAL NOT NULL,
            level TEXT NOT NULL,
            source TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX job_logs_by_job ON job_logs(job_id);
        CREATE TABLE webhook_deliveries (
            job_id TEXT PRIMARY KEY REFERENCES jobs(id),
            url TEXT NOT NULL,
            body BLOB NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            delivered_at REAL,
            last_error TEXT
        );
        CREATE INDEX webhooks_due ON webhook_deliveries(next_attempt_at);
        ALTER TABLE api_keys ADD COLUMN webhook_secret TEXT;
        UPDATE api_keys SET webhook_secret = 'whsec_' || lower(hex(randomblob(32)))
        """,
        // v3: images an upstream engine left at the provider (passthrough), served as their URL.
        """
        ALTER TABLE images ADD COLUMN source_url TEXT
        """,
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

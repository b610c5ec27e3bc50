/// SQLite's schema migrations, applied in order and tracked in `PRAGMA user_version`.
enum SQLiteSchema {
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
        // v4: accounts own keys and a prepaid balance; the ledger explains every balance; jobs
        // carry what they reserve and cost. Keys that already exist join one unmetered "house"
        // account, and the oldest becomes its admin.
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            billing TEXT NOT NULL,
            balance_micros INTEGER NOT NULL DEFAULT 0 CHECK (balance_micros >= 0),
            requests_per_minute INTEGER,
            concurrent_jobs INTEGER,
            minimax_key BLOB,
            minimax_region TEXT,
            created_at REAL NOT NULL
        );
        CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            kind TEXT NOT NULL,
            amount_micros INTEGER NOT NULL,
            balance_after_micros INTEGER NOT NULL,
            request_id TEXT,
            note TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX ledger_by_account ON ledger(account_id, created_at);
        CREATE INDEX ledger_by_request ON ledger(request_id);
        CREATE TRIGGER ledger_rows_are_never_updated BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TRIGGER ledger_rows_are_never_deleted BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        ALTER TABLE api_keys ADD COLUMN account_id TEXT REFERENCES accounts(id);
        ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
        ALTER TABLE api_keys ADD COLUMN expires_at REAL;
        ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER;
        ALTER TABLE api_keys ADD COLUMN concurrent_jobs INTEGER;
        ALTER TABLE jobs ADD COLUMN account_id TEXT;
        ALTER TABLE jobs ADD COLUMN requested_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN price_micros INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN reserved_micros INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN cost_micros INTEGER;
        ALTER TABLE jobs ADD COLUMN settled_at REAL;
        ALTER TABLE jobs ADD COLUMN byok INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN idempotency_key TEXT;
        ALTER TABLE jobs ADD COLUMN fingerprint TEXT;
        CREATE INDEX jobs_by_account ON jobs(account_id, created_at);
        CREATE INDEX jobs_by_account_status ON jobs(account_id, status);
        CREATE INDEX jobs_by_key_status ON jobs(key_id, status);
        CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs(account_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        INSERT INTO accounts (id, name, billing, requests_per_minute, concurrent_jobs, created_at)
            SELECT 'acct_' || lower(hex(randomblob(6))), 'house', 'unmetered', 0, 0,
            (SELECT MIN(created_at) FROM api_keys) WHERE EXISTS (SELECT 1 FROM api_keys);
        UPDATE api_keys SET account_id = (SELECT id FROM accounts), requests_per_minute = 0, concurrent_jobs = 0;
        UPDATE api_keys SET role = 'admin' WHERE id = (SELECT id FROM api_keys ORDER BY created_at, rowid LIMIT 1);
        UPDATE jobs SET account_id = (SELECT account_id FROM api_keys WHERE api_keys.id = jobs.key_id),
            requested_count = COALESCE(json_extract(parameters, '$.n'), 0), cost_micros = 0,
            settled_at = finished_at;
        """,
        // v5: what a fleet needs, kept in both stores so that one code path serves both: a job's
        // lease (the replica running it, renewed while it runs), the replicas' heartbeats, and
        // fixed-window request counters.
        """
        ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
        ALTER TABLE jobs ADD COLUMN lease_expires_at REAL;
        CREATE INDEX jobs_by_lease ON jobs(status, lease_expires_at);
        CREATE TABLE replicas (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            started_at REAL NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE TABLE rate_windows (
            subject TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (subject, window_start)
        );
        CREATE TABLE fleet_settings (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        );
        """,
        // v6: each upstream account's rate schedule, shared by the replicas that use it.
        """
        CREATE TABLE upstream_schedule (
            id TEXT PRIMARY KEY,
            theoretical_arrival REAL NOT NULL
        );
        """,
        // v7: identity scores (the report as JSON; its lowest score for usage).
        """
        ALTER TABLE jobs ADD COLUMN identity TEXT;
        ALTER TABLE jobs ADD COLUMN identity_score REAL;
        """,
        // v8: the next queue place is MAX(queue_seq) + 1, read by every submit: without its own
        // index that read scanned every job ever recorded (1 ms at 12,000 jobs, on the one writer).
        """
        CREATE INDEX jobs_by_queue_seq ON jobs(queue_seq);
        """,
        // v9: characters, each up to five photos of one person, and uploads (the photos themselves, sealed,
        // are private objects beside the images; a face found in one is sealed in its row).
        """
        CREATE TABLE characters (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            name TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX characters_by_account ON characters(account_id, created_at, id);
        CREATE TABLE character_photos (
            id TEXT PRIMARY KEY,
            character_id TEXT NOT NULL REFERENCES characters(id),
            position INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            byte_count INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            face BLOB,
            face_width INTEGER,
            face_height INTEGER,
            face_note TEXT,
            UNIQUE (character_id, position)
        );
        ALTER TABLE jobs ADD COLUMN character_id TEXT;
        CREATE INDEX jobs_by_character ON jobs(account_id, character_id, created_at, id);
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            file_name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            byte_count INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            purpose TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE INDEX uploads_by_account ON uploads(account_id, expires_at);
        CREATE INDEX uploads_by_expiry ON uploads(expires_at);
        """,
        // v10: a deleted account keeps its row and ledger (the books), marked.
        """
        ALTER TABLE accounts ADD COLUMN deleted_at REAL;
        """,
        // v11: fair shares of the queue between accounts, by weight (`InsertQueuedJob`).
        """
        ALTER TABLE accounts ADD COLUMN queue_weight INTEGER;
        CREATE INDEX jobs_by_status_tag ON jobs(status, queue_seq);
        CREATE INDEX jobs_by_account_status_tag ON jobs(account_id, status, queue_seq);
        """,
        // v12: the operator's jobs browser pages every account's jobs, newest first.
        """
        CREATE INDEX jobs_by_creation ON jobs(created_at, id);
        """,
    ]

    static func migrate(_ database: SQLiteDatabase) throws {
        let current = try database.query("PRAGMA user_version").first?.integer(0) ?? 0
        for (index, migration) in migrations.enumerated() where index >= current {
            try database.withTransaction { transaction in
                try transaction.executeScript(migration)
                try transaction.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}

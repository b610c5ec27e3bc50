import Foundation

/// PostgreSQL's schema: the same tables and columns as SQLite's, in PostgreSQL's types (times
/// stay seconds since 1970 as `DOUBLE PRECISION`, so that one set of statements reads both).
///
/// Migrations are versioned in `schema_migrations` and applied under a transaction-level
/// advisory lock: replicas that start together take turns, and each finds the others' work done.
enum PostgresSchema {
    /// `pg_advisory_xact_lock`'s key for migrations ("LIKENESS" in ASCII, as an integer).
    static let migrationLock: Int64 = 0x4C49_4B45_4E45_5353

    static let migrations: [String] = [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            billing TEXT NOT NULL,
            balance_micros BIGINT NOT NULL DEFAULT 0 CHECK (balance_micros >= 0),
            requests_per_minute BIGINT,
            concurrent_jobs BIGINT,
            minimax_key BYTEA,
            minimax_region TEXT,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            display_prefix TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            revoked_at DOUBLE PRECISION,
            last_used_at DOUBLE PRECISION,
            webhook_secret TEXT,
            account_id TEXT REFERENCES accounts(id),
            role TEXT NOT NULL DEFAULT 'user',
            expires_at DOUBLE PRECISION,
            requests_per_minute BIGINT,
            concurrent_jobs BIGINT
        );
        CREATE SEQUENCE jobs_queue_seq;
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            row_seq BIGSERIAL,
            key_id TEXT,
            dialect TEXT NOT NULL,
            app TEXT,
            model TEXT,
            parameters TEXT,
            engine TEXT,
            status TEXT NOT NULL,
            priority BIGINT NOT NULL DEFAULT 0,
            queue_seq BIGINT NOT NULL DEFAULT 0,
            attempts BIGINT NOT NULL DEFAULT 0,
            cancel_requested BIGINT NOT NULL DEFAULT 0,
            status_code BIGINT,
            status_message TEXT,
            error_field TEXT,
            error_reason TEXT,
            retry_after_seconds BIGINT,
            image_count BIGINT NOT NULL DEFAULT 0,
            failed_count BIGINT NOT NULL DEFAULT 0,
            result_image_ids TEXT NOT NULL DEFAULT '[]',
            engine_seconds DOUBLE PRECISION,
            webhook_url TEXT,
            origin TEXT,
            start_deadline DOUBLE PRECISION,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            account_id TEXT,
            requested_count BIGINT NOT NULL DEFAULT 0,
            price_micros BIGINT NOT NULL DEFAULT 0,
            reserved_micros BIGINT NOT NULL DEFAULT 0,
            cost_micros BIGINT,
            settled_at DOUBLE PRECISION,
            byok BIGINT NOT NULL DEFAULT 0,
            idempotency_key TEXT,
            fingerprint TEXT,
            lease_owner TEXT,
            lease_expires_at DOUBLE PRECISION
        );
        CREATE INDEX jobs_by_status ON jobs(status, created_at);
        CREATE INDEX jobs_in_queue_order ON jobs(status, priority, queue_seq);
        CREATE INDEX jobs_by_account ON jobs(account_id, created_at);
        CREATE INDEX jobs_by_account_status ON jobs(account_id, status);
        CREATE INDEX jobs_by_key_status ON jobs(key_id, status);
        CREATE INDEX jobs_by_lease ON jobs(status, lease_expires_at);
        CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs(account_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        CREATE TABLE job_inputs (
            job_id TEXT PRIMARY KEY REFERENCES jobs(id),
            request TEXT NOT NULL,
            reference BYTEA
        );
        CREATE TABLE job_logs (
            row_seq BIGSERIAL PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs(id),
            at DOUBLE PRECISION NOT NULL,
            level TEXT NOT NULL,
            source TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX job_logs_by_job ON job_logs(job_id);
        CREATE TABLE images (
            id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs(id),
            content_type TEXT NOT NULL,
            byte_count BIGINT NOT NULL,
            width BIGINT NOT NULL,
            height BIGINT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            source_url TEXT
        );
        CREATE INDEX images_by_expiry ON images(expires_at);
        CREATE TABLE webhook_deliveries (
            job_id TEXT PRIMARY KEY REFERENCES jobs(id),
            url TEXT NOT NULL,
            body BYTEA NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at DOUBLE PRECISION,
            delivered_at DOUBLE PRECISION,
            last_error TEXT
        );
        CREATE INDEX webhooks_due ON webhook_deliveries(next_attempt_at);
        CREATE TABLE ledger (
            seq BIGSERIAL PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            kind TEXT NOT NULL,
            amount_micros BIGINT NOT NULL,
            balance_after_micros BIGINT NOT NULL,
            request_id TEXT,
            note TEXT,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX ledger_by_account ON ledger(account_id, created_at);
        CREATE INDEX ledger_by_request ON ledger(request_id);
        CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$;
        CREATE TRIGGER ledger_rows_are_never_changed BEFORE UPDATE OR DELETE ON ledger
            FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
        CREATE TABLE replicas (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            seen_at DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE rate_windows (
            subject TEXT NOT NULL,
            window_start BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (subject, window_start)
        );
        CREATE TABLE fleet_settings (
            name TEXT PRIMARY KEY,
            value BYTEA NOT NULL
        );
        """,
        // 2: each upstream account's rate schedule, shared by the replicas that use it.
        """
        CREATE TABLE upstream_schedule (
            id TEXT PRIMARY KEY,
            theoretical_arrival DOUBLE PRECISION NOT NULL
        );
        """,
        // 3: identity scores (the report as JSON; its lowest score for usage).
        """
        ALTER TABLE jobs ADD COLUMN identity TEXT;
        ALTER TABLE jobs ADD COLUMN identity_score DOUBLE PRECISION;
        """,
        // 4: characters, each up to five photos of one person, and uploads (the photos themselves, sealed,
        // are private objects beside the images; a face found in one is sealed in its row).
        """
        CREATE TABLE characters (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            name TEXT,
            created_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX characters_by_account ON characters(account_id, created_at, id);
        CREATE TABLE character_photos (
            id TEXT PRIMARY KEY,
            character_id TEXT NOT NULL REFERENCES characters(id),
            position BIGINT NOT NULL,
            content_type TEXT NOT NULL,
            byte_count BIGINT NOT NULL,
            width BIGINT NOT NULL,
            height BIGINT NOT NULL,
            face BYTEA,
            face_width BIGINT,
            face_height BIGINT,
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
            byte_count BIGINT NOT NULL,
            width BIGINT NOT NULL,
            height BIGINT NOT NULL,
            purpose TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX uploads_by_account ON uploads(account_id, expires_at);
        CREATE INDEX uploads_by_expiry ON uploads(expires_at);
        """,
        // 5: a deleted account keeps its row and ledger (the books), marked.
        """
        ALTER TABLE accounts ADD COLUMN deleted_at DOUBLE PRECISION;
        """,
        // 6: fair shares of the queue between accounts, by weight (`InsertQueuedJob`).
        """
        ALTER TABLE accounts ADD COLUMN queue_weight BIGINT;
        CREATE INDEX jobs_by_status_tag ON jobs(status, queue_seq);
        CREATE INDEX jobs_by_account_status_tag ON jobs(account_id, status, queue_seq);
        """,
        // 7: the operator's jobs browser pages every account's jobs, newest first.
        """
        CREATE INDEX jobs_by_creation ON jobs(created_at, id);
        """,
    ]

    static func migrate(_ database: PostgreSQLDatabase) throws {
        try database.transaction { transaction in
            try transaction.execute("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try transaction.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
            )
            let applied =
                try transaction.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").first?
                .integer(0) ?? 0
            for (index, migration) in migrations.enumerated() where index >= applied {
                for statement in statements(in: migration) { try transaction.execute(statement) }
                try transaction.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, now())",
                    [.integer(Int64(index + 1))])
            }
        }
    }

    /// A script's statements, one by one (a parameterised query holds one): split at each `;`
    /// outside quotes and `$$` bodies.
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quoted = false
        var inBody = false
        var previous: Character = " "
        for character in script {
            if character == "'" && !inBody { quoted.toggle() }
            if character == "$" && previous == "$" && !quoted { inBody.toggle() }
            previous = character
            if character == ";" && !quoted && !inBody {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}

import Foundation

/// Leases, heartbeats, shared counters and secrets: the fleet's agreements, on the one store.
extension SQLStore: FleetRepository {
    public func renewLeases(owner: String, until date: Date) throws -> Int {
        try database.execute(
            "UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'running'",
            [SQLValue(date), .text(owner)])
    }

    public func lapsedJobs(at date: Date) throws -> [JobRecord] {
        try database.query(
            """
            SELECT \(Self.jobColumns) FROM jobs
            WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?) ORDER BY queue_seq
            """, [SQLValue(date)]
        ).map(Self.job)
    }

    public func heartbeat(_ replica: ReplicaRecord) throws {
        try database.execute(
            """
            INSERT INTO replicas (id, host, started_at, seen_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, host = excluded.host
            """,
            [.text(replica.id), .text(replica.host), SQLValue(replica.startedAt), SQLValue(replica.seenAt)])
    }

    public func replicas(seenSince date: Date) throws -> [ReplicaRecord] {
        try database.query(
            "SELECT id, host, started_at, seen_at FROM replicas WHERE seen_at >= ? ORDER BY started_at, id",
            [SQLValue(date)]
        ).map { row in
            ReplicaRecord(
                id: row.text(0) ?? "", host: row.text(1) ?? "", startedAt: row.date(2) ?? .distantPast,
                seenAt: row.date(3) ?? .distantPast)
        }
    }

    public func removeReplica(id: String) throws {
        try database.execute("DELETE FROM replicas WHERE id = ?", [.text(id)])
    }

    public func countRequest(subject: String, window: Int64) throws -> Int {
        // One statement: concurrent replicas each add one, and each reads the count it made.
        let count = try database.transaction { transaction in
            try transaction.query(
                """
                INSERT INTO rate_windows (subject, window_start, count) VALUES (?, ?, 1)
                ON CONFLICT (subject, window_start) DO UPDATE SET count = rate_windows.count + 1 RETURNING count
                """, [.text(subject), .integer(window)]
            ).first?.integer(0)
        }
        guard let count else { throw StoreError("the request count of \(subject) was not returned") }
        return Int(count)
    }

    public func pruneRateWindows(before window: Int64) throws {
        try database.execute("DELETE FROM rate_windows WHERE window_start < ?", [.integer(window)])
    }

    public func sharedSecret(named name: String, candidate: Data) throws -> Data {
        try database.transaction { transaction in
            try transaction.execute(
                "INSERT INTO fleet_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), .blob(candidate)])
            guard
                let stored = try transaction.query("SELECT value FROM fleet_settings WHERE name = ?", [.text(name)])
                    .first?.blob(0)
            else { throw StoreError(.corrupt, "the shared secret \(name) was not stored") }
            return stored
        }
    }
}

import Foundation

/// Leases, heartbeats, shared counters and secrets: the fleet's agreements, on the one store.
extension SQLStore: FleetRepository {
    @discardableResult
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

    public func admitRequest(_ limits: [RequestLimit], window: Int64) throws -> RequestLimit? {
        struct Passed: Error { let limit: RequestLimit }
        do {
            try database.transaction { transaction in
                for limit in limits {
                    // Counted and read in one statement: concurrent replicas each see their own count.
                    let count = try transaction.query(
                        """
                        INSERT INTO rate_windows (subject, window_start, count) VALUES (?, ?, 1)
                        ON CONFLICT (subject, window_start) DO UPDATE SET count = rate_windows.count + 1
                        RETURNING count
                        """, [.text(limit.subject), .integer(window)]
                    ).first?.integer(0)
                    // Past the limit: rolled back, so a refused request counts against nothing.
                    if (count ?? .max) > limit.limit { throw Passed(limit: limit) }
                }
            }
            return nil
        } catch let passed as Passed {
            return passed.limit
        }
    }

    public func pruneRateWindows(before window: Int64) throws {
        try database.execute("DELETE FROM rate_windows WHERE window_start < ?", [.integer(window)])
    }

    public func reserveUpstreamStart(account: String, interval: TimeInterval, tolerance: TimeInterval, at date: Date)
        throws -> Date
    {
        try database.transaction { transaction in
            try transaction.execute(
                "INSERT INTO upstream_schedule (id, theoretical_arrival) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                [.text(account), SQLValue(date)])
            try transaction.lock("upstream_schedule", id: account)
            let arrival =
                try transaction.query(
                    "SELECT theoretical_arrival FROM upstream_schedule WHERE id = ?", [.text(account)]
                ).first?.real(0) ?? date.timeIntervalSince1970
            let start = max(date.timeIntervalSince1970, arrival - tolerance)
            try transaction.execute(
                "UPDATE upstream_schedule SET theoretical_arrival = ? WHERE id = ?",
                [.real(max(arrival, start) + interval), .text(account)])
            return Date(timeIntervalSince1970: start)
        }
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

    public func setting(named name: String) throws -> Data? {
        try database.query("SELECT value FROM fleet_settings WHERE name = ?", [.text(name)]).first?.blob(0)
    }

    public func changeSetting(named name: String, _ change: (Data?) throws -> Data) throws -> Data {
        try database.transaction { transaction in
            try transaction.serialize("setting " + name)
            let stored = try transaction.query("SELECT value FROM fleet_settings WHERE name = ?", [.text(name)])
                .first?.blob(0)
            let changed = try change(stored)
            try transaction.execute(
                """
                INSERT INTO fleet_settings (name, value) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, [.text(name), .blob(changed)])
            return changed
        }
    }
}

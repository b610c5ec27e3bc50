import Foundation

/// Moving up from the embedded store to a fleet's: every row, in one transaction on the target.
extension SQLStore {
    /// Tables in the order their references allow, each with the column that keeps its rows'
    /// order (so that log lines and the ledger read back as they were written).
    public static let copiedTables: [(name: String, order: String)] = [
        ("accounts", "created_at, id"), ("api_keys", "created_at, id"), ("jobs", "created_at, id"),
        ("job_inputs", "job_id"), ("job_logs", "rowid"), ("images", "created_at, id"),
        ("webhook_deliveries", "job_id"), ("ledger", "seq"), ("characters", "created_at, id"),
        ("character_photos", "character_id, position"), ("uploads", "created_at, id"),
    ]

    /// What a copy moved, by table, and the books it checked afterwards.
    public struct CopyReport: Sendable, Hashable {
        public var rows: [String: Int] = [:]
        /// Accounts whose balance equals the sum of their ledger, in the target, as in the source.
        public var balancedAccounts = 0
    }

    /// Copies every row of this (SQLite) store into `target`, which must be empty, then checks
    /// that each account's balance equals the sum of its ledger and matches the source's. All of
    /// it is one transaction on the target: a failure leaves it as empty as it was.
    public func copyAll(into target: SQLStore) throws -> CopyReport {
        precondition(database.flavor == .sqlite, "copies go from the embedded store")
        return try target.database.transaction { transaction in
            let present = try Self.copiedTables.map { table in
                try transaction.query("SELECT COUNT(*) FROM \(table.name)").first?.integer(0) ?? 0
            }.reduce(0, +)
            guard present == 0 else {
                throw StoreError(.refused, "the target database is not empty (\(present) rows): copy into a new one")
            }
            var report = CopyReport()
            for table in Self.copiedTables {
                let rows = try database.query("SELECT * FROM \(table.name) ORDER BY \(table.order)")
                guard let first = rows.first else {
                    report.rows[table.name] = 0
                    continue
                }
                let columns = first.columnNames
                let insert =
                    "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
                for row in rows { try transaction.execute(insert, row.values) }
                report.rows[table.name] = rows.count
            }
            if target.flavor == .postgres {
                // The target's sequences continue after the rows copied in.
                _ = try transaction.query(
                    "SELECT setval('ledger_seq_seq', COALESCE((SELECT MAX(seq) FROM ledger), 0) + 1, false)")
                _ = try transaction.query(
                    "SELECT setval('jobs_queue_seq', COALESCE((SELECT MAX(queue_seq) FROM jobs), 0) + 1, false)")
            }
            let sums =
                "SELECT a.id, a.balance_micros, COALESCE((SELECT SUM(amount_micros) FROM ledger WHERE account_id = a.id), 0) FROM accounts AS a ORDER BY a.id"
            let source = try database.query(sums).map {
                [$0.text(0), String($0.integer(1) ?? -1), String($0.integer(2) ?? -1)]
            }
            let copied = try transaction.query(sums).map {
                [$0.text(0), String($0.integer(1) ?? -1), String($0.integer(2) ?? -1)]
            }
            guard source == copied, copied.allSatisfy({ $0[1] == $0[2] }) else {
                throw StoreError(.corrupt, "the copied ledger does not sum to the copied balances; nothing was copied")
            }
            report.balancedAccounts = copied.count
            return report
        }
    }
}

import Foundation
import LikenessCore

extension SQLStore {
    static let accountColumns = """
        a.id, a.name, a.billing, a.balance_micros, a.requests_per_minute, a.concurrent_jobs, a.minimax_region,
        a.created_at, a.deleted_at, a.queue_weight
        """

    static func account(_ row: SQLRow, from offset: Int = 0) -> Account {
        Account(
            id: row.text(offset) ?? "", name: row.text(offset + 1) ?? "",
            billing: AccountBilling(rawValue: row.text(offset + 2) ?? "") ?? .prepaid,
            balance: MicroDollars(row.integer(offset + 3) ?? 0),
            limits: UsageLimits(
                requestsPerMinute: row.integer(offset + 4).map(Int.init),
                concurrentJobs: row.integer(offset + 5).map(Int.init)),
            miniMaxKeyRegion: row.text(offset + 6), createdAt: row.date(offset + 7) ?? .distantPast,
            deletedAt: row.date(offset + 8), queueWeight: row.integer(offset + 9).map(Int.init))
    }

    public func createAccount(name: String, billing: AccountBilling, limits: UsageLimits) throws -> Account {
        try database.transaction { transaction in
            try Self.createAccount(name: name, billing: billing, limits: limits, in: transaction)
        }
    }

    static func createAccount(
        name: String, billing: AccountBilling, limits: UsageLimits, in transaction: any SQLTransaction
    ) throws -> Account {
        let account = Account(
            id: "acct_" + Identifier.make().prefix(12), name: name, billing: billing, balance: .zero, limits: limits,
            miniMaxKeyRegion: nil, createdAt: Date())
        try transaction.execute(
            """
            INSERT INTO accounts (id, name, billing, requests_per_minute, concurrent_jobs, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .text(account.id), .text(name), .text(billing.rawValue), SQLValue(limits.requestsPerMinute),
                SQLValue(limits.concurrentJobs), SQLValue(account.createdAt),
            ])
        return account
    }

    public func account(id: String) throws -> Account? {
        try database.query("SELECT \(Self.accountColumns) FROM accounts AS a WHERE a.id = ?", [.text(id)]).first.map {
            Self.account($0)
        }
    }

    public func listAccounts() throws -> [Account] {
        try database.query("SELECT \(Self.accountColumns) FROM accounts AS a ORDER BY a.created_at").map {
            Self.account($0)
        }
    }

    public func updateLimits(accountID: String, _ limits: UsageLimits) throws -> Account? {
        try database.execute(
            """
            UPDATE accounts SET requests_per_minute = COALESCE(?, requests_per_minute),
            concurrent_jobs = COALESCE(?, concurrent_jobs) WHERE id = ?
            """,
            [SQLValue(limits.requestsPerMinute), SQLValue(limits.concurrentJobs), .text(accountID)])
        return try account(id: accountID)
    }

    public func setQueueWeight(accountID: String, _ weight: Int?) throws -> Account? {
        if let weight, !Self.queueWeights.contains(weight) {
            throw StoreError(
                .refused, "a queue weight is \(Self.queueWeights.lowerBound) to \(Self.queueWeights.upperBound)")
        }
        try database.execute(
            "UPDATE accounts SET queue_weight = ? WHERE id = ?", [SQLValue(weight), .text(accountID)])
        return try account(id: accountID)
    }

    public func queueShares() throws -> [QueueShare] {
        try database.query(
            """
            SELECT j.account_id, COALESCE(MAX(a.name), ''), COALESCE(MAX(a.queue_weight), 1),
                SUM(CASE WHEN j.status = 'queued' THEN 1 ELSE 0 END), SUM(CASE WHEN j.status = 'running' THEN 1 ELSE 0 END)
            FROM jobs AS j LEFT JOIN accounts AS a ON a.id = j.account_id
            WHERE j.status IN ('queued', 'running') AND j.account_id IS NOT NULL
            GROUP BY j.account_id ORDER BY 4 DESC, 1
            """
        ).map { row in
            QueueShare(
                accountID: row.text(0) ?? "", name: row.text(1) ?? "", weight: Int(row.integer(2) ?? 1),
                queued: Int(row.integer(3) ?? 0), running: Int(row.integer(4) ?? 0))
        }
    }

    public func reserved(accountID: String) throws -> MicroDollars {
        MicroDollars(
            try database.query(
                """
                SELECT COALESCE(SUM(reserved_micros), 0) FROM jobs
                WHERE account_id = ? AND status IN ('queued', 'running')
                """, [.text(accountID)]
            ).first?.integer(0) ?? 0)
    }

    public func topUp(accountID: String, paid: MicroDollars, fee: MicroDollars, note: String?) throws -> [LedgerEntry] {
        guard paid > .zero, fee >= .zero, fee <= paid else { throw StoreError(.refused, "a top-up must be positive") }
        return try database.transaction { transaction in
            let now = Date()
            guard
                let payment = try Self.appendLedger(
                    accountID: accountID, .topUp, paid, requestID: nil, note: note, at: now, in: transaction)
            else { throw StoreError(.notFound, "no account with id \(accountID)") }
            guard fee > .zero else { return [payment] }
            guard
                let charge = try Self.appendLedger(
                    accountID: accountID, .fee, -fee, requestID: nil, note: note, at: now, in: transaction)
            else { throw StoreError("the fee could not be recorded") }
            return [payment, charge]
        }
    }

    public func adjust(accountID: String, by amount: MicroDollars, note: String?) throws -> LedgerEntry {
        try database.transaction { transaction in
            guard try transaction.query("SELECT 1 FROM accounts WHERE id = ?", [.text(accountID)]).first != nil else {
                throw StoreError(.notFound, "no account with id \(accountID)")
            }
            guard
                let entry = try Self.appendLedger(
                    accountID: accountID, .adjustment, amount, requestID: nil, note: note, at: Date(), in: transaction)
            else { throw StoreError(.refused, "the adjustment would take the balance below zero") }
            return entry
        }
    }

    public func ledger(accountID: String, from: Date, to: Date, limit: Int) throws -> [LedgerEntry] {
        try database.query(
            """
            SELECT seq, account_id, kind, amount_micros, balance_after_micros, request_id, note, created_at
            FROM ledger WHERE account_id = ? AND created_at >= ? AND created_at < ? ORDER BY seq LIMIT ?
            """, [.text(accountID), SQLValue(from), SQLValue(to), SQLValue(limit)]
        ).map(Self.ledgerEntry)
    }

    static func ledgerEntry(_ row: SQLRow) -> LedgerEntry {
        LedgerEntry(
            sequence: row.integer(0) ?? 0, accountID: row.text(1) ?? "",
            kind: LedgerEntry.Kind(rawValue: row.text(2) ?? "") ?? .adjustment,
            amount: MicroDollars(row.integer(3) ?? 0),
            balanceAfter: MicroDollars(row.integer(4) ?? 0), requestID: row.text(5), note: row.text(6),
            createdAt: row.date(7) ?? .distantPast)
    }

    public func usage(accountID: String, from: Date, to: Date, limit: Int) throws -> [UsageRow] {
        try database.query(
            """
            SELECT id, created_at, key_id, dialect, model, status, status_code, requested_count, image_count,
            failed_count, price_micros, cost_micros, byok, engine, identity_score
            FROM jobs WHERE account_id = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, \(database.flavor.insertionOrder) LIMIT ?
            """, [.text(accountID), SQLValue(from), SQLValue(to), SQLValue(limit)]
        ).map { row in
            UsageRow(
                requestId: row.text(0) ?? "", createdAt: row.date(1) ?? .distantPast, keyId: row.text(2),
                dialect: row.text(3) ?? "", model: row.text(4), status: row.text(5) ?? "",
                errorCode: row.integer(6).flatMap { $0 == 0 ? nil : Int($0) },
                imagesRequested: Int(row.integer(7) ?? 0),
                imagesDelivered: Int(row.integer(8) ?? 0), imagesBlocked: Int(row.integer(9) ?? 0),
                priceUsd: MicroDollars(row.integer(10) ?? 0), costUsd: MicroDollars(row.integer(11) ?? 0),
                byok: row.integer(12) == 1, engine: row.text(13),
                identityScore: row.real(14).map(IdentityReport.rounded))
        }
    }

    public func usageTotals(accountID: String, from: Date, to: Date) throws -> UsageTotals {
        let row = try database.query(
            """
            SELECT COUNT(*), COALESCE(SUM(image_count), 0), COALESCE(SUM(cost_micros), 0)
            FROM jobs WHERE account_id = ? AND created_at >= ? AND created_at < ?
            """, [.text(accountID), SQLValue(from), SQLValue(to)]
        ).first
        return UsageTotals(
            requests: Int(row?.integer(0) ?? 0), imagesDelivered: Int(row?.integer(1) ?? 0),
            costUsd: MicroDollars(row?.integer(2) ?? 0))
    }

    public func setMiniMaxKey(accountID: String, sealed: Data?, region: String?) throws -> Bool {
        try database.execute(
            "UPDATE accounts SET minimax_key = ?, minimax_region = ? WHERE id = ?",
            [
                sealed.map(SQLValue.blob) ?? .null, sealed == nil ? .null : SQLValue(region ?? "global"),
                .text(accountID),
            ]) == 1
    }

    public func sealedMiniMaxKey(accountID: String) throws -> (sealed: Data, region: String)? {
        guard
            let row = try database.query(
                "SELECT minimax_key, minimax_region FROM accounts WHERE id = ?", [.text(accountID)]
            ).first, let sealed = row.blob(0)
        else { return nil }
        return (sealed, row.text(1) ?? "global")
    }

    public func deleteAccount(id: String, at date: Date) throws -> DeletedAccount? {
        try database.transaction { transaction in
            // Marking it first takes the account's row lock, which admission's reservations wait
            // on. Deleting again purges what a request already past authentication left since.
            let marked = try transaction.execute(
                "UPDATE accounts SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", [SQLValue(date), .text(id)])
            guard marked == 1 else { return nil }
            let unfinished =
                try transaction.query(
                    "SELECT COUNT(*) FROM jobs WHERE account_id = ? AND status IN ('queued', 'running')", [.text(id)]
                ).first?.integer(0) ?? 0
            guard unfinished == 0 else {
                throw StoreError(
                    .refused,
                    "\(unfinished) of the account's requests are queued or running: cancel them or let them end")
            }
            let balance = MicroDollars(
                try transaction.query("SELECT balance_micros FROM accounts WHERE id = ?", [.text(id)]).first?
                    .integer(0) ?? 0)
            if balance > .zero {
                try Self.appendLedger(
                    accountID: id, .adjustment, -balance, requestID: nil, note: "account deleted: balance given back",
                    at: date, in: transaction)
            }
            let ofTheAccount = "job_id IN (SELECT id FROM jobs WHERE account_id = ?)"
            let images = try transaction.query(
                "DELETE FROM images WHERE \(ofTheAccount) RETURNING id, content_type, source_url", [.text(id)]
            ).compactMap { row -> StoredImage.File? in
                guard row.text(2) == nil, let imageID = row.text(0) else { return nil }
                return StoredImage.File(id: imageID, format: OutputFormat(mimeType: row.text(1) ?? "") ?? .jpeg)
            }
            for table in ["job_inputs", "job_logs", "webhook_deliveries"] {
                try transaction.execute("DELETE FROM \(table) WHERE \(ofTheAccount)", [.text(id)])
            }
            let jobIDs = try transaction.query("DELETE FROM jobs WHERE account_id = ? RETURNING id", [.text(id)])
                .compactMap { $0.text(0) }
            let photoIDs = try transaction.query(
                """
                DELETE FROM character_photos WHERE character_id IN (SELECT id FROM characters WHERE account_id = ?)
                RETURNING id
                """, [.text(id)]
            ).compactMap { $0.text(0) }
            let characterIDs = try transaction.query(
                "DELETE FROM characters WHERE account_id = ? RETURNING id", [.text(id)]
            ).compactMap { $0.text(0) }
            let uploadIDs = try transaction.query("DELETE FROM uploads WHERE account_id = ? RETURNING id", [.text(id)])
                .compactMap { $0.text(0) }
            let revokedKeys = try transaction.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                [SQLValue(date), .text(id)])
            try transaction.execute(
                "UPDATE accounts SET minimax_key = NULL, minimax_region = NULL WHERE id = ?", [.text(id)])
            guard
                let account = try transaction.query(
                    "SELECT \(Self.accountColumns) FROM accounts AS a WHERE a.id = ?", [.text(id)]
                ).first.map({ Self.account($0) })
            else { throw StoreError("the deleted account could not be read back") }
            return DeletedAccount(
                account: account, refunded: balance, images: images, characterIDs: characterIDs,
                characterPhotoIDs: photoIDs, uploadIDs: uploadIDs, jobIDs: jobIDs, revokedKeys: revokedKeys)
        }
    }

    public func reconcileAccounts() throws -> ReconciliationReport {
        try database.transaction { transaction in
            var report = ReconciliationReport()
            let unsettled = try transaction.query(
                """
                SELECT id FROM jobs WHERE settled_at IS NULL AND reserved_micros > 0
                AND status IN ('succeeded', 'failed', 'cancelled')
                """
            ).compactMap { $0.text(0) }
            for id in unsettled {
                try Self.settle(jobID: id, at: Date(), in: transaction)
                report.settledJobs.append(id)
            }
            let ledgerTotal = "COALESCE((SELECT SUM(amount_micros) FROM ledger WHERE account_id = accounts.id), 0)"
            let drifted = try transaction.query(
                "SELECT id FROM accounts WHERE balance_micros != \(ledgerTotal)"
            ).compactMap { $0.text(0) }
            for id in drifted {
                // Held, then compared again: another replica may be moving this balance now.
                try transaction.lock("accounts", id: id)
                let corrected = try transaction.execute(
                    "UPDATE accounts SET balance_micros = \(ledgerTotal) WHERE id = ? AND balance_micros != \(ledgerTotal)",
                    [.text(id)])
                if corrected == 1 { report.correctedAccounts.append(id) }
            }
            return report
        }
    }

    // MARK: Inside job transactions

    /// Appends a ledger row and moves the balance by `amount`, unless that would take it below
    /// zero (or there is no such account): nil then, and nothing written.
    @discardableResult
    static func appendLedger(
        accountID: String, _ kind: LedgerEntry.Kind, _ amount: MicroDollars, requestID: String?, note: String?,
        at date: Date, in transaction: any SQLTransaction
    ) throws -> LedgerEntry? {
        let moved = try transaction.execute(
            "UPDATE accounts SET balance_micros = balance_micros + ? WHERE id = ? AND balance_micros + ? >= 0",
            [.integer(amount.value), .text(accountID), .integer(amount.value)])
        guard moved == 1 else { return nil }
        let balance = MicroDollars(
            try transaction.query("SELECT balance_micros FROM accounts WHERE id = ?", [.text(accountID)]).first?
                .integer(0) ?? 0)
        let sequence = try transaction.query(
            """
            INSERT INTO ledger (account_id, kind, amount_micros, balance_after_micros, request_id, note, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq
            """,
            [
                .text(accountID), .text(kind.rawValue), .integer(amount.value), .integer(balance.value),
                SQLValue(requestID), SQLValue(note), SQLValue(date),
            ]
        ).first?.integer(0)
        return LedgerEntry(
            sequence: sequence ?? 0, accountID: accountID,
            kind: kind, amount: amount, balanceAfter: balance, requestID: requestID, note: note, createdAt: date)
    }

    /// Ends a finished job's reservation by the `Settlement` rule, in the transaction that
    /// finished it. Settles once.
    static func settle(jobID: String, at date: Date, in transaction: any SQLTransaction) throws {
        guard
            let row = try transaction.query(UnsettledJob.self, [.text(jobID)]).first
        else { return }
        let settlement = Settlement(
            reserved: MicroDollars(row.integer(1) ?? 0), price: MicroDollars(row.integer(2) ?? 0),
            delivered: Int(row.integer(3) ?? 0))
        if let accountID = row.text(0), settlement.release > .zero {
            guard
                try appendLedger(
                    accountID: accountID, .release, settlement.release, requestID: jobID, note: nil, at: date,
                    in: transaction) != nil
            else { throw StoreError("the reservation of \(jobID) could not be released") }
            if settlement.charge > .zero {
                guard
                    try appendLedger(
                        accountID: accountID, .charge, -settlement.charge, requestID: jobID, note: nil, at: date,
                        in: transaction) != nil
                else { throw StoreError("job \(jobID) could not be charged") }
            }
        }
        _ = try transaction.query(SettleJob.self, [.integer(settlement.charge.value), SQLValue(date), .text(jobID)])
    }
}

/// What a finished job's settlement needs, unless it is settled already.
private enum UnsettledJob: FrequentStatement {
    static let name = "unsettled_job"
    static let parameterTypes: [SQLType] = [.text]
    static func sql(_ flavor: SQLFlavor) -> String {
        "SELECT account_id, reserved_micros, price_micros, image_count FROM jobs WHERE id = ? AND settled_at IS NULL"
    }
}

/// Records a job's charge and marks it settled.
private enum SettleJob: FrequentStatement {
    static let name = "settle_job"
    static let parameterTypes: [SQLType] = [.integer, .real, .text]
    static func sql(_ flavor: SQLFlavor) -> String { "UPDATE jobs SET cost_micros = ?, settled_at = ? WHERE id = ?" }
}

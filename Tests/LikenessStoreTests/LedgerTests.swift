import Foundation
import LikenessAPI
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

/// One test's store, and how the service would use it.
struct Books {
    let store: SQLStore
    let price = MicroDollars(10_000)

    init(_ kind: StoreKind, in directory: URL = temporaryDirectory()) throws {
        store = try kind.makeStore(in: directory)
    }

    /// A prepaid job of `count` images on `accountID`, as the service would queue it.
    func job(_ id: String, account: String, key: String = "key_a", count: Int) -> JobRecord {
        var job = JobRecord(
            id: id, keyID: key, dialect: .minimax, model: "image-01", parameters: "{}", createdAt: Date())
        job.accountID = account
        job.requestedCount = count
        job.price = price
        job.reserved = price * count
        return job
    }

    func enqueue(_ job: JobRecord, _ admission: Admission = Admission()) throws -> EnqueueOutcome {
        try store.enqueueJob(job, input: JobInput(request: "{}", reference: nil), admission: admission)
    }

    func ledgerSum(_ account: String) throws -> MicroDollars {
        try store.ledger(accountID: account, from: .distantPast, to: .distantFuture, limit: .max)
            .reduce(MicroDollars.zero) { $0 + $1.amount }
    }

    func image(_ id: String, job: String) -> StoredImage {
        StoredImage(
            id: id, jobID: job, contentType: "image/jpeg", byteCount: 1, width: 1, height: 1, createdAt: Date(),
            expiresAt: Date().addingTimeInterval(60))
    }

}

@Suite("accounts, reservations and the ledger")
struct LedgerTests {
    let directory = temporaryDirectory()

    @Test("a top-up records the payment and the fee as two rows that sum to the balance", arguments: StoreKind.tested)
    func topUp(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        let rows = try store.topUp(
            accountID: account, paid: MicroDollars(10_000_000), fee: MicroDollars(500_000), note: "inv-1")
        #expect(rows.map(\.kind) == [.topUp, .fee])
        #expect(rows.map(\.amount.value) == [10_000_000, -500_000])
        #expect(try store.account(id: account)?.balance == MicroDollars(9_500_000))
        #expect(try books.ledgerSum(account) == MicroDollars(9_500_000))
        #expect(throws: (any Error).self) {
            try store.adjust(accountID: account, by: MicroDollars(-9_500_001), note: "x")
        }
        #expect(try store.account(id: account)?.balance == MicroDollars(9_500_000))
    }

    @Test(
        "accepting reserves n × price; the end releases it and charges only delivered images",
        arguments: StoreKind.tested)
    func reserveAndSettle(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(100_000), fee: .zero, note: nil)
        #expect(try books.enqueue(books.job("partly", account: account, count: 4)) == .queued)
        #expect(try store.account(id: account)?.balance == MicroDollars(60_000))
        #expect(try store.reserved(accountID: account) == MicroDollars(40_000))

        _ = try store.claimNextJob(engine: "preview", at: Date())
        // Three delivered, one withheld by content safety: three are charged.
        try store.completeJob(
            id: "partly", images: (1...3).map { books.image("img\($0)", job: "partly") }, blockedCount: 1,
            engine: "preview",
            engineSeconds: 1, webhook: nil, at: Date())
        #expect(try store.job(id: "partly")?.cost == MicroDollars(30_000))
        #expect(try store.account(id: account)?.balance == MicroDollars(70_000))
        #expect(try store.reserved(accountID: account) == .zero)
        let rows = try store.ledger(accountID: account, from: .distantPast, to: .distantFuture, limit: 100)
        #expect(rows.map(\.kind) == [.topUp, .reservation, .release, .charge])
        #expect(rows.filter { $0.requestID == "partly" }.count == 3)
        #expect(try books.ledgerSum(account) == MicroDollars(70_000))
    }

    @Test("a failed or cancelled job is refunded in full, once", arguments: StoreKind.tested)
    func refunds(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(100_000), fee: .zero, note: nil)
        _ = try books.enqueue(books.job("fails", account: account, count: 2))
        _ = try books.enqueue(books.job("cancelled", account: account, count: 3))
        _ = try store.claimJob(id: "fails", engine: "preview", at: Date())
        try store.finishJob(
            id: "fails", status: .failed, failure: JobFailure(code: 1024, message: "boom"), webhook: nil, at: Date())
        #expect(try store.requestCancellation(id: "cancelled", webhook: nil, at: Date()) == .cancelled)
        // A second finish is refused and settles nothing again.
        #expect(
            try !store.finishJob(
                id: "fails", status: .failed, failure: JobFailure(code: 1024, message: "again"), webhook: nil,
                at: Date()))
        #expect(try store.account(id: account)?.balance == MicroDollars(100_000))
        #expect(try store.job(id: "fails")?.cost == .zero)
        #expect(try books.ledgerSum(account) == MicroDollars(100_000))
        #expect(
            try store.ledger(accountID: account, from: .distantPast, to: .distantFuture, limit: 100).filter {
                $0.kind == .release
            }.count == 2)
    }

    @Test("a job the balance cannot cover is refused and nothing is written", arguments: StoreKind.tested)
    func insufficient(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(25_000), fee: .zero, note: nil)
        _ = try books.enqueue(books.job("two", account: account, count: 2))
        #expect(
            throws: AdmissionRefusal.insufficientCredits(needed: MicroDollars(10_000), balance: MicroDollars(5_000))
        ) {
            try books.enqueue(books.job("one-more", account: account, count: 1))
        }
        #expect(try store.job(id: "one-more") == nil)
        #expect(try store.account(id: account)?.balance == MicroDollars(5_000))
    }

    @Test("concurrency limits count queued and running jobs per key and per account", arguments: StoreKind.tested)
    func concurrency(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(1_000_000), fee: .zero, note: nil)
        let perKey = Admission(concurrentJobsPerKey: 2, concurrentJobsPerAccount: 3)
        _ = try books.enqueue(books.job("a1", account: account, count: 1), perKey)
        _ = try books.enqueue(books.job("a2", account: account, count: 1), perKey)
        #expect(throws: AdmissionRefusal.tooManyJobs(scope: .key, limit: 2)) {
            try books.enqueue(books.job("a3", account: account, count: 1), perKey)
        }
        _ = try books.enqueue(books.job("b1", account: account, key: "key_b", count: 1), perKey)
        #expect(throws: AdmissionRefusal.tooManyJobs(scope: .account, limit: 3)) {
            try books.enqueue(books.job("b2", account: account, key: "key_b", count: 1), perKey)
        }
        #expect(try store.account(id: account)?.balance == MicroDollars(970_000))
    }

    @Test(
        "an idempotency key returns the first job for the same request and refuses a different one",
        arguments: StoreKind.tested)
    func idempotency(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(100_000), fee: .zero, note: nil)
        let same = Admission(idempotencyKey: "retry-1", fingerprint: "f1")
        #expect(try books.enqueue(books.job("first", account: account, count: 2), same) == .queued)
        guard case .duplicate(let earlier) = try books.enqueue(books.job("second", account: account, count: 2), same)
        else {
            Issue.record("the retry was queued again")
            return
        }
        #expect(earlier.id == "first")
        #expect(throws: AdmissionRefusal.idempotencyKeyReused) {
            try books.enqueue(
                books.job("third", account: account, count: 2), Admission(idempotencyKey: "retry-1", fingerprint: "f2"))
        }
        #expect(try store.account(id: account)?.balance == MicroDollars(80_000))
        // Another account may use the same key for its own request.
        let other = try LikenessStoreTests.account(store, name: "other")
        _ = try store.topUp(accountID: other, paid: MicroDollars(100_000), fee: .zero, note: nil)
        #expect(try books.enqueue(books.job("others", account: other, count: 1), same) == .queued)
        // Past the window the key is free again.
        var later = books.job("later", account: account, count: 1)
        later.createdAt = Date().addingTimeInterval(7_200)
        #expect(
            try books.enqueue(later, Admission(idempotencyKey: "retry-1", fingerprint: "f3", idempotencyWindow: 3_600))
                == .queued)
    }

    @Test("the ledger is append-only", arguments: StoreKind.tested)
    func appendOnly(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(1_000), fee: .zero, note: nil)
        #expect(throws: (any Error).self) { try store.database.execute("UPDATE ledger SET amount_micros = 999999") }
        #expect(throws: (any Error).self) { try store.database.execute("DELETE FROM ledger") }
        #expect(try books.ledgerSum(account) == MicroDollars(1_000))
    }

    @Test(
        "reconciliation settles what was left unsettled and makes balances equal their ledger",
        arguments: StoreKind.tested)
    func reconcile(_ kind: StoreKind) throws {
        let books = try Books(kind)
        let store = books.store
        let account = try account(store)
        _ = try store.topUp(accountID: account, paid: MicroDollars(50_000), fee: .zero, note: nil)
        _ = try books.enqueue(books.job("orphan", account: account, count: 2))
        // A finished job whose settlement never ran (written by hand: no code path does this).
        try store.database.execute(
            "UPDATE jobs SET status = 'succeeded', image_count = 1, settled_at = NULL WHERE id = 'orphan'")
        try store.database.execute("UPDATE accounts SET balance_micros = 123 WHERE id = ?", [.text(account)])
        let report = try store.reconcileAccounts()
        #expect(report.settledJobs == ["orphan"])
        #expect(report.correctedAccounts == [account])
        #expect(try store.account(id: account)?.balance == MicroDollars(40_000))
        #expect(try books.ledgerSum(account) == MicroDollars(40_000))
        #expect(try store.reconcileAccounts().isClean)
    }

    @Test("a version 3 database gains one unmetered house account; its oldest key becomes the admin")
    func migration() throws {
        let path = directory.appending(path: "v3.sqlite").path
        let old = try SQLiteDatabase(path: path)
        for (version, migration) in SQLiteSchema.migrations.prefix(3).enumerated() {
            try old.withTransaction { transaction in
                try transaction.executeScript(migration)
                try transaction.execute("PRAGMA user_version = \(version + 1)")
            }
        }
        try old.execute(
            "INSERT INTO api_keys (id, name, secret_hash, display_prefix, created_at) VALUES ('key_old', 'first', 'h1', 'lk_', 1)"
        )
        try old.execute(
            "INSERT INTO api_keys (id, name, secret_hash, display_prefix, created_at) VALUES ('key_new', 'second', 'h2', 'lk_', 2)"
        )
        try old.execute(
            """
            INSERT INTO jobs (id, key_id, dialect, model, parameters, status, image_count, created_at, finished_at)
            VALUES ('done', 'key_new', 'minimax', 'image-01', '{"n":3}', 'succeeded', 3, 1, 2)
            """)
        let migrated = try SQLStore(path: path)
        let accounts = try migrated.listAccounts()
        #expect(accounts.map(\.billing) == [.unmetered])
        let keys = try migrated.listKeys(accountID: nil)
        #expect(keys.map(\.role) == [.admin, .user])
        #expect(Set(keys.map(\.accountID)) == [accounts[0].id])
        let usage = try migrated.usage(accountID: accounts[0].id, from: .distantPast, to: .distantFuture, limit: 10)
        #expect(usage.map(\.imagesRequested) == [3])
        #expect(usage.map(\.costUsd) == [.zero])
    }
}

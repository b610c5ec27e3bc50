import Foundation
import LikenessCore
import LikenessTestSupport
import Synchronization
import Testing

@testable import LikenessStore

/// What replicas sharing one store rely on it for. Each test opens the store twice, as two
/// replicas do, and races them.
@Suite("a store shared by replicas")
struct FleetStoreTests {
    let directory = temporaryDirectory()

    func job(_ id: String, account: String? = nil, price: MicroDollars = .zero) -> JobRecord {
        var job = JobRecord(
            id: id, keyID: "key_1", dialect: .openai, model: "image-01", parameters: "{}", createdAt: Date())
        job.accountID = account
        job.requestedCount = 1
        job.price = price
        job.reserved = price
        return job
    }

    @Test(
        "replicas starting together migrate once and create one first admin key between them",
        .enabled(if: StoreKind.testDatabaseURL != nil, "needs LIKENESS_TEST_DATABASE_URL"))
    func startingTogether() throws {
        let database = try PostgresTestDatabases.fresh()
        let pools = (0..<4).map { _ in database.anotherPool(connections: 2) }
        let issued = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: pools.count) { index in
            do {
                let store = try SQLStore(postgres: pools[index])
                if let key = try store.createFirstAdminKey(secret: nil) { issued.withLock { $0.append(key.key.id) } }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(issued.withLock { $0.count } == 1)
        let store = try SQLStore(postgres: database)
        #expect(try store.keyCount() == 1)
        #expect(try store.listAccounts().map(\.name) == ["house"])
        #expect(
            try store.database.query("SELECT COUNT(*) FROM schema_migrations").first?.integer(0)
                == Int64(PostgresSchema.migrations.count))
    }

    @Test("each queued job is claimed by exactly one of two replicas", arguments: StoreKind.tested)
    func claimsRace(_ kind: StoreKind) throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        for index in 0..<40 {
            _ = try first.enqueueJob(
                job("job-\(index)"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        }
        let claimed = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let store = worker.isMultiple(of: 2) ? first : second
            let lease = JobLease(owner: "replica-\(worker % 2)", expiresAt: Date().addingTimeInterval(60))
            while let job = try? store.claimNextJob(engine: "preview", lease: lease, at: Date()) {
                claimed.withLock { $0.append(job.record.id) }
            }
        }
        let ids = claimed.withLock { $0 }
        #expect(ids.count == 40)
        #expect(Set(ids).count == 40)
    }

    @Test("a wallet race across replicas delivers exactly what the balance covers", arguments: StoreKind.tested)
    func walletRace(_ kind: StoreKind) throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        let account = try first.createAccount(name: "race", billing: .prepaid, limits: UsageLimits()).id
        let price = MicroDollars(10_000)
        _ = try first.topUp(accountID: account, paid: price * 37, fee: .zero, note: nil)
        let outcomes = Mutex<(queued: Int, refused: Int, failed: [String])>((0, 0, []))
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            let store = index.isMultiple(of: 2) ? first : second
            do {
                _ = try store.enqueueJob(
                    job("race-\(index)", account: account, price: price),
                    input: JobInput(request: "{}", reference: nil), admission: Admission())
                outcomes.withLock { $0.queued += 1 }
            } catch is AdmissionRefusal {
                outcomes.withLock { $0.refused += 1 }
            } catch {
                outcomes.withLock { $0.failed.append("\(error)") }
            }
        }
        let result = outcomes.withLock { $0 }
        #expect(result.failed == [])
        #expect(result.queued == 37 && result.refused == 163)
        #expect(try first.account(id: account)?.balance == .zero)
        let sum = try second.ledger(accountID: account, from: .distantPast, to: .distantFuture, limit: .max)
            .reduce(MicroDollars.zero) { $0 + $1.amount }
        #expect(sum == .zero)
    }

    @Test("a lapsed lease marks a job interrupted; a renewed one does not", arguments: StoreKind.tested)
    func leases(_ kind: StoreKind) throws {
        let (alive, watcher) = try kind.makeTwoStores(in: directory)
        let now = Date()
        for id in ["kept", "lost"] {
            _ = try alive.enqueueJob(job(id), input: JobInput(request: "{}", reference: nil), admission: Admission())
        }
        _ = try alive.claimJob(
            id: "kept", engine: "preview", lease: JobLease(owner: "alive", expiresAt: now.addingTimeInterval(5)),
            at: now)
        _ = try alive.claimJob(
            id: "lost", engine: "preview", lease: JobLease(owner: "dead", expiresAt: now.addingTimeInterval(5)), at: now
        )
        #expect(try watcher.lapsedJobs(at: now).isEmpty)
        // Later: only the live replica renewed its lease.
        #expect(try alive.renewLeases(owner: "alive", until: now.addingTimeInterval(60)) == 1)
        let later = now.addingTimeInterval(10)
        #expect(try watcher.lapsedJobs(at: later).map(\.id) == ["lost"])
        #expect(try !watcher.requeueLapsedJob(id: "kept", at: later))
        #expect(try watcher.requeueLapsedJob(id: "lost", at: later))
        #expect(try watcher.job(id: "lost")?.status == .queued)
        #expect(try watcher.job(id: "lost")?.attempts == 1)
        #expect(try watcher.job(id: "kept")?.status == .running)
    }

    @Test("request limits hold across replicas; a refused request counts against nothing", arguments: StoreKind.tested)
    func requestLimits(_ kind: StoreKind) throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        let key = RequestLimit(subject: "key:k", limit: 5)
        let account = RequestLimit(subject: "account:a", limit: 7)
        let admitted = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 12) { index in
            let store = index.isMultiple(of: 2) ? first : second
            if (try? store.admitRequest([key, account], window: 60)) == .some(nil) {
                admitted.add(1, ordering: .relaxed)
            }
        }
        #expect(admitted.load(ordering: .relaxed) == 5)
        // The key refused the rest, so the account counted five: two more pass on another key.
        let other = RequestLimit(subject: "key:other", limit: 5)
        #expect(try first.admitRequest([other, account], window: 60) == nil)
        #expect(try second.admitRequest([other, account], window: 60) == nil)
        #expect(try first.admitRequest([other, account], window: 60) == account)
        // A new window starts from zero; old windows are pruned.
        #expect(try first.admitRequest([key, account], window: 120) == nil)
        try first.pruneRateWindows(before: 120)
        #expect(
            try first.database.query("SELECT COUNT(*) FROM rate_windows WHERE window_start < 120").first?.integer(0)
                == 0)
    }

    @Test("every replica reads the one shared secret, whoever stored it first", arguments: StoreKind.tested)
    func sharedSecret(_ kind: StoreKind) throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        let stored = try first.sharedSecret(named: "signing-secret", candidate: Data([1, 2, 3]))
        #expect(stored == Data([1, 2, 3]))
        #expect(try second.sharedSecret(named: "signing-secret", candidate: Data([9, 9, 9])) == Data([1, 2, 3]))
    }

    @Test("replicas changing one setting at once take turns: no change is lost", arguments: StoreKind.tested)
    func settingChangedTogether(_ kind: StoreKind) async throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        #expect(try first.setting(named: "counter") == nil)
        try await withThrowingTaskGroup { group in
            for store in [first, second] {
                group.addTask {
                    for _ in 0..<20 {
                        _ = try store.changeSetting(named: "counter") { stored in
                            Data([(stored?.first ?? 0) + 1])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try second.setting(named: "counter") == Data([40]))
    }

    @Test("replicas are listed while they beat, and leave when they stop", arguments: StoreKind.tested)
    func heartbeats(_ kind: StoreKind) throws {
        let (store, _) = try kind.makeTwoStores(in: directory)
        let start = Date()
        try store.heartbeat(ReplicaRecord(id: "rep_a", host: "a:8080", startedAt: start, seenAt: start))
        try store.heartbeat(
            ReplicaRecord(id: "rep_b", host: "b:8080", startedAt: start, seenAt: start.addingTimeInterval(-100)))
        try store.heartbeat(
            ReplicaRecord(id: "rep_a", host: "a:8080", startedAt: start, seenAt: start.addingTimeInterval(5)))
        #expect(try store.replicas(seenSince: start.addingTimeInterval(-30)).map(\.id) == ["rep_a"])
        try store.removeReplica(id: "rep_a")
        #expect(try store.replicas(seenSince: start.addingTimeInterval(-30)).isEmpty)
    }

    @Test(
        "an upstream account's schedule hands each start to one replica, a rate's interval apart",
        arguments: StoreKind.tested)
    func upstreamSchedule(_ kind: StoreKind) throws {
        let (first, second) = try kind.makeTwoStores(in: directory)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let starts = Mutex<[TimeInterval]>([])
        DispatchQueue.concurrentPerform(iterations: 20) { index in
            let store = index.isMultiple(of: 2) ? first : second
            if let start = try? store.reserveUpstreamStart(account: "minimax:ab", interval: 6, tolerance: 0, at: now) {
                starts.withLock { $0.append(start.timeIntervalSince(now)) }
            }
        }
        // Ten requests a minute: the twenty starts are now, 6 s, 12 s, … 114 s, each taken once.
        #expect(starts.withLock { $0 }.sorted() == (0..<20).map { TimeInterval($0 * 6) })
        // Another account has a schedule of its own; a burst allows that many starts at once.
        let burst = try (0..<3).map { _ in
            try first.reserveUpstreamStart(account: "minimax:cd", interval: 6, tolerance: 12, at: now)
        }
        #expect(burst == [now, now, now])
    }
}

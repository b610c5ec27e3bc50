import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

/// The queue shared fairly between accounts (`InsertQueuedJob`'s start tags), on both stores.
@Suite("fair shares of the queue between accounts")
struct FairQueueStoreTests {
    let directory = temporaryDirectory()

    /// Accounts named `names`, each unmetered, with its weight where one is given.
    func accounts(_ store: SQLStore, _ names: [String], weights: [String: Int] = [:]) throws -> [String: String] {
        var ids: [String: String] = [:]
        for name in names {
            let id = try store.createAccount(name: name, billing: .unmetered, limits: UsageLimits()).id
            if let weight = weights[name] { _ = try store.setQueueWeight(accountID: id, weight) }
            ids[name] = id
        }
        return ids
    }

    /// Queues `count` jobs of `account`, named `<prefix>0`, `<prefix>1`, …
    func enqueue(_ store: SQLStore, _ prefix: String, account: String, count: Int) throws {
        for index in 0..<count {
            var job = JobRecord(
                id: "\(prefix)\(index)", keyID: nil, dialect: .minimax, model: "image-01", parameters: "{}",
                createdAt: Date())
            job.accountID = account
            _ = try store.enqueueJob(job, input: JobInput(request: "{}", reference: nil), admission: Admission())
        }
    }

    /// Claims `count` jobs (or all that wait) and returns their ids in the order they started.
    func claim(_ store: SQLStore, _ count: Int = .max) throws -> [String] {
        var started: [String] = []
        while started.count < count, let claimed = try store.claimNextJob(engine: "preview", at: Date()) {
            started.append(claimed.record.id)
        }
        return started
    }

    /// The jobs of `prefix` in `order`, by their number.
    func numbers(_ order: [String], _ prefix: String) -> [Int] {
        order.filter { $0.hasPrefix(prefix) }.compactMap { Int($0.dropFirst(prefix.count)) }
    }

    @Test(
        "an account arriving behind another's backlog starts its jobs at once, taking turns; each keeps its order",
        arguments: StoreKind.tested)
    func twoAccounts(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let ids = try accounts(store, ["busy", "small"])
        try enqueue(store, "a", account: ids["busy"]!, count: 500)
        #expect(try claim(store, 5) == ["a0", "a1", "a2", "a3", "a4"])
        try enqueue(store, "b", account: ids["small"]!, count: 10)

        let order = try claim(store)
        #expect(order.count == 505)
        // Each of the small account's jobs is among the first two started after it: within 20,
        // not after the other's 495 that were waiting.
        let positions = order.indices.filter { order[$0].hasPrefix("b") }
        #expect(positions.count == 10 && positions.last! < 20, "\(positions)")
        #expect(numbers(order, "a") == Array(5..<500))
        #expect(numbers(order, "b") == Array(0..<10))
    }

    @Test("three accounts queued one after another take equal turns", arguments: StoreKind.tested)
    func threeAccounts(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let ids = try accounts(store, ["a", "b", "c"])
        for name in ["a", "b", "c"] { try enqueue(store, name, account: ids[name]!, count: 30) }
        let first = try claim(store, 30)
        for name in ["a", "b", "c"] {
            #expect((9...11).contains(numbers(first, name).count), "\(name): \(first)")
        }
        let order = first + (try claim(store))
        for name in ["a", "b", "c"] { #expect(numbers(order, name) == Array(0..<30)) }
    }

    @Test("a weight of 3 against 1 gets three turns for each one", arguments: StoreKind.tested)
    func weights(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let ids = try accounts(store, ["heavy", "light"], weights: ["heavy": 3])
        #expect(try store.account(id: ids["heavy"]!)?.queueWeight == 3)
        try enqueue(store, "h", account: ids["heavy"]!, count: 60)
        try enqueue(store, "l", account: ids["light"]!, count: 60)
        let first = try claim(store, 40)
        #expect((29...31).contains(numbers(first, "h").count), "\(first)")
        #expect(numbers(first, "h") == Array(0..<numbers(first, "h").count))
        #expect(throws: StoreError.self) { try store.setQueueWeight(accountID: ids["light"]!, 0) }
    }

    @Test(
        "an account that had a long backlog earlier does not jump ahead once others wait, nor fall behind",
        arguments: StoreKind.tested)
    func backlogsDoNotBank(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let ids = try accounts(store, ["early", "later"])
        try enqueue(store, "e", account: ids["early"]!, count: 50)
        #expect(try claim(store).count == 50)
        // The queue is empty: both start level now.
        try enqueue(store, "l", account: ids["later"]!, count: 10)
        try enqueue(store, "f", account: ids["early"]!, count: 10)
        let order = try claim(store, 10)
        #expect((4...6).contains(numbers(order, "f").count), "\(order)")
    }
}

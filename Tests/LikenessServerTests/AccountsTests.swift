import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessSimulators
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// An answer as a test reads it.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Data

    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }
    /// The MiniMax-native `base_resp.status_code`.
    var nativeCode: Int? { (object["base_resp"] as? [String: Any])?["status_code"] as? Int }
    var cost: String? { headers[HTTPField.Name("X-Likeness-Cost-USD")!] }
    var retryAfter: Int? { headers[.retryAfter].flatMap { Int($0) } }
}

extension TestClientProtocol {
    func send(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, scheme: String = "Bearer",
        json: [String: Any]? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "\(scheme) \(key)" }
        headers.append(contentsOf: extra)
        let body = try json.map { ByteBuffer(data: try JSONSerialization.data(withJSONObject: $0)) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }
    }

    func native(_ fields: [String: Any], key: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await send(.post, "/v1/image_generation", key: key, json: fields, headers: headers)
    }
}

/// A small, fast request: one 512 × 512 image.
func smallRequest(_ prompt: String = "a lighthouse at dusk", n: Int = 1) -> [String: Any] {
    ["model": "image-01", "prompt": prompt, "width": 512, "height": 512, "n": n]
}

extension Harness {
    func ledger(_ accountID: String) throws -> [LedgerEntry] {
        try directory.store.ledger(accountID: accountID, from: .distantPast, to: .distantFuture, limit: .max)
    }

    /// The books of an account balance: its stored balance is the sum of its ledger.
    func expectBalanced(_ accountID: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sum = try ledger(accountID).reduce(MicroDollars.zero) { $0 + $1.amount }
        #expect(try directory.store.account(id: accountID)?.balance == sum, sourceLocation: sourceLocation)
    }
}

@Suite("accounts, credits and limits")
struct AccountsTests {
    @Test("hundreds of simultaneous requests against a balance for 37 images: exactly 37 are delivered and charged")
    func concurrentSpending() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 4 }
        let customer = try harness.customer(credit: MicroDollars(370_000))
        let codes = try await harness.test { client in
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<240 {
                    group.addTask {
                        try await client.native(smallRequest("request \(index)"), key: customer.key).nativeCode
                    }
                }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
        }
        #expect(codes.filter { $0 == 0 }.count == 37)
        #expect(codes.filter { $0 == 1008 }.count == 240 - 37)
        let account = try #require(try harness.directory.store.account(id: customer.accountID))
        #expect(account.balance == .zero)
        #expect(try harness.directory.store.reserved(accountID: customer.accountID) == .zero)
        let ledger = try harness.ledger(customer.accountID)
        #expect(ledger.allSatisfy { $0.balanceAfter >= .zero })
        let charged = ledger.filter { $0.kind == .charge }.reduce(MicroDollars.zero) { $0 + $1.amount }
        #expect(charged == MicroDollars(-370_000))
        #expect(ledger.filter { $0.kind == .reservation }.count == 37)
        try harness.expectBalanced(customer.accountID)
        let usage = try harness.directory.store.usage(
            accountID: customer.accountID, from: .distantPast, to: .distantFuture, limit: .max)
        #expect(usage.filter { $0.status == "succeeded" }.map(\.imagesDelivered).reduce(0, +) == 37)
    }

    @Test("an empty wallet is refused before any engine work, in each dialect's shape")
    func insufficientCredits() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(5_000))
        let engine = CountingEngine()
        try await harness.test(engine: engine) { client in
            let native = try await client.native(smallRequest(), key: customer.key)
            #expect(native.status == .ok && native.nativeCode == 1008 && native.cost == "0.00")

            let openAI = try await client.send(
                .post, "/v1/images/generations", key: customer.key, json: ["model": "image-01", "prompt": "a cat"])
            #expect(openAI.status == HTTPResponse.Status(code: 402))
            #expect(openAI.error["type"] as? String == "insufficient_credits")
            #expect(openAI.error["code"] as? String == "insufficient_credits")
            #expect((openAI.error["message"] as? String)?.contains("balance is $0.005") == true)

            let falSync = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01", key: customer.key, scheme: "Key", json: ["prompt": "a cat"])
            #expect(falSync.status == HTTPResponse.Status(code: 402) && falSync.object["detail"] is String)
            let falQueue = try await client.send(
                .post, "/fal/queue/fal-ai/minimax/image-01", key: customer.key, scheme: "Key", json: ["prompt": "a cat"]
            )
            #expect(falQueue.status == HTTPResponse.Status(code: 402) && falQueue.object["detail"] is String)
        }
        #expect(engine.calls.withLock { $0 } == 0)
        let usage = try harness.directory.store.usage(
            accountID: customer.accountID, from: .distantPast, to: .distantFuture, limit: 10)
        #expect(usage.count == 4 && usage.allSatisfy { $0.errorCode == 1008 && $0.costUsd == .zero })
        #expect(try harness.directory.store.account(id: customer.accountID)?.balance == MicroDollars(5_000))
    }

    @Test("past a key's requests a minute: 1002 + Retry-After, OpenAI 429 rate_limit_error, fal 429")
    func keyRateLimit() async throws {
        let harness = try Harness()
        let customer = try harness.customer(
            credit: MicroDollars(1_000_000), keyLimits: UsageLimits(requestsPerMinute: 1))
        try await harness.test { client in
            #expect(try await client.native(smallRequest(), key: customer.key).nativeCode == 0)
            let native = try await client.native(smallRequest(), key: customer.key)
            #expect(native.status == .ok && native.nativeCode == 1002)
            #expect((native.retryAfter ?? 0) >= 1 && (native.retryAfter ?? 99) <= 60)
            let openAI = try await client.send(
                .post, "/v1/images/generations", key: customer.key, json: ["model": "image-01", "prompt": "a cat"])
            #expect(openAI.status == .tooManyRequests && openAI.error["type"] as? String == "rate_limit_error")
            #expect(openAI.retryAfter != nil)
            let fal = try await client.send(
                .post, "/fal/queue/fal-ai/minimax/image-01", key: customer.key, scheme: "Key", json: ["prompt": "a cat"]
            )
            #expect(fal.status == .tooManyRequests && fal.retryAfter != nil)
            // Reading is not generating: the balance answers whatever the rate.
            #expect(try await client.send(.get, "/v1/balance", key: customer.key).status == .ok)
        }
        // Refused before anything was reserved: one request was charged.
        #expect(try harness.directory.store.account(id: customer.accountID)?.balance == MicroDollars(990_000))
    }

    @Test("an account's limit binds all its keys together; concurrent jobs are limited too")
    func accountLimits() async throws {
        let harness = try Harness()
        let customer = try harness.customer(
            billing: .unmetered, limits: UsageLimits(requestsPerMinute: 2, concurrentJobs: 1))
        let second = try harness.directory.store.createKey(name: "second", accountID: customer.accountID).secret
        try await harness.test(engine: FaultInjectingEngine()) { client in
            let slow = ["prompt": "[sleep:3000] slow", "num_images": 1] as [String: Any]
            let first = try await client.send(
                .post, "/fal/queue/fal-ai/minimax/image-01", key: customer.key, scheme: "Key", json: slow)
            #expect(first.status == .ok)
            let busy = try await client.send(
                .post, "/fal/queue/fal-ai/minimax/image-01", key: second, scheme: "Key", json: slow)
            #expect(busy.status == .tooManyRequests)
            #expect(String(decoding: busy.body, as: UTF8.self).contains("queued or running at once"))
            let limited = try await client.native(smallRequest(), key: second)
            #expect(limited.nativeCode == 1002)
            #expect(String(decoding: limited.body, as: UTF8.self).contains("this account may send 2 requests a minute"))
        }
    }

    @Test("Idempotency-Key: a retry returns the first response and is charged once; another body is refused")
    func idempotency() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        try await harness.test { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-42"]
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await client.native(smallRequest(n: 2), key: customer.key, headers: key) }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.nativeCode == 0 && $0.cost == "0.02" })
            #expect(Set(replies.map { $0.object["id"] as? String ?? "" }).count == 1)
            let urls = replies.map { ($0.object["data"] as? [String: Any])?["image_urls"] as? [String] ?? [] }
            #expect(Set(urls).count == 1 && urls[0].count == 2)
            let other = try await client.native(smallRequest("something else", n: 2), key: customer.key, headers: key)
            #expect(other.nativeCode == 2013)
            #expect(String(decoding: other.body, as: UTF8.self).contains("Idempotency-Key"))

            let falKey: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "fal-7"]
            var ids: [String] = []
            for _ in 0..<2 {
                let submitted = try await client.send(
                    .post, "/fal/queue/fal-ai/minimax/image-01", key: customer.key, scheme: "Key",
                    json: ["prompt": "a cat"], headers: falKey)
                ids.append(submitted.object["request_id"] as? String ?? "")
            }
            #expect(ids[0] == ids[1] && !ids[0].isEmpty)
            try await waitUntilFinished(ids[0], in: harness.directory.store)
        }
        let ledger = try harness.ledger(customer.accountID)
        #expect(ledger.filter { $0.kind == .reservation }.count == 2)
        #expect(try harness.directory.store.account(id: customer.accountID)?.balance == MicroDollars(970_000))
        try harness.expectBalanced(customer.accountID)
    }

    @Test("BYOK: the customer's own MiniMax key goes upstream, is never shown, and costs $0 here")
    func bringYourOwnKey() async throws {
        let customerKey = "mm-customer-key-0123456789"
        let upstream = Upstream(.minimax, apiKey: customerKey)
        try await upstream.run { base in
            let harness = try Harness { $0.billing.byokBaseURL = base }
            let customer = try harness.customer(credit: .zero)
            try await harness.test { client in
                #expect(try await client.native(smallRequest(), key: customer.key).nativeCode == 1008)
                let attached = try await client.send(
                    .put, "/v1/account/minimax-key", key: customer.key, json: ["api_key": customerKey])
                #expect(attached.status == .ok)
                #expect((attached.object["byok"] as? [String: Any])?["minimax"] as? Bool == true)
                #expect(!String(decoding: attached.body, as: UTF8.self).contains(customerKey))
                let balance = try await client.send(.get, "/v1/balance", key: customer.key)
                #expect((balance.object["prices_usd"] as? [String: String])?["image-01"] == "0.00")

                let generated = try await client.native(smallRequest(n: 2), key: customer.key)
                #expect(generated.nativeCode == 0 && generated.cost == "0.00")
                #expect(generated.headers[HTTPField.Name("X-Likeness-Engine")!] == "minimax-byok")

                let detached = try await client.send(.delete, "/v1/account/minimax-key", key: customer.key)
                #expect((detached.object["byok"] as? [String: Any])?["minimax"] as? Bool == false)
                #expect(try await client.native(smallRequest(), key: customer.key).nativeCode == 1008)
            }
            #expect(upstream.state.received.count == 1)
            #expect(upstream.state.received.first?.authorization == "Bearer \(customerKey)")
            #expect(try harness.ledger(customer.accountID).isEmpty)
            let usage = try harness.directory.store.usage(
                accountID: customer.accountID, from: .distantPast, to: .distantFuture, limit: 10)
            let served = try #require(usage.first { $0.status == "succeeded" })
            #expect(served.byok && served.costUsd == .zero && served.imagesDelivered == 2)
            for file in try FileManager.default.contentsOfDirectory(atPath: harness.directory.root.path)
            where file.hasPrefix("likeness.sqlite") {
                let bytes = try Data(contentsOf: harness.directory.root.appending(path: file))
                #expect(bytes.range(of: Data(customerKey.utf8)) == nil, "the key is stored in the clear in \(file)")
            }
        }
    }

    @Test("BYOK: a key that could not travel as an HTTP header is refused when attached, naming api_key")
    func byokKeyShape() async throws {
        let harness = try Harness()
        let customer = try harness.customer()
        try await harness.test { client in
            // Found by schemathesis: such a key was accepted, and every generation then answered 502.
            for bad in ["mm-key\u{1F}with-control", "mm-key-with-ç-accent", "mm key with spaces", "short"] {
                let refused = try await client.send(
                    .put, "/v1/account/minimax-key", key: customer.key, json: ["api_key": bad])
                #expect(refused.status == .badRequest, "\(bad)")
                #expect((refused.object["error"] as? [String: Any])?["param"] as? String == "api_key")
            }
            let balance = try await client.send(.get, "/v1/balance", key: customer.key)
            #expect((balance.object["byok"] as? [String: Any])?["minimax"] as? Bool == false)
        }
    }

    @Test("one account's key never reads another's jobs, usage, balance or the admin API")
    func isolation() async throws {
        let harness = try Harness()
        let alice = try harness.customer("alice", credit: MicroDollars(100_000))
        let bob = try harness.customer("bob", credit: MicroDollars(100_000))
        try await harness.test { client in
            let submitted = try await client.send(
                .post, "/fal/queue/fal-ai/minimax/image-01", key: alice.key, scheme: "Key", json: ["prompt": "mine"])
            let id = try #require(submitted.object["request_id"] as? String)
            let native = try await client.native(smallRequest(), key: alice.key)
            let nativeID = try #require(native.object["id"] as? String)
            try await waitUntilFinished(id, in: harness.directory.store)

            for path in ["/status", ""] {
                let peek = try await client.send(
                    .get, "/fal/queue/fal-ai/minimax/requests/\(id)\(path)", key: bob.key, scheme: "Key")
                #expect(peek.status == .notFound)
            }
            let bobUsage = try await client.send(.get, "/v1/usage?format=csv", key: bob.key)
            let csv = String(decoding: bobUsage.body, as: UTF8.self)
            #expect(!csv.contains(id) && !csv.contains(nativeID))
            let aliceUsage = try await client.send(.get, "/v1/usage", key: alice.key)
            let ids = (aliceUsage.object["data"] as? [[String: Any]] ?? []).compactMap { $0["request_id"] as? String }
            #expect(Set(ids) == [id, nativeID])
            let bobBalance = try await client.send(.get, "/v1/balance", key: bob.key)
            #expect(bobBalance.object["account_id"] as? String == bob.accountID)
            #expect(bobBalance.object["balance_usd"] as? String == "0.10")
            for path in ["/v1/admin/accounts", "/v1/admin/accounts/\(alice.accountID)/usage"] {
                let admin = try await client.send(.get, path, key: bob.key)
                #expect(admin.status == .forbidden && admin.error["type"] as? String == "permission_error")
            }
        }
    }

    @Test("an operator opens an account, tops it up (5% fee), hands out a key and watches usage")
    func operatorFlow() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let created = try await client.send(.post, "/v1/admin/accounts", key: harness.key, json: ["name": "acme"])
            let accountID = try #require(created.object["id"] as? String)
            #expect(created.object["billing"] as? String == "prepaid")
            let topUp = try await client.send(
                .post, "/v1/admin/accounts/\(accountID)/credits", key: harness.key,
                json: ["amount_usd": "10.00", "note": "invoice 1"])
            let rows = topUp.object["data"] as? [[String: Any]] ?? []
            #expect(rows.map { $0["kind"] as? String } == ["top_up", "fee"])
            #expect(rows.map { $0["amount_usd"] as? String } == ["10.00", "-0.50"])
            let issued = try await client.send(
                .post, "/v1/admin/accounts/\(accountID)/keys", key: harness.key, json: ["name": "acme prod"])
            let secret = try #require(issued.object["secret"] as? String)
            let keyID = try #require(issued.object["id"] as? String)
            #expect(secret.hasPrefix("lk_"))

            let generated = try await client.native(smallRequest(n: 3), key: secret)
            #expect(generated.nativeCode == 0 && generated.cost == "0.03")
            let balance = try await client.send(.get, "/v1/balance", key: secret)
            #expect(balance.object["balance_usd"] as? String == "9.47")

            let today = Date().formatted(.iso8601.year().month().day())
            let csv = try await client.send(
                .get, "/v1/admin/accounts/\(accountID)/usage?from=\(today)&to=\(today)&format=csv", key: harness.key)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n")
            #expect(lines.first.map(String.init) == UsageRow.csvHeader && lines.count == 2)
            #expect(lines.last?.contains(",3,3,0,0.01,0.03,false,") == true)
            let json = try await client.send(.get, "/v1/usage?from=\(today)", key: secret)
            #expect((json.object["totals"] as? [String: Any])?["cost_usd"] as? String == "0.03")
            let ledger = try await client.send(.get, "/v1/admin/accounts/\(accountID)/ledger", key: harness.key)
            let kinds = (ledger.object["data"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == ["top_up", "fee", "reservation", "release", "charge"])

            let revoked = try await client.send(.delete, "/v1/admin/keys/\(keyID)", key: harness.key)
            #expect(revoked.status == .ok && revoked.object["revoked_at"] != nil)
            #expect(try await client.native(smallRequest(), key: secret).nativeCode == 2049)
            let bad = try await client.send(
                .post, "/v1/admin/accounts/\(accountID)/credits", key: harness.key, json: ["amount_usd": "ten"])
            #expect(bad.status == .badRequest && bad.error["param"] as? String == "amount_usd")
            let missing = try await client.send(.get, "/v1/admin/accounts/acct_nope", key: harness.key)
            #expect(missing.status == .notFound)
        }
    }

    @Test("a crash between reservation and settlement: the job runs again, is charged once, and the books balance")
    func crashBetweenReservationAndSettlement() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(100_000))
        let store = harness.directory.store
        // What a request leaves when the process dies mid-render: queued with its reservation,
        // then claimed by a worker, never finished.
        let id = Identifier.make()
        let request = GenerationRequest(prompt: "interrupted", size: PixelSize(width: 512, height: 512), count: 2)
        var job = JobRecord(
            id: id, keyID: customer.keyID, dialect: .minimax, model: "image-01", parameters: nil, createdAt: Date())
        job.accountID = customer.accountID
        job.requestedCount = 2
        job.price = MicroDollars(10_000)
        job.reserved = MicroDollars(20_000)
        _ = try store.enqueueJob(
            job, input: try QueuedRequest.input(for: request, seeds: request.imageSeeds()), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", lease: JobLease(owner: "old", expiresAt: Date()), at: Date())
        #expect(try store.account(id: customer.accountID)?.balance == MicroDollars(80_000))

        try await harness.test { _ in try await waitUntilFinished(id, in: store) }
        let finished = try #require(try store.job(id: id))
        #expect(finished.status == .succeeded && finished.attempts == 2 && finished.cost == MicroDollars(20_000))
        let rows = try harness.ledger(customer.accountID).filter { $0.requestID == id }
        #expect(rows.map(\.kind) == [.reservation, .release, .charge])
        #expect(try store.account(id: customer.accountID)?.balance == MicroDollars(80_000))
        try harness.expectBalanced(customer.accountID)
        #expect(try store.reconcileAccounts().isClean)
    }
}

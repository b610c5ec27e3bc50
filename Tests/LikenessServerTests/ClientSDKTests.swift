import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessClient
import LikenessEngines
import LikenessImaging
import LikenessSimulators
import LikenessStore
import LikenessTestSupport
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension Harness {
    /// Runs `body` with the server listening on a port, as the SDK meets it.
    func live<Value: Sendable>(
        engine: (any ImageEngine)? = FaultInjectingEngine(), _ body: @escaping @Sendable (URL) async throws -> Value
    ) async throws -> Value {
        let application = try buildApplication(
            configuration: configuration, dataDirectory: directory, engine: engine, fetcher: nil, clock: .system,
            logger: nil)
        return try await application.test(.live) { client in
            let port = try #require(client.port)
            return try await body(try #require(URL(string: "http://127.0.0.1:\(port)")))
        }
    }
}

/// A transport that loses the answer to the first `drops` requests after the server has handled
/// them: the client sees a dropped connection, the server has done the work.
final class AnswerLosingTransport: HTTPTransport {
    let inner = URLSessionTransport()
    let remaining: Mutex<Int>
    let sent = Mutex<[URLRequest]>([])

    init(drops: Int) { remaining = Mutex(drops) }

    func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        sent.withLock { $0.append(request) }
        let answer = try await inner.send(request)
        let drop = remaining.withLock { count in
            defer { count = max(0, count - 1) }
            return count > 0
        }
        if drop { throw URLError(.networkConnectionLost) }
        return answer
    }
}

/// The `LikenessError` a call throws; nil when it succeeds (or throws something else).
func failure(_ call: @Sendable () async throws -> Void) async -> LikenessError? {
    do {
        try await call()
        return nil
    } catch {
        return error as? LikenessError
    }
}

/// The same, for a call made with `client`.
func failure(_ client: LikenessClient, _ call: @Sendable (LikenessClient) async throws -> Void) async
    -> LikenessError?
{
    await failure { try await call(client) }
}

func fastRetries() -> LikenessClient.Configuration {
    var configuration = LikenessClient.Configuration()
    configuration.retryDelay = .milliseconds(10)
    configuration.pollInterval = .milliseconds(20)
    return configuration
}

@Suite("LikenessClient, the Swift SDK")
struct ClientSDKTests {
    @Test("generate: typed images with size, seed, engine and cost; downloaded and saved")
    func generate() async throws {
        let harness = try Harness()
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            let generation = try await client.generate("a lighthouse", aspectRatio: .wide16x9, count: 2, seed: 41)
            #expect(generation.images.count == 2)
            #expect(generation.engine == "preview")
            #expect(generation.cost == .zero, "the house account is unmetered")
            #expect(generation.images.map(\.seed) == [41, 42])
            #expect(generation.images.allSatisfy { $0.size == PixelSize(width: 1280, height: 720) })
            let bytes = try await client.data(of: generation.images[0])
            #expect(try ImageHeader(probing: bytes) == ImageHeader(format: .jpeg, width: 1280, height: 720))
            let directory = FileManager.default.temporaryDirectory.appending(path: "sdk-\(UUID().uuidString)")
            let files = try await client.save(generation, to: directory)
            #expect(files.map(\.lastPathComponent) == ["\(generation.id)-1.jpg", "\(generation.id)-2.jpg"])
            #expect(try Data(contentsOf: files[0]) == bytes)
        }
    }

    @Test("subject reference from a file, from bytes; base64 results come as bytes")
    func references() async throws {
        let harness = try Harness()
        let photo = try jpegReference()
        let file = FileManager.default.temporaryDirectory.appending(path: "face-\(UUID().uuidString).jpg")
        try photo.write(to: file)
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            for reference in [LikenessClient.Reference.file(file), .data(photo)] {
                let generation = try await client.generate(
                    "the same person at sea", reference: reference, responseFormat: .base64)
                let bytes = try #require(generation.images.first?.data)
                #expect(try ImageHeader(probing: bytes).format == .jpeg)
            }
            let missing = LikenessClient.Reference.file(file.appending(path: "missing"))
            await #expect(throws: LikenessError.self) { try await client.generate("x", reference: missing) }
        }
    }

    @Test("characters: created from a file and bytes, listed, used by id, deleted; then not found")
    func characters() async throws {
        let harness = try Harness()
        let photo = try jpegReference()
        let file = FileManager.default.temporaryDirectory.appending(path: "face-\(UUID().uuidString).jpg")
        try photo.write(to: file)
        try await harness.live(engine: PreviewEngine()) { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            let character = try await client.createCharacter(name: "Ada", photos: [.file(file), .data(photo)])
            #expect(character.photos.count == 2 && character.name == "Ada")
            #expect(try await client.characters().data.map(\.id) == [character.id])
            #expect(try await client.character(id: character.id) == character)
            let generation = try await client.generate("Ada at sea", reference: .character(character.id))
            #expect(generation.images.count == 1)
            #expect(try await client.deleteCharacter(id: character.id).deleted)
            let gone = await failure(client) { try await $0.generate("x", reference: .character(character.id)) }
            #expect(gone?.code == .notFound && gone?.message.contains("no character") == true)
            #expect(await failure(client) { _ = try await $0.character(id: character.id) }?.code == .notFound)
        }
    }

    @Test("history: the account's requests with their seeds and log; the operator's jobs and metrics")
    func history() async throws {
        let harness = try Harness()
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            let generation = try await client.generate("a lighthouse", count: 2, seed: 41)
            let page = try await client.generations(filter: .init(status: "succeeded", dialect: "minimax"))
            #expect(page.data.map(\.id) == [generation.id] && !page.hasMore)
            #expect(page.data[0].images.map(\.seed) == [41, 42])
            let detail = try await client.generation(id: generation.id)
            #expect(detail.parameters?.prompt == "a lighthouse" && detail.logs?.isEmpty == false)
            #expect(try await client.generations(filter: .init(model: "image-01-live")).data.isEmpty)
            let jobs = try await client.admin.jobs(accountID: try harness.houseAccountID())
            #expect(jobs.data.map(\.id) == [generation.id])
            #expect(try await client.admin.job(id: generation.id).accountId == (try harness.houseAccountID()))
            let metrics = try await client.admin.metrics()
            #expect(metrics.imagesDelivered == 2 && metrics.requests >= 5)
            let stranger = await failure(client) { _ = try await $0.generation(id: String(repeating: "0", count: 32)) }
            #expect(stranger?.code == .notFound)
        }
    }

    @Test("each failure is typed: field, credits, content, rate limit with retryAfter, key, not found")
    func typedErrors() async throws {
        let harness = try Harness { $0.promptPolicy = PromptPolicy(blockedPhrases: ["forbidden topic"]) }
        let broke = try harness.customer("broke", billing: .prepaid)
        let limited = try harness.customer("limited", billing: .unmetered, limits: UsageLimits(requestsPerMinute: 1))
        try await harness.live { base in
            var once = LikenessClient.Configuration()
            once.maximumAttempts = 1
            let house = LikenessClient(baseURL: base, apiKey: harness.key, configuration: once)
            let invalid = await failure(house) { _ = try await $0.generate("x", count: 12) }
            #expect(invalid?.code == .invalidParameter && invalid?.field == "n" && invalid?.statusCode == 2013)
            let sensitive = await failure(house) { _ = try await $0.generate("a forbidden topic") }
            #expect(sensitive?.code == .sensitiveContent)
            let credits = await failure(LikenessClient(baseURL: base, apiKey: broke.key, configuration: once)) {
                _ = try await $0.generate("x")
            }
            #expect(credits?.code == .insufficientCredits)
            let limitedClient = LikenessClient(baseURL: base, apiKey: limited.key, configuration: once)
            _ = try await limitedClient.generate("x")
            let rate = await failure(limitedClient) { _ = try await $0.generate("x") }
            #expect(rate?.code == .rateLimited && rate?.retryAfter != nil)
            let key = await failure(LikenessClient(baseURL: base, apiKey: "lk_wrong", configuration: once)) {
                _ = try await $0.generate("x")
            }
            #expect(key?.code == .authentication)
            let balanceKey = await failure(LikenessClient(baseURL: base, apiKey: "lk_wrong", configuration: once)) {
                _ = try await $0.balance()
            }
            #expect(balanceKey?.code == .authentication && balanceKey?.httpStatus == 401)
            let unknown = await failure(house) { _ = try await $0.job(id: String(repeating: "0", count: 32)).status() }
            #expect(unknown?.code == .notFound)
            let engine = await failure(house) { _ = try await $0.generate("[fault:1000] x") }
            #expect(engine?.code == .server)
        }
    }

    @Test("an upstream provider's failure is .upstreamFailure, not the caller's fault")
    func upstreamFailure() async throws {
        let upstream = Upstream(.minimax)
        try await upstream.run { upstreamBase in
            let settings = try routing(
                ["likeness.engines": "up"].merging(
                    engineKeys(
                        "up", kind: "minimax", baseURL: upstreamBase,
                        extra: ["likeness.engine.up.retry.maxAttempts": "1"])
                ) { $1 })
            let harness = try Harness { $0.routing = settings }
            upstream.state.inject(.httpStatus(500, retryAfterSeconds: nil), count: 5)
            try await harness.live(engine: nil) { base in
                var once = LikenessClient.Configuration()
                once.maximumAttempts = 1
                let client = LikenessClient(baseURL: base, apiKey: harness.key, configuration: once)
                await #expect {
                    try await client.generate("a lighthouse")
                } throws: { error in
                    (error as? LikenessError)?.code == .upstreamFailure
                }
            }
        }
    }

    @Test("a lost answer is retried with the same Idempotency-Key: the same job, charged once")
    func idempotentRetry() async throws {
        let harness = try Harness()
        let customer = try harness.customer("payer", billing: .prepaid, credit: MicroDollars(1_000_000))
        try await harness.live { base in
            let transport = AnswerLosingTransport(drops: 1)
            let client = LikenessClient(
                baseURL: base, apiKey: customer.key, configuration: fastRetries(), transport: transport)
            let generation = try await client.generate("a lighthouse", count: 2)
            let requests = transport.sent.withLock { $0 }
            #expect(requests.count == 2)
            let keys = requests.map { $0.value(forHTTPHeaderField: "Idempotency-Key") }
            #expect(keys[0] != nil && keys[0] == keys[1])
            #expect(generation.cost == MicroDollars(20_000))
            let balance = try await LikenessClient(baseURL: base, apiKey: customer.key).balance()
            #expect(balance.balanceUsd == MicroDollars(1_000_000 - 20_000), "one charge for two attempts")
        }
    }

    @Test("the queue: progress events in order, then the result; status and cancel by id")
    func queue() async throws {
        let harness = try Harness()
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key, configuration: fastRetries())
            let job = try await client.submit(GenerationRequest(prompt: "[sleep:400] a lighthouse", seed: 5))
            var events: [Job.Status] = []
            for try await status in job.progress { events.append(status) }
            #expect(events.contains(.running))
            guard case .succeeded(let generation)? = events.last else {
                Issue.record("the last event is not a success: \(events)")
                return
            }
            #expect(generation.id == job.id && generation.images.first?.seed == 5)
            // No state twice in a row, and nothing after the end.
            #expect(zip(events, events.dropFirst()).allSatisfy { $0 != $1 })
            #expect(events.dropLast().allSatisfy { !$0.isFinished })
            #expect(try await client.job(id: job.id).result().images.count == 1)

            let doomed = try await client.submit(GenerationRequest(prompt: "[sleep:5000] x"))
            try await doomed.cancel()
            // A running job stops a moment later: its end, once it comes, is a cancellation.
            await #expect {
                try await doomed.result()
            } throws: { error in
                (error as? LikenessError)?.code == .cancelled
            }
        }
    }

    @Test("following a job does not use up the key's requests a minute; a task's Fail is its outcome")
    func pollingIsFree() async throws {
        let harness = try Harness()
        let limited = try harness.customer("limited", billing: .unmetered, limits: UsageLimits(requestsPerMinute: 1))
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: limited.key, configuration: fastRetries())
            let job = try await client.submit(GenerationRequest(prompt: "[sleep:300] a lighthouse"))
            var polls = 0
            for try await _ in job.progress { polls += 1 }
            #expect(try await job.result().images.count == 1, "dozens of polls, one submission")
            #expect(polls >= 1)

            let house = LikenessClient(baseURL: base, apiKey: harness.key, configuration: fastRetries())
            let failing = try await house.submit(GenerationRequest(prompt: "[fault:1027] x"))
            await #expect {
                try await failing.result()
            } throws: { error in
                (error as? LikenessError)?.code == .sensitiveContent
            }
        }
    }

    @Test("cancelling the Task that waits on a job cancels the job")
    func taskCancellation() async throws {
        let harness = try Harness()
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key, configuration: fastRetries())
            let job = try await client.submit(GenerationRequest(prompt: "[sleep:10000] x"))
            let waiting = Task { try await job.result() }
            try await Task.sleep(for: .milliseconds(300))
            waiting.cancel()
            await #expect(throws: LikenessError.self) { try await waiting.value }
            let cancelled = try await eventually(timeout: .seconds(10)) {
                try harness.directory.store.job(id: job.id)?.status == .cancelled
            }
            #expect(cancelled)
        }
    }

    @Test("balance, usage, and the admin namespace: account, credit, keys, ledger")
    func accounts() async throws {
        let harness = try Harness()
        try await harness.live { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            let account = try await client.admin.createAccount(CreateAccountBody(name: "studio", billing: "prepaid"))
            _ = try await client.admin.credit(
                accountID: account.id, CreditBody(amountUsd: MicroDollars(usd: "5")!, waiveFee: true))
            let key = try await client.admin.createKey(accountID: account.id, CreateKeyBody(name: "app"))
            let secret = try #require(key.secret)
            let studio = LikenessClient(baseURL: base, apiKey: secret)
            #expect(try await studio.balance().balanceUsd == MicroDollars(usd: "5"))
            _ = try await studio.generate("a lighthouse")
            let usage = try await studio.usage()
            #expect(usage.data.count == 1)
            #expect(try await client.admin.ledger(accountID: account.id).count >= 2)
            #expect(try await client.admin.keys(accountID: account.id).map(\.id) == [key.id])
            _ = try await client.admin.revokeKey(id: key.id)
            await #expect(throws: LikenessError.self) { _ = try await studio.balance() }
        }
    }

    @Test("self-service keys: list, create (user keys only), revoke another of the account's own")
    func ownKeys() async throws {
        let harness = try Harness()
        let studio = try harness.customer("studio", billing: .unmetered)
        let other = try harness.customer("other", billing: .unmetered)
        try await harness.live { base in
            var once = LikenessClient.Configuration()
            once.maximumAttempts = 1
            let client = LikenessClient(baseURL: base, apiKey: studio.key, configuration: once)
            let second = try await client.createKey(CreateKeyBody(name: "phone app"))
            let secret = try #require(second.secret)
            #expect(second.role == "user")
            #expect(Set(try await client.keys().map(\.id)) == [studio.keyID, second.id])
            #expect(try await client.keys().allSatisfy { $0.secret == nil }, "secrets are shown once only")

            let admin = await failure { _ = try await client.createKey(CreateKeyBody(name: "x", role: "admin")) }
            #expect(admin?.code == .authentication && admin?.httpStatus == 403)
            let itself = await failure { _ = try await client.revokeKey(id: studio.keyID) }
            #expect(itself?.code == .invalidParameter && itself?.field == "id")
            let foreign = await failure { _ = try await client.revokeKey(id: other.keyID) }
            #expect(foreign?.code == .notFound)

            let phone = LikenessClient(baseURL: base, apiKey: secret, configuration: once)
            #expect(try await phone.balance().accountId == studio.accountID)
            #expect(try await client.revokeKey(id: second.id).revokedAt != nil)
            let revoked = await failure { _ = try await phone.balance() }
            #expect(revoked?.code == .authentication)
        }
    }

    @Test("against the MiniMax simulator, standing in for api.minimax.io: generate, retries, typed errors")
    func miniMax() async throws {
        let state = SimulatorState()
        let settings = SimulatorSettings(provider: .minimax, apiKey: "sk-minimax", requestsPerMinute: nil)
        try await buildSimulator(settings, state: state).test(.live) { server in
            let port = try #require(server.port)
            let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
            let client = LikenessClient(baseURL: base, apiKey: "sk-minimax", configuration: fastRetries())
            let generation = try await client.generate("a lighthouse", count: 2, seed: 3)
            #expect(generation.images.count == 2 && generation.engine == nil && generation.cost == nil)
            let bytes = try await client.data(of: generation.images[0])
            #expect(try ImageHeader(probing: bytes).format == .jpeg)

            state.inject(.code(1002))
            state.inject(.httpStatus(503, retryAfterSeconds: nil))
            #expect(try await client.generate("retried").images.count == 1)

            state.inject(.code(1008))
            await #expect {
                try await client.generate("x")
            } throws: { error in
                (error as? LikenessError)?.code == .insufficientCredits
            }
            let wrongKey = LikenessClient(baseURL: base, apiKey: "sk-wrong")
            await #expect {
                try await wrongKey.generate("x")
            } throws: { error in
                (error as? LikenessError)?.code == .authentication
            }
        }
    }
}

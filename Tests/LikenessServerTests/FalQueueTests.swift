import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// The preview engine behind a gate: each job waits, in the engine, until `open()` (or until
/// its task is cancelled, which it honours at once). Lets tests hold jobs running and queued.
final class GatedEngine: ImageEngine {
    let name = "preview"
    let isOpen = Atomic(false)
    let started = Mutex<[String]>([])
    let cancelled = Mutex<[String]>([])

    func open() { isOpen.store(true, ordering: .relaxed) }

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws -> EngineOutput
    {
        started.withLock { $0.append(job.id) }
        progress(EngineProgress(message: "waiting at the gate", completedImages: 0))
        do {
            while !isOpen.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        } catch {
            cancelled.withLock { $0.append(job.id) }
            throw error
        }
        return try await PreviewEngine().generate(job, progress: progress)
    }
}

/// fal's queue as a client drives it: submit, then status, result and cancel by request id.
struct FalQueueClient {
    let client: any TestClientProtocol
    let key: String

    struct Reply {
        var status: HTTPResponse.Status
        var object: [String: Any]
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, body: [String: Any]? = nil, headers extra: HTTPFields = [:])
        async throws -> Reply
    {
        var headers: HTTPFields = [.authorization: "Key \(key)", .contentType: "application/json"]
        headers.append(contentsOf: extra)
        let buffer = try body.map { ByteBuffer(data: try JSONSerialization.data(withJSONObject: $0)) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            return Reply(status: response.status, object: object ?? [:])
        }
    }

    func submit(
        _ fields: [String: Any], app: String = "fal-ai/minimax/image-01", query: String = "",
        headers: HTTPFields = [:]
    ) async throws -> Reply {
        try await call(.post, "/fal/queue/\(app)\(query)", body: fields, headers: headers)
    }

    /// The request id of an accepted submit.
    func submitted(_ fields: [String: Any], app: String = "fal-ai/minimax/image-01", headers: HTTPFields = [:])
        async throws -> String
    {
        let reply = try await submit(fields, app: app, headers: headers)
        #expect(reply.status == .ok)
        return try #require(reply.object["request_id"] as? String)
    }

    func status(_ id: String, logs: Bool = false, app: String = "fal-ai/minimax") async throws -> Reply {
        try await call(.get, "/fal/queue/\(app)/requests/\(id)/status" + (logs ? "?logs=1" : ""))
    }

    func result(_ id: String, app: String = "fal-ai/minimax") async throws -> Reply {
        try await call(.get, "/fal/queue/\(app)/requests/\(id)")
    }

    func cancel(_ id: String) async throws -> Reply {
        try await call(.put, "/fal/queue/fal-ai/minimax/requests/\(id)/cancel")
    }

    /// Polls the status until `condition` holds for its body.
    @discardableResult
    func waitForStatus(_ id: String, logs: Bool = false, until condition: ([String: Any]) -> Bool) async throws
        -> [String: Any]
    {
        var last: [String: Any] = [:]
        let matched = try await eventually {
            last = try await status(id, logs: logs).object
            return condition(last)
        }
        if !matched { Issue.record("status of \(id) never matched; last: \(last)") }
        return last
    }
}

func status(_ name: String) -> ([String: Any]) -> Bool {
    { $0["status"] as? String == name }
}

@Suite("fal queue")
struct FalQueueTests {
    @Test("submit answers request_id, the three URLs under fal-ai/minimax and queue_position; then status, result")
    func submitPollResult() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let submitted = try await fal.submit(["prompt": "a lighthouse", "num_images": 2, "aspect_ratio": "16:9"])
            #expect(submitted.status == .ok)
            let id = try #require(submitted.object["request_id"] as? String)
            let base = "http://localhost/fal/queue/fal-ai/minimax/requests/\(id)"
            #expect(submitted.object["response_url"] as? String == base)
            #expect(submitted.object["status_url"] as? String == base + "/status")
            #expect(submitted.object["cancel_url"] as? String == base + "/cancel")
            #expect(submitted.object["queue_position"] is Int)

            let completed = try await fal.waitForStatus(id, logs: true, until: status("COMPLETED"))
            let messages = (completed["logs"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            #expect(messages.contains("rendered image 2 of 2"))
            #expect((completed["logs"] as? [[String: Any]])?.first?["timestamp"] is String)
            #expect((completed["metrics"] as? [String: Any])?["inference_time"] is Double)
            #expect(completed["error"] == nil)
            let withoutLogs = try await fal.status(id)
            #expect(withoutLogs.status == .ok)
            #expect(withoutLogs.object.keys.contains("logs") && withoutLogs.object["logs"] is NSNull)

            for app in ["fal-ai/minimax", "fal-ai/minimax/image-01"] {
                let result = try await fal.result(id, app: app)
                #expect(result.status == .ok)
                let images = try #require(result.object["images"] as? [[String: Any]])
                #expect(images.count == 2 && images[0]["width"] as? Int == 1280 && images[0]["height"] as? Int == 720)
                let url = try #require(images[0]["url"] as? String)
                #expect(try await client.download(url).status == .ok)
            }
            // A full app id names one app: another's is not this request.
            #expect(try await fal.result(id, app: "fal-ai/minimax/image-01/subject-reference").status == .notFound)
            #expect(try await fal.cancel(id).status == .badRequest)
            #expect(try await fal.cancel(id).object["status"] as? String == "ALREADY_COMPLETED")
        }
    }

    @Test("queued: IN_QUEUE with an accurate position, FIFO within priority, normal before low")
    func orderAndPositions() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 1 }
        let engine = GatedEngine()
        try await harness.test(engine: engine) { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let running = try await fal.submitted(["prompt": "first"])
            try await fal.waitForStatus(running, until: status("IN_PROGRESS"))
            let low = try await fal.submitted(["prompt": "low"], headers: [.falQueuePriority: "low"])
            let normal1 = try await fal.submitted(["prompt": "normal 1"])
            let normal2 = try await fal.submitted(["prompt": "normal 2"], headers: [.falQueuePriority: "normal"])
            for (id, position) in [(normal1, 0), (normal2, 1), (low, 2)] {
                let reply = try await fal.status(id)
                #expect(reply.status == .accepted)
                #expect(reply.object["status"] as? String == "IN_QUEUE")
                #expect(reply.object["queue_position"] as? Int == position)
            }
            let inProgress = try await fal.status(running, logs: true)
            #expect(inProgress.status == .accepted)
            #expect(
                (inProgress.object["logs"] as? [[String: Any]])?.contains {
                    $0["message"] as? String == "waiting at the gate"
                }
                    == true)
            #expect(try await fal.result(running).status == .badRequest)
            engine.open()
            try await fal.waitForStatus(low, until: status("COMPLETED"))
            #expect(engine.started.withLock { $0 }.count == 4)
            let order = try [running, normal1, normal2, low].map { id in
                try #require(try harness.directory.store.job(id: id)?.startedAt)
            }
            #expect(order == order.sorted())
        }
    }

    @Test("cancel: a queued request never runs; a running one is stopped; both report COMPLETED with an error")
    func cancellation() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 1 }
        let engine = GatedEngine()
        try await harness.test(engine: engine) { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let running = try await fal.submitted(["prompt": "running"])
            try await fal.waitForStatus(running, until: status("IN_PROGRESS"))
            let queued = try await fal.submitted(["prompt": "queued"])

            let cancelQueued = try await fal.cancel(queued)
            #expect(cancelQueued.status == .accepted)
            #expect(cancelQueued.object["status"] as? String == "CANCELLATION_REQUESTED")
            let cancelRunning = try await fal.cancel(running)
            #expect(cancelRunning.status == .accepted)

            for id in [running, queued] {
                let completed = try await fal.waitForStatus(id, until: status("COMPLETED"))
                #expect(completed["error_type"] as? String == "request_cancelled")
                #expect(try harness.directory.store.job(id: id)?.status == .cancelled)
                #expect(try await fal.result(id).status == .badRequest)
            }
            #expect(engine.started.withLock { $0 } == [running])
            #expect(engine.cancelled.withLock { $0 } == [running])
            #expect(try await fal.cancel(queued).object["status"] as? String == "ALREADY_COMPLETED")
            #expect(try await fal.cancel(Identifier.make()).status == .notFound)
        }
    }

    @Test("a request is visible only to the account that submitted it")
    func ownership() async throws {
        let harness = try Harness()
        let other = try harness.customer(billing: .unmetered).key
        try await harness.test { client in
            let id = try await FalQueueClient(client: client, key: harness.key).submitted(["prompt": "mine"])
            let stranger = FalQueueClient(client: client, key: other)
            #expect(try await stranger.status(id).status == .notFound)
            #expect(try await stranger.result(id).status == .notFound)
            #expect(try await stranger.cancel(id).status == .notFound)
            let anonymous = try await client.execute(
                uri: "/fal/queue/fal-ai/minimax/requests/\(id)/status", method: .get
            ) { $0.status }
            #expect(anonymous == .unauthorized)
        }
    }

    @Test("submit refusals: 422 for the body, fal_webhook and priority; nothing is queued")
    func refusals() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let missing = try await fal.submit(["prompt": "x"], app: "fal-ai/minimax/image-01/subject-reference")
            #expect(missing.status == .unprocessableContent)
            let detail = try #require((missing.object["detail"] as? [[String: Any]])?.first)
            #expect(detail["loc"] as? [String] == ["body", "image_url"] && detail["type"] as? String == "missing")
            #expect(
                try await fal.submit(["prompt": "x"], query: "?fal_webhook=ftp://example.com/x").status
                    == .unprocessableContent)
            #expect(
                try await fal.submit(["prompt": "x"], headers: [.falQueuePriority: "urgent"]).status
                    == .unprocessableContent)
            #expect(try await fal.submit(["prompt": "x", "num_images": 10]).status == .unprocessableContent)
            #expect(try harness.directory.store.queuedJobCount() == 0)
        }
    }

    @Test(
        "past queue.maxQueuedJobs waiting, submits are refused as rate limited with Retry-After, in each dialect; what was accepted completes"
    )
    func queueFull() async throws {
        let harness = try Harness { configuration in
            configuration.maximumConcurrentJobs = 1
            configuration.queue.maximumQueuedJobs = 1
        }
        let engine = GatedEngine()
        try await harness.test(engine: engine) { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let running = try await fal.submitted(["prompt": "running"])
            try await fal.waitForStatus(running, until: status("IN_PROGRESS"))
            let waiting = try await fal.submitted(["prompt": "waiting"])
            let refused = try await fal.submit(["prompt": "one too many"])
            #expect(refused.status == .tooManyRequests)
            #expect((refused.object["detail"] as? String)?.contains("queue is full") == true)
            let falSync = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01", key: harness.key, scheme: "Key", json: ["prompt": "sync"])
            #expect(falSync.status == .tooManyRequests && falSync.retryAfter == 5)
            let native = try await client.send(
                .post, "/v1/image_generation", key: harness.key, json: ["model": "image-01", "prompt": "native"])
            #expect(native.nativeCode == 1002 && native.retryAfter == 5)
            let openAI = try await client.send(
                .post, "/v1/images/generations", key: harness.key, json: ["model": "image-01", "prompt": "openai"])
            #expect(openAI.status == .tooManyRequests && openAI.retryAfter == 5)
            #expect(openAI.error["type"] as? String == "rate_limit_error")
            engine.open()
            // Nothing already accepted is lost: both finish, with their images.
            for id in [running, waiting] {
                let done = try await fal.waitForStatus(id, until: status("COMPLETED"))
                #expect(done["error"] == nil, "\(done)")
            }
            #expect(try harness.directory.store.queuedJobCount() == 0)
        }
    }

    @Test("the admin API shows each account's jobs waiting and running, with its queue weight")
    func queueShares() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 1 }
        let other = try harness.customer("other", billing: .unmetered)
        _ = try harness.directory.store.setQueueWeight(accountID: other.accountID, 3)
        let engine = GatedEngine()
        try await harness.test(engine: engine) { client in
            let house = FalQueueClient(client: client, key: harness.key)
            let running = try await house.submitted(["prompt": "running"])
            try await house.waitForStatus(running, until: status("IN_PROGRESS"))
            _ = try await house.submitted(["prompt": "waiting"])
            for index in 0..<2 {
                _ = try await FalQueueClient(client: client, key: other.key).submitted(["prompt": "o\(index)"])
            }
            let queue = try await client.send(.get, "/v1/admin/queue", key: harness.key)
            #expect(queue.object["queued"] as? Int == 3 && queue.object["running"] as? Int == 1)
            let shares = try #require(queue.object["accounts"] as? [[String: Any]])
            #expect(shares.map { $0["account_id"] as? String } == [other.accountID, try harness.houseAccountID()])
            #expect(shares.map { $0["queue_weight"] as? Int } == [3, 1])
            #expect(shares.map { $0["running"] as? Int } == [0, 1])
            #expect(try await client.send(.get, "/v1/admin/queue", key: other.key).status == .forbidden)
            engine.open()
        }
    }

    @Test("a request not started within X-Fal-Request-Timeout fails with request_timeout instead of running")
    func startTimeout() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 1 }
        let engine = GatedEngine()
        let clock = ManualClock()
        try await harness.test(engine: engine, clock: clock.wallClock) { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let first = try await fal.submitted(["prompt": "hold the worker"])
            try await fal.waitForStatus(first, until: status("IN_PROGRESS"))
            let late = try await fal.submitted(["prompt": "late"], headers: [.falRequestTimeout: "0.05"])
            clock.advance(by: 0.1)
            engine.open()
            let completed = try await fal.waitForStatus(late, until: status("COMPLETED"))
            #expect(completed["error_type"] as? String == "request_timeout")
            #expect(engine.started.withLock { $0 } == [first])
        }
    }

    @Test("status/stream sends server-sent events until COMPLETED")
    func statusStream() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let id = try await fal.submitted(["prompt": "streamed", "num_images": 2])
            let (contentType, text) = try await client.execute(
                uri: "/fal/queue/fal-ai/minimax/requests/\(id)/status/stream?logs=1", method: .get,
                headers: [.authorization: "Key \(harness.key)"]
            ) { response in (response.headers[.contentType], String(buffer: response.body)) }
            #expect(contentType == "text/event-stream")
            let events = text.split(separator: "\n\n").map { event in
                try? JSONSerialization.jsonObject(with: Data(event.dropFirst("data: ".count).utf8)) as? [String: Any]
            }
            #expect(!events.isEmpty && events.allSatisfy { $0 != nil })
            #expect(events.last??["status"] as? String == "COMPLETED")
            #expect((events.last??["logs"] as? [Any])?.isEmpty == false)
        }
    }

    @Test("a graceful shutdown puts running jobs back in the queue, their attempt not counted")
    func shutdownRequeues() async throws {
        let harness = try Harness()
        let engine = GatedEngine()
        let id = try await harness.test(engine: engine) { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let id = try await fal.submitted(["prompt": "interrupted by a shutdown"])
            try await fal.waitForStatus(id, until: status("IN_PROGRESS"))
            return id
        }
        let job = try #require(try harness.directory.store.job(id: id))
        #expect(job.status == .queued && job.attempts == 0)
        try await harness.test { _ in try await waitUntilFinished(id, in: harness.directory.store) }
        #expect(try harness.directory.store.job(id: id)?.status == .succeeded)
    }
}

/// What a webhook receiver saw.
struct ReceivedWebhook: Sendable {
    var body: Data
    var signature: String?
    var attempt: String?
    /// Every header, by lowercase name.
    var headers: [String: String] = [:]
}

final class WebhookInbox: Sendable {
    let calls = Mutex<[ReceivedWebhook]>([])

    func withLock<T>(_ body: (inout [ReceivedWebhook]) -> T) -> T { calls.withLock { body(&$0) } }
}

/// A live receiver on 127.0.0.1 that answers 500 to the first `failures` POSTs, then 200.
func withWebhookReceiver<Value: Sendable>(
    failures: Int,
    _ body: @escaping @Sendable (_ url: String, _ received: WebhookInbox) async throws -> Value
) async throws -> Value {
    let received = WebhookInbox()
    let router = Router()
    router.post("/hook") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let count = received.withLock { calls in
            calls.append(
                ReceivedWebhook(
                    body: Data(buffer: bytes), signature: request.headers[HTTPField.Name("X-Likeness-Signature")!],
                    attempt: request.headers[HTTPField.Name("X-Likeness-Webhook-Attempt")!],
                    headers: Dictionary(
                        request.headers.map { ($0.name.canonicalName, $0.value) },
                        uniquingKeysWith: { first, _ in first }
                    )))
            return calls.count
        }
        return Response(status: count <= failures ? .internalServerError : .ok)
    }
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await application.test(.live) { client in
        try await body("http://127.0.0.1:\(try #require(client.port))/hook", received)
    }
}

func waitFor(_ description: String, _ condition: () throws -> Bool) async throws {
    if try await !eventually(condition) { Issue.record("timed out waiting for \(description)") }
}

@Suite("fal webhooks")
struct FalWebhookTests {
    func harness() throws -> Harness {
        try Harness { configuration in
            configuration.webhooks.allowPrivateNetworks = true
            configuration.webhooks.initialBackoff = .milliseconds(100)
        }
    }

    func signingSecret(_ harness: Harness) throws -> String {
        guard case .valid(let key, _) = try harness.directory.store.checkKey(secret: harness.key) else {
            throw CancellationError()
        }
        return try #require(try harness.directory.store.webhookSigningSecret(keyID: key.id))
    }

    @Test("on completion the webhook is POSTed, signed with the key's secret, and retried after a failure")
    func deliveredAndRetried() async throws {
        let harness = try harness()
        let secret = try signingSecret(harness)
        try await withWebhookReceiver(failures: 1) { url, received in
            try await harness.test { client in
                let fal = FalQueueClient(client: client, key: harness.key)
                let reply = try await fal.submit(["prompt": "hooked", "num_images": 2], query: "?fal_webhook=\(url)")
                let id = try #require(reply.object["request_id"] as? String)
                try await waitFor("two webhook attempts") { received.withLock { $0.count } >= 2 }
                let calls = received.withLock { $0 }
                try #require(calls.map(\.attempt) == ["1", "2"])
                #expect(calls[0].body == calls[1].body)
                let publicKey = try await webhookPublicKeys(client).first
                for call in calls {
                    #expect(call.signature == "sha256=" + WebhookDispatcher.signature(of: call.body, secret: secret))
                    // fal's own scheme, as its documentation has receivers check it.
                    #expect(call.headers["x-fal-webhook-request-id"] == id)
                    #expect(try #require(publicKey).isValidSignature(falSignature(of: call), for: falMessage(of: call)))
                    var tampered = call
                    tampered.body.append(0x20)
                    #expect(
                        try #require(publicKey).isValidSignature(falSignature(of: call), for: falMessage(of: tampered))
                            == false)
                }
                let payload = try #require(try JSONSerialization.jsonObject(with: calls[1].body) as? [String: Any])
                #expect(payload["request_id"] as? String == id && payload["gateway_request_id"] as? String == id)
                #expect(payload["status"] as? String == "OK")
                let images = (payload["payload"] as? [String: Any])?["images"] as? [[String: Any]]
                #expect(images?.count == 2)
                #expect(try await client.download(try #require(images?.first?["url"] as? String)).status == .ok)
                try await waitFor("the delivery to be recorded") {
                    try harness.directory.store.nextWebhookDue() == nil
                }
            }
        }
    }

    @Test("rotating the signing key publishes a new one; the old one stays only for its retention")
    func rotation() async throws {
        let harness = try Harness { configuration in
            configuration.webhooks.allowPrivateNetworks = true
            configuration.webhooks.retiredKeyRetention = .zero
        }
        try await withWebhookReceiver(failures: 0) { url, received in
            try await harness.test { client in
                let before = try await webhookPublicKeys(client)
                let rotated = try await client.execute(
                    uri: "/v1/admin/webhook-keys/rotate", method: .post,
                    headers: [.authorization: "Bearer \(harness.key)"])
                #expect(rotated.status == .ok)
                let after = try await webhookPublicKeys(client)
                try #require(before.count == 1 && after.count == 1)
                #expect(before[0].rawRepresentation != after[0].rawRepresentation)
                let user = try await client.execute(
                    uri: "/v1/admin/webhook-keys/rotate", method: .post, headers: [.authorization: "Bearer lk_unknown"])
                #expect(user.status == .unauthorized)

                _ = try await FalQueueClient(client: client, key: harness.key).submit(
                    ["prompt": "signed anew"], query: "?fal_webhook=\(url)")
                try await waitFor("the webhook") { received.withLock { !$0.isEmpty } }
                let call = try #require(received.withLock { $0.first })
                #expect(after[0].isValidSignature(try falSignature(of: call), for: falMessage(of: call)))
                #expect(before[0].isValidSignature(try falSignature(of: call), for: falMessage(of: call)) == false)
            }
        }
    }

    @Test("a failed request's webhook says ERROR with the error body as payload")
    func failure() async throws {
        let harness = try harness()
        try await withWebhookReceiver(failures: 0) { url, received in
            try await harness.test(engine: FaultInjectingEngine()) { client in
                let fal = FalQueueClient(client: client, key: harness.key)
                _ = try await fal.submit(["prompt": "[fault:1024] broken"], query: "?fal_webhook=\(url)")
                try await waitFor("the webhook") { received.withLock { !$0.isEmpty } }
                let body = try #require(received.withLock { $0.first?.body })
                let payload = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                #expect(payload["status"] as? String == "ERROR")
                #expect(payload["error"] as? String == "Invalid status code: 500")
                #expect((payload["payload"] as? [String: Any])?["detail"] as? String == "injected fault 1024")
            }
        }
    }

    @Test("a webhook is retried with doubling waits and given up after webhooks.maxAttempts")
    func givenUp() async throws {
        let harness = try Harness { configuration in
            configuration.webhooks.allowPrivateNetworks = true
            configuration.webhooks.initialBackoff = .milliseconds(50)
            configuration.webhooks.maximumAttempts = 3
        }
        #expect(harness.configuration.webhooks.backoff(afterFailures: 1) == .milliseconds(50))
        #expect(harness.configuration.webhooks.backoff(afterFailures: 3) == .milliseconds(200))
        #expect(WebhookSettings().backoff(afterFailures: 30) == .seconds(300))
        try await withWebhookReceiver(failures: 100) { url, received in
            try await harness.test { client in
                _ = try await FalQueueClient(client: client, key: harness.key).submit(
                    ["prompt": "never accepted"], query: "?fal_webhook=\(url)")
                try await waitFor("three attempts") { received.withLock { $0.count } >= 3 }
                try await waitFor("the delivery to be given up") { try harness.directory.store.nextWebhookDue() == nil }
                try await Task.sleep(for: .milliseconds(300))
                #expect(received.withLock { $0.count } == 3)
            }
        }
    }
}

@Suite("Store failures")
struct StoreFailureTests {
    @Test("a store that fails answers a system error in the caller's dialect, never an empty answer")
    func failingStoreIsNotEmpty() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let fal = FalQueueClient(client: client, key: harness.key)
            let id = try await fal.submitted(["prompt": "a lighthouse"])
            try await fal.waitForStatus(id, until: status("COMPLETED"))
            // A second connection breaks the table the status's logs come from.
            let sabotage = try SQLiteDatabase(path: harness.directory.root.appending(path: "likeness.sqlite").path)
            try sabotage.execute("ALTER TABLE job_logs RENAME TO job_logs_gone")
            let reply = try await fal.status(id, logs: true)
            #expect(reply.status == .internalServerError)
            #expect((reply.object["detail"] as? String)?.contains("store failed") == true)
            // Without logs the status still answers: the failure stays with what failed.
            #expect(try await fal.status(id).status == .ok)
        }
    }
}

@Suite("Another process writing")
struct LockedDatabaseTests {
    @Test("while another process holds the write lock, reads answer and a generation waits for it, then succeeds")
    func heldWriteLock() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        try await harness.test { client in
            // What `likeness credits add` does, held open: a write transaction from another connection.
            let operatorCommand = try SQLiteDatabase(
                path: harness.directory.root.appending(path: "likeness.sqlite").path)
            try operatorCommand.execute("BEGIN IMMEDIATE")
            let generation = Task {
                try await client.execute(
                    uri: "/v1/image_generation", method: .post,
                    headers: [.authorization: "Bearer \(customer.key)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"model": "image-01", "prompt": "after the lock"}"#)
                ) { response in
                    try JSONDecoder().decode(NativeReply.self, from: Data(buffer: response.body)).base_resp.status_code
                }
            }
            // A key's first use is recorded by a write; the balance is read all the same.
            let balance = try await client.execute(
                uri: "/v1/balance", method: .get, headers: [.authorization: "Bearer \(customer.key)"]
            ) { response in response.status }
            #expect(balance == .ok)
            try operatorCommand.execute("COMMIT")
            #expect(try await generation.value == 0)
        }
    }
}

/// The keys in the server's JWKS.
func webhookPublicKeys(_ client: some TestClientProtocol) async throws -> [Curve25519.Signing.PublicKey] {
    let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
    let set = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    return try (set["keys"] as? [[String: Any]] ?? []).map { key in
        var x = try #require(key["x"] as? String).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        x += String(repeating: "=", count: (4 - x.count % 4) % 4)
        return try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Data(base64Encoded: x)))
    }
}

/// What fal signs: request id, user id, timestamp and the body's SHA-256 in hex, one a line.
func falMessage(of call: ReceivedWebhook) -> Data {
    let digest = SHA256.hash(data: call.body).map { String(format: "%02x", $0) }.joined()
    let parts = ["x-fal-webhook-request-id", "x-fal-webhook-user-id", "x-fal-webhook-timestamp"].map {
        call.headers[$0] ?? ""
    }
    return Data((parts + [digest]).joined(separator: "\n").utf8)
}

func falSignature(of call: ReceivedWebhook) throws -> Data {
    let hex = Array(try #require(call.headers["x-fal-webhook-signature"]).utf8)
    try #require(hex.count == 128)
    return Data(
        stride(from: 0, to: hex.count, by: 2).map {
            UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16) ?? 0
        })
}

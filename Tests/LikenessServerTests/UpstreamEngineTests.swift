import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessSimulators
import LikenessStore
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

/// One upstream simulator for a test, and the routing settings that point Likeness at it.
struct Upstream {
    let state = SimulatorState()
    var settings: SimulatorSettings

    init(_ provider: SimulatedProvider, apiKey: String = "sk-upstream", requestsPerMinute: Int? = nil) {
        settings = SimulatorSettings(provider: provider, apiKey: apiKey, requestsPerMinute: requestsPerMinute)
    }

    /// Runs `body` with the simulator listening; its base URL as an engine's `baseUrl` takes.
    func run<Value: Sendable>(_ body: @escaping @Sendable (_ baseURL: String) async throws -> Value) async throws
        -> Value
    {
        try await buildSimulator(settings, state: state).test(.live) { client in
            let root = "http://127.0.0.1:\(try #require(client.port))"
            return try await body(settings.provider == .openai ? root + "/v1" : root)
        }
    }
}

/// Routing settings from `likeness.*` keys, as an operator would write them.
func routing(_ values: [String: String]) throws -> RoutingSettings? {
    var entries: [AbsoluteConfigKey: ConfigValue] = [:]
    for (key, value) in values {
        let isList = key == "likeness.engines" || key.hasPrefix("likeness.routes.")
        let typed: ConfigContent =
            if isList { .stringArray(value.split(separator: ",").map(String.init)) } else if let number = Int(value) {
                .int(number)
            } else { .string(value) }
        entries[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(typed, isSecret: false)
    }
    return try RoutingSettings.read(ConfigReader(provider: InMemoryProvider(values: entries)))
}

/// One engine named `name` of `kind` at `baseURL`, fast retries, no rate limit unless given.
func engineKeys(_ name: String, kind: String, baseURL: String, extra: [String: String] = [:]) -> [String: String] {
    var keys = [
        "likeness.engine.\(name).kind": kind, "likeness.engine.\(name).baseUrl": baseURL,
        "likeness.engine.\(name).apiKey": "sk-upstream", "likeness.engine.\(name).retry.initialBackoffMs": "20",
        "likeness.engine.\(name).requestsPerMinute": "0", "likeness.engine.\(name).pollIntervalMs": "20",
    ]
    keys.merge(extra) { _, new in new }
    return keys
}

extension TestClientProtocol {
    /// POSTs an OpenAI-compatible generation and returns the status, headers and JSON body.
    func openAIGenerate(_ fields: [String: Any], key: String) async throws -> (TestResponse, [String: Any]) {
        let response = try await post(
            "/v1/images/generations", body: try JSONSerialization.data(withJSONObject: fields),
            authorization: "Bearer \(key)")
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (response, object ?? [:])
    }
}

/// The upstream engines inside the server: how the dialects answer their failures, and what the
/// queue's workers, pacing, passthrough and shutdown do with them. The engines alone, fault by
/// fault, are tested at their own layer (`LikenessEnginesTests/UpstreamEnginesTests`).
@Suite("upstream engines against their simulators")
struct UpstreamEngineTests {
    /// A harness whose only route is `keys`.
    func harness(
        _ keys: [String: String], workers: Int = 2, _ configure: (inout LikenessConfiguration) -> Void = { _ in }
    )
        throws -> Harness
    {
        let settings = try routing(["likeness.engines": keys["likeness.engines"] ?? "up"].merging(keys) { $1 })
        return try Harness { configuration in
            configuration.routing = settings
            configuration.maximumConcurrentJobs = workers
            configure(&configuration)
        }
    }

    @Test("the seed's native request with a subject reference, through the MiniMax engine, re-hosted")
    func miniMaxSeed() async throws {
        let upstream = Upstream(.minimax)
        try await upstream.run { base in
            let harness = try harness(engineKeys("up", kind: "minimax", baseURL: base))
            try await harness.test(engine: nil) { client in
                let fields: [String: Any] = [
                    "model": "image-01", "prompt": "A man in a white t-shirt, full-body, standing front view",
                    "aspect_ratio": "16:9", "n": 2, "response_format": "url", "prompt_optimizer": true,
                    "subject_reference": [["type": "character", "image_file": dataURL(try jpegReference())]],
                ]
                try await client.generate(fields, key: harness.key) { response, reply in
                    #expect(reply.base_resp.status_code == 0)
                    #expect(response.headers[HTTPField.Name("X-Likeness-Engine")!] == "up")
                    #expect(reply.metadata?.success_count == "2")
                    let urls = reply.data?.image_urls ?? []
                    #expect(urls.count == 2 && urls.allSatisfy { $0.contains("/v1/files/") })
                }
            }
            let received = try #require(upstream.state.received.first)
            #expect(received.authorization == "Bearer sk-upstream")
            let sent = try #require(try JSONSerialization.jsonObject(with: received.body) as? [String: Any])
            let reference = try #require((sent["subject_reference"] as? [[String: Any]])?.first)
            #expect(reference["type"] as? String == "character")
            #expect((reference["image_file"] as? String)?.hasPrefix("data:image/jpeg;base64,") == true)
            #expect(sent["aspect_ratio"] as? String == "16:9" && sent["n"] as? Int == 2)
        }
    }

    @Test("fal's subject-reference app through the fal engine: submit, poll, result, Key auth")
    func falSeed() async throws {
        let upstream = Upstream(.fal)
        try await upstream.run { base in
            let harness = try harness(engineKeys("up", kind: "fal", baseURL: base))
            try await harness.test(engine: nil) { client in
                let reply = try await FalQueueClient(client: client, key: harness.key).call(
                    .post, "/fal/fal-ai/minimax/image-01/subject-reference",
                    body: [
                        "prompt": "portrait in a garden", "image_url": dataURL(try jpegReference()), "num_images": 1,
                    ])
                #expect(reply.status == .ok)
                let images = try #require(reply.object["images"] as? [[String: Any]])
                #expect(images.count == 1 && images[0]["width"] as? Int == 1024)
            }
            #expect(upstream.state.received.map(\.path) == ["/fal-ai/minimax/image-01/subject-reference"])
            #expect(upstream.state.received.first?.authorization == "Key sk-upstream")
            #expect(upstream.state.statusPolls >= 1)
        }
    }

    @Test("the caller's own faults pass through at once and are never retried", arguments: [2013, 1026])
    func callerFaults(code: Int) async throws {
        let upstream = Upstream(.minimax)
        upstream.state.inject(.code(code))
        try await upstream.run { base in
            let harness = try harness(engineKeys("up", kind: "minimax", baseURL: base))
            try await harness.test(engine: nil) { client in
                let (response, body) = try await client.openAIGenerate(
                    ["model": "image-01", "prompt": "a lighthouse"], key: harness.key)
                #expect(response.status == (code == 2013 ? .badRequest : .forbidden))
                #expect((body["error"] as? [String: Any])?["code"] as? String == String(code))
            }
            #expect(upstream.state.received.count == 1)
        }
    }

    @Test("an upstream that refuses the operator's key fails over, and alone is a 502 that never blames the caller")
    func operatorFaults() async throws {
        let refusing = Upstream(.minimax, apiKey: "another-key")
        let backup = Upstream(.openai)
        try await refusing.run { refusingBase in
            try await backup.run { backupBase in
                var keys = engineKeys("primary", kind: "minimax", baseURL: refusingBase)
                keys.merge(engineKeys("backup", kind: "openai", baseURL: backupBase)) { $1 }
                keys["likeness.engines"] = "primary,backup"
                let pair = try harness(keys)
                try await pair.test(engine: nil) { client in
                    let (response, body) = try await client.openAIGenerate(
                        ["model": "image-01", "prompt": "a lighthouse", "response_format": "b64_json"], key: pair.key)
                    #expect(response.status == .ok)
                    #expect(response.headers[HTTPField.Name("X-Likeness-Engine")!] == "backup")
                    #expect((body["data"] as? [[String: Any]])?.count == 1)
                }
                #expect(refusing.state.received.count == 1)  // 1004 is not retried on the same account
                #expect(backup.state.received.count == 1)

                let alone = try harness(engineKeys("up", kind: "minimax", baseURL: refusingBase))
                try await alone.test(engine: nil) { client in
                    let (response, body) = try await client.openAIGenerate(
                        ["model": "image-01", "prompt": "a lighthouse"], key: alone.key)
                    #expect(response.status == .badGateway)
                    let error = try #require(body["error"] as? [String: Any])
                    #expect(error["type"] as? String == "upstream_error")
                    #expect((error["message"] as? String)?.contains("1004") == true)
                }
            }
        }
    }

    @Test("the concurrency cap of an upstream account holds however many workers there are")
    func concurrencyCap() async throws {
        var slow = Upstream(.minimax)
        // Long enough that jobs overlap even on a loaded machine.
        slow.settings.latency = .milliseconds(500)
        let upstream = slow
        try await upstream.run { base in
            let harness = try harness(
                engineKeys("up", kind: "minimax", baseURL: base, extra: ["likeness.engine.up.maxConcurrent": "2"]),
                workers: 6)
            try await harness.test(engine: nil) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            try await client.generate(
                                ["model": "image-01", "prompt": "job \(index)"], key: harness.key
                            ) {
                                _, reply in #expect(reply.base_resp.status_code == 0)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(upstream.state.received.count == 6)
            #expect(upstream.state.peakInFlight == 2)
        }
    }

    @Test("paced jobs wait in the queue with true positions, and starts are spaced by the account's rate")
    func pacing() async throws {
        // 30 a minute: two seconds between starts, room for a loaded machine's scheduling jitter.
        let upstream = Upstream(.minimax, requestsPerMinute: 30)
        try await upstream.run { base in
            let harness = try harness(
                engineKeys("up", kind: "minimax", baseURL: base, extra: ["likeness.engine.up.requestsPerMinute": "30"]),
                workers: 3)
            try await harness.test(engine: nil) { client in
                // A first request warms the path (connections, first-use costs), so that the starts
                // measured below differ only by the pacing.
                try await client.generate(["model": "image-01", "prompt": "warm-up"], key: harness.key) { _, reply in
                    #expect(reply.base_resp.status_code == 0)
                }
                let fal = FalQueueClient(client: client, key: harness.key)
                var ids: [String] = []
                for index in 0..<3 { ids.append(try await fal.submitted(["prompt": "paced \(index)"])) }
                // The third is behind the second, which cannot start until two seconds after the first.
                let last = try await fal.status(ids[2])
                #expect(last.object["status"] as? String == "IN_QUEUE")
                #expect((last.object["queue_position"] as? Int ?? 0) >= 1)
                for id in ids { try await fal.waitForStatus(id, until: status("COMPLETED")) }
                for id in ids { #expect(try await fal.result(id).status == .ok) }
            }
            let times = upstream.state.received.map(\.at)
            #expect(times.count == 4)  // the simulator's own limit of 30 a minute never refused one
            // Starts are scheduled two seconds apart from the warm-up's on. A start is never sent
            // before its turn, but may be sent after it on a loaded machine, which brings that one
            // closer to the next: so the span is measured from the warm-up, sent at once.
            if times.count == 4 { #expect(times[3] - times[0] >= .milliseconds(5500)) }
            // No start is wasted: every worker waited for the first job, and each one's turn goes to
            // the job at the head when it comes (4 s here; 8 s if turns were lost to the race).
            if times.count == 4 { #expect(times[3] - times[1] < .seconds(6)) }
        }
    }

    @Test("a synchronous caller past the wait limit gets a rate limit with Retry-After, not a hang")
    func synchronousWaitLimit() async throws {
        let upstream = Upstream(.minimax)
        try await upstream.run { base in
            let harness = try harness(
                engineKeys("up", kind: "minimax", baseURL: base, extra: ["likeness.engine.up.requestsPerMinute": "20"]),
                workers: 1
            ) { configuration in
                configuration.queue.synchronousStartLimit = .milliseconds(1500)  // under the 3 s between starts
            }
            try await harness.test(engine: nil) { client in
                let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for index in 0..<3 {
                        group.addTask {
                            let (response, _) = try await client.openAIGenerate(
                                ["model": "image-01", "prompt": "sync \(index)"], key: harness.key)
                            return (response.status, response.headers[.retryAfter])
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0.0 == .ok }.count == 1)
                let limited = statuses.filter { $0.0 == .tooManyRequests }
                #expect(limited.count == 2)
                #expect(limited.allSatisfy { Int($0.1 ?? "") ?? 0 >= 1 })
            }
            #expect(upstream.state.received.count == 1)
        }
    }

    @Test("passthrough hands out the provider's own URLs and stores no file")
    func passthrough() async throws {
        let upstream = Upstream(.minimax)
        try await upstream.run { base in
            let harness = try harness(
                engineKeys("up", kind: "minimax", baseURL: base, extra: ["likeness.engine.up.results": "passthrough"]))
            try await harness.test(engine: nil) { client in
                try await client.generate(["model": "image-01", "prompt": "a lighthouse", "n": 2], key: harness.key) {
                    _, reply in
                    #expect(reply.data?.image_urls?.allSatisfy { $0.hasPrefix(base + "/simulator/files/") } == true)
                }
            }
            #expect(try harness.directory.store.imageIDs().count == 2)
            #expect(harness.directory.blobs.sweep(keeping: []) == 0)
        }
    }

    @Test("passthrough on an OpenAI-compatible upstream asks it for URLs and hands them on")
    func openAIPassthrough() async throws {
        let upstream = Upstream(.openai)
        try await upstream.run { base in
            let harness = try harness(
                engineKeys("up", kind: "openai", baseURL: base, extra: ["likeness.engine.up.results": "passthrough"]))
            try await harness.test(engine: nil) { client in
                let (response, body) = try await client.openAIGenerate(
                    ["model": "image-01", "prompt": "a lighthouse", "response_format": "url"], key: harness.key)
                #expect(response.status == .ok)
                let url = try #require((body["data"] as? [[String: Any]])?.first?["url"] as? String)
                #expect(url.contains("/simulator/files/"))
            }
            let received = try #require(upstream.state.received.first)
            let sent = try #require(try JSONSerialization.jsonObject(with: received.body) as? [String: Any])
            #expect(sent["response_format"] as? String == "url")
        }
    }

    @Test("a graceful stop puts a job waiting on its upstream back in the queue, and the next start finishes it")
    func shutdownRequeuesUpstreamJob() async throws {
        // The first answer takes long enough that the stop always comes first, even on a busy machine.
        let upstream = Upstream(.minimax)
        upstream.state.inject(.latency(milliseconds: 5000))
        try await upstream.run { base in
            let harness = try harness(engineKeys("up", kind: "minimax", baseURL: base))
            let id = try await harness.test(engine: nil) { client in
                let fal = FalQueueClient(client: client, key: harness.key)
                let id = try await fal.submitted(["prompt": "interrupted by a shutdown"])
                try await waitFor("the upstream to receive it") { !upstream.state.received.isEmpty }
                return id
            }
            let job = try #require(try harness.directory.store.job(id: id))
            #expect(job.status == .queued && job.attempts == 0)
            try await harness.test(engine: nil) { _ in try await waitUntilFinished(id, in: harness.directory.store) }
            #expect(try harness.directory.store.job(id: id)?.status == .succeeded)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessSimulators
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

extension TestClientProtocol {
    /// `GET /health` as JSON.
    func health() async throws -> [String: Any] {
        try await execute(uri: "/health", method: .get) { response in
            #expect(response.status == .ok)
            return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
        }
    }

    /// One engine's entry in `/health`.
    func upstreamHealth(_ engine: String) async throws -> [String: Any] {
        try await health()["engines"].flatMap { ($0 as? [String: Any])?[engine] as? [String: Any] } ?? [:]
    }
}

/// Pools of upstream accounts inside the server, against simulators of strict providers.
@Suite("upstream pools against their simulators")
struct UpstreamPoolTests {
    /// Engines `names` of `kind` at `baseURL`, each on its own key (`key-<name>`), and `route`.
    func poolKeys(
        _ names: [String], kind: String = "minimax", baseURL: String, extra: [String: String] = [:]
    ) -> [String: String] {
        var keys: [String: String] = [:]
        for name in names {
            keys.merge(engineKeys(name, kind: kind, baseURL: baseURL)) { $1 }
            keys["likeness.engine.\(name).apiKey"] = "key-\(name)"
        }
        keys.merge(extra) { $1 }
        return keys
    }

    func harness(_ keys: [String: String], engines: [String], route: String, workers: Int) throws -> Harness {
        var values = keys
        values["likeness.engines"] = engines.joined(separator: ",")
        let settings = try routing(values)
        var routed = try #require(settings)
        routed.routes[.image01] = route.split(separator: ",").map { $0.split(separator: "|").map(String.init) }
        routed.routes[.image01Live] = routed.routes[.image01]
        return try Harness { configuration in
            configuration.routing = routed
            configuration.maximumConcurrentJobs = workers
        }
    }

    @Test(
        "an account answering 2049 is taken out: the others carry every job, /health shows it out, a probe brings it back"
    )
    func refusedMemberAndProbe() async throws {
        var shared = Upstream(.minimax)
        shared.settings.apiKey = nil
        let others = shared
        var lone = Upstream(.minimax)
        lone.settings.apiKey = nil
        let refusing = lone
        refusing.state.inject(.code(2049), count: 1000)
        try await others.run { othersBase in
            try await refusing.run { refusingBase in
                var keys = poolKeys(["a", "c"], baseURL: othersBase)
                keys.merge(poolKeys(["b"], baseURL: refusingBase)) { $1 }
                // Long enough that a loaded machine still reads /health inside it (3 s was not, with
                // the nine requests taking longer than that); short enough to wait out.
                for name in ["a", "b", "c"] { keys["likeness.engine.\(name).health.cooldownSeconds"] = "8" }
                let harness = try harness(keys, engines: ["a", "b", "c"], route: "a|b|c", workers: 3)
                try await harness.test(engine: nil) { client in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<9 {
                            group.addTask {
                                let (response, body) = try await client.openAIGenerate(
                                    ["model": "image-01", "prompt": "carried \(index)"], key: harness.key)
                                #expect(response.status == .ok, "\(body)")
                                #expect(response.headers[HTTPField.Name("X-Likeness-Engine")!] != "b")
                            }
                        }
                        try await group.waitForAll()
                    }
                    let out = try await client.upstreamHealth("b")
                    #expect(out["state"] as? String == "out")
                    #expect((out["reason"] as? String)?.contains("2049") == true)
                    #expect(try await client.upstreamHealth("a")["state"] as? String == "in")
                    #expect(try await client.health()["status"] as? String == "ok")
                    let refusedBeforeRecovery = refusing.state.received.count
                    #expect(refusedBeforeRecovery >= 1)

                    // The provider recovers; after the cool-down a probe finds it and it is back.
                    refusing.state.clearFaults()
                    try await Task.sleep(for: .milliseconds(8100))
                    let recovered = try await eventually(timeout: .seconds(20), every: .milliseconds(1)) {
                        let (response, _) = try await client.openAIGenerate(
                            ["model": "image-01", "prompt": "probe"], key: harness.key)
                        #expect(response.status == .ok)
                        return response.headers[HTTPField.Name("X-Likeness-Engine")!] == "b"
                    }
                    #expect(recovered)
                    #expect(try await client.upstreamHealth("b")["state"] as? String == "in")
                    #expect(refusing.state.received.count > refusedBeforeRecovery)
                }
            }
        }
    }

    @Test("with the whole first tier out the second tier serves; a model with nothing left makes /health degraded")
    func secondTier() async throws {
        let refusing = Upstream(.minimax, apiKey: "the-right-key")
        let fallback = Upstream(.openai)
        try await refusing.run { refusingBase in
            try await fallback.run { fallbackBase in
                var keys = poolKeys(["a", "b"], baseURL: refusingBase)
                keys.merge(engineKeys("c", kind: "openai", baseURL: fallbackBase)) { $1 }
                let harness = try harness(keys, engines: ["a", "b", "c"], route: "a|b,c", workers: 2)
                try await harness.test(engine: nil) { client in
                    for index in 0..<4 {
                        let (response, body) = try await client.openAIGenerate(
                            ["model": "image-01", "prompt": "fallback \(index)"], key: harness.key)
                        #expect(response.status == .ok, "\(body)")
                        #expect(response.headers[HTTPField.Name("X-Likeness-Engine")!] == "c")
                    }
                    // Each account was refused once (1004), then passed over.
                    #expect(refusing.state.received.count == 2)
                    #expect(fallback.state.received.count == 4)
                    let health = try await client.health()
                    #expect(health["status"] as? String == "ok")
                    let routes = try #require(health["routes"] as? [String: Any])
                    #expect(routes["image-01"] as? [[String]] == [["a", "b"], ["c"]])
                    for name in ["a", "b"] {
                        #expect(try await client.upstreamHealth(name)["state"] as? String == "out")
                    }
                    let fallbackState = try await client.upstreamHealth("c")
                    #expect(fallbackState["state"] as? String == "in")
                    #expect(fallbackState["in_flight"] as? Int == 0)
                }
            }
        }
        // A route of the first tier alone has nothing left once it is out.
        try await refusing.run { refusingBase in
            let harness = try harness(
                poolKeys(["a", "b"], baseURL: refusingBase), engines: ["a", "b"], route: "a|b", workers: 2)
            try await harness.test(engine: nil) { client in
                let (response, body) = try await client.openAIGenerate(
                    ["model": "image-01", "prompt": "nowhere"], key: harness.key)
                #expect(response.status == .badGateway)
                #expect(((body["error"] as? [String: Any])?["message"] as? String)?.contains("1004") == true)
                #expect(try await client.health()["status"] as? String == "degraded")
                // The next request fails at once, naming why, without reaching the provider.
                let before = refusing.state.received.count
                let (again, againBody) = try await client.openAIGenerate(
                    ["model": "image-01", "prompt": "nowhere again"], key: harness.key)
                #expect(again.status == .badGateway)
                #expect(
                    ((againBody["error"] as? [String: Any])?["message"] as? String)?.contains("out of service") == true)
                #expect(refusing.state.received.count == before)
            }
        }
    }
}

/// Throughput against a provider that counts strictly, to within the pacing margin: run alone
/// by `scripts/test.sh`, after the other suites, since on a CPU shared with them the scheduling
/// jitter would be measured instead of the placement.
@Suite("upstream pool throughput, run alone")
struct UpstreamThroughputTests {
    @Test("three accounts in one pool complete a backlog at 95% or more of their summed limit, with no 1002")
    func summedThroughput() async throws {
        // The provider allows each key 60 a minute, counted strictly over any 5 s; Likeness paces
        // each account at 58, the margin an operator keeps for the network's jitter.
        var provider = Upstream(.minimax)
        provider.settings.apiKey = nil
        provider.settings.requestsPerMinute = 60
        provider.settings.rateWindow = .seconds(5)
        let upstream = provider
        let members = ["a", "b", "c"]
        let perMember = 12
        try await upstream.run { base in
            var keys = UpstreamPoolTests().poolKeys(members, baseURL: base)
            for name in members { keys["likeness.engine.\(name).requestsPerMinute"] = "58" }
            let harness = try UpstreamPoolTests().harness(keys, engines: members, route: "a|b|c", workers: 9)
            try await harness.test(engine: nil) { client in
                let fal = FalQueueClient(client: client, key: harness.key)
                var ids: [String] = []
                for index in 0..<(perMember * members.count) {
                    ids.append(try await fal.submitted(["prompt": "backlog \(index)"]))
                }
                for id in ids { try await fal.waitForStatus(id, until: status("COMPLETED")) }
            }
        }
        let received = upstream.state.received
        #expect(received.filter(\.rateLimited).isEmpty)
        let served = received.filter { !$0.rateLimited }
        #expect(served.count == perMember * members.count)
        for name in members {
            let share = served.filter { $0.authorization == "Bearer key-\(name)" }.count
            // Within 10% of an equal share.
            #expect(abs(Double(share) - Double(perMember)) <= Double(perMember) * 0.1, "\(name) served \(share)")
        }
        // The sustained rate: the first start of each account is free, the rest are paced.
        let times = served.map(\.at).sorted()
        let span = try #require(times.first).duration(to: try #require(times.last)).seconds
        let summedLimitPerSecond = Double(members.count) * 60 / 60
        let utilisation = Double(served.count - members.count) / (span * summedLimitPerSecond)
        #expect(utilisation >= 0.95, "utilisation \(utilisation) over \(span) s")
    }
}

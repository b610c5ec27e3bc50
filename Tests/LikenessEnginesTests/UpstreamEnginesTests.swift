import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import LikenessAPI
import LikenessEngines
import LikenessSimulators
import Logging
import Testing

/// The upstream engines at their own layer: each engine, and the router over it, against its
/// provider's simulator, with no server, queue or store around them.
@Suite("upstream engines at the engines layer")
struct UpstreamEnginesTests {
    /// Runs `body` with a simulator of `provider` listening, and an engine of that kind on it.
    func withEngine(
        _ provider: SimulatedProvider, state: SimulatorState = SimulatorState(),
        _ body: @escaping @Sendable (any ImageEngine, SimulatorState) async throws -> Void
    ) async throws {
        let settings = SimulatorSettings(provider: provider, apiKey: "sk-upstream")
        try await buildSimulator(settings, state: state).test(.live) { client in
            let root = "http://127.0.0.1:\(try #require(client.port))"
            let endpoint = UpstreamEndpoint(
                name: provider.rawValue, baseURL: provider == .openai ? root + "/v1" : root, apiKey: "sk-upstream",
                requestTimeout: .seconds(10))
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let engine: any ImageEngine =
                switch provider {
                case .minimax: MiniMaxEngine(endpoint: endpoint, client: http)
                case .fal:
                    FalEngine(endpoint: endpoint, client: http, pollInterval: .milliseconds(20), deadline: .seconds(10))
                case .openai:
                    OpenAICompatibleEngine(
                        endpoint: endpoint, client: http)
                }
            do {
                try await body(engine, state)
                try await http.shutdown()
            } catch {
                try await http.shutdown()
                throw error
            }
        }
    }

    static let request = GenerationRequest(
        prompt: "a lighthouse at dawn", aspectRatio: .landscape3x2, count: 2, seed: 7)

    @Test("each engine makes the images its provider returns, at the size asked", arguments: SimulatedProvider.allCases)
    func generates(provider: SimulatedProvider) async throws {
        try await withEngine(provider) { engine, state in
            let output = try await engine.generate(
                EngineJob(id: "job", request: Self.request, seeds: Self.request.imageSeeds())
            ) { _ in }
            #expect(output.images.count == 2)
            #expect(output.images.allSatisfy { $0.size == AspectRatio.landscape3x2.pixelSize && !$0.jpeg.isEmpty })
            #expect(state.received.count == 1)
            #expect(state.received.first?.authorization?.contains("sk-upstream") == true)
        }
    }

    @Test("the router retries a busy provider and reports the engine that served")
    func routerRetries() async throws {
        try await withEngine(.minimax) { engine, state in
            state.inject(.code(1002), count: 2)
            let router = EngineRouter(routes: [
                .image01: [
                    RouteStep(
                        engine: engine, pacer: UpstreamPacer(limits: .init()),
                        retry: RetryPolicy(initialBackoff: .milliseconds(10)))
                ]
            ])
            let output = try await router.generate(
                EngineJob(id: "job", request: Self.request, seeds: Self.request.imageSeeds())
            ) { _ in }
            #expect(output.images.count == 2 && output.engine == "minimax")
            #expect(state.received.count == 3)
        }
    }

    @Test("the caller's fault is not retried: 2013 ends the request at once")
    func callersFaultEnds() async throws {
        try await withEngine(.minimax) { engine, state in
            state.inject(.code(2013))
            let router = EngineRouter(routes: [
                .image01: [RouteStep(engine: engine, pacer: UpstreamPacer(limits: .init()))]
            ])
            await #expect(throws: APIError.self) {
                _ = try await router.generate(
                    EngineJob(id: "job", request: Self.request, seeds: Self.request.imageSeeds())
                ) { _ in }
            }
            #expect(state.received.count == 1)
        }
    }
}

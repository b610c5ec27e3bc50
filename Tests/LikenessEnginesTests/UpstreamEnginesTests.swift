import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessSimulators
import LikenessUpstream
import Logging
import Testing

/// The upstream engines at their own layer: each engine, and the router that paces, retries and
/// fails over, against its provider's simulator, with no server, queue or store around them.
/// (`LikenessServerTests` keeps what needs those: the dialects' answers, workers and pacing of
/// the queue, passthrough files, shutdown.)
@Suite("upstream engines at the engines layer")
struct UpstreamEnginesTests {
    /// Runs `body` with a simulator of `provider` listening and a one-engine route to it, retried
    /// quickly (`retry`).
    func withRoute(
        _ provider: SimulatedProvider, state: SimulatorState = SimulatorState(),
        retry: RetryPolicy = RetryPolicy(initialBackoff: .milliseconds(20)),
        transport: OpenAIUpstream.ReferenceTransport = .edits,
        _ body: @escaping @Sendable (EngineRouter, SimulatorState) async throws -> Void
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
                case .openai: OpenAICompatibleEngine(endpoint: endpoint, client: http, referenceTransport: transport)
                }
            let router = EngineRouter(
                serving: [.image01],
                with: RouteStep(engine: engine, pacer: UpstreamPacer(limits: .init()), retry: retry))
            do {
                try await body(router, state)
                try await http.shutdown()
            } catch {
                try await http.shutdown()
                throw error
            }
        }
    }

    static let request = GenerationRequest(
        prompt: "a lighthouse at dawn", aspectRatio: .landscape3x2, count: 2, seed: 7)

    static func generate(_ router: EngineRouter, reference: Data? = nil) async throws -> EngineOutput {
        var request = request
        if let reference { request.subjectReference = SubjectReference(source: .inline(reference)) }
        return try await router.generate(
            EngineJob(id: "job", request: request, seeds: request.imageSeeds(), referenceImage: reference)
        ) { _ in }
    }

    @Test("each engine makes the images its provider returns, at the size asked", arguments: SimulatedProvider.allCases)
    func generates(provider: SimulatedProvider) async throws {
        try await withRoute(provider) { router, state in
            let output = try await Self.generate(router)
            #expect(output.images.count == 2 && output.engine == provider.rawValue)
            #expect(output.images.allSatisfy { $0.size == AspectRatio.landscape3x2.pixelSize && !$0.jpeg.isEmpty })
            #expect(state.received.count == 1)
            #expect(state.received.first?.authorization?.contains("sk-upstream") == true)
        }
    }

    @Test(
        "an OpenAI-compatible upstream takes the reference as its route says",
        arguments: [
            OpenAIUpstream.ReferenceTransport.edits, .subjectReference,
        ])
    func openAIReference(transport: OpenAIUpstream.ReferenceTransport) async throws {
        let reference = try RasterImage.panel(width: 96, height: 128, colour: RGB(200, 40, 60), alpha: 255)
            .encoded(as: .jpeg(quality: 90))
        try await withRoute(.openai, transport: transport) { router, state in
            let output = try await Self.generate(router, reference: reference)
            #expect(output.images.count == 2)
            #expect(state.received.first?.path == (transport == .edits ? "/v1/images/edits" : "/v1/images/generations"))
        }
    }

    /// Every transient fault against every simulator; an OpenAI-compatible upstream answers base64
    /// here, so it has no result URL to expire.
    static let transientCases: [(SimulatedProvider, SimulatedFault)] = SimulatedProvider.allCases.flatMap {
        provider in
        [
            SimulatedFault.httpStatus(503, retryAfterSeconds: nil), .code(1002), .code(1024), .malformedJSON,
            .truncatedBody, .connectionReset, .expiredResultURLs,
        ].filter { provider != .openai || $0 != .expiredResultURLs }.map { (provider, $0) }
    }

    @Test("a transient fault is retried once and the images come", arguments: transientCases)
    func transientFaults(provider: SimulatedProvider, fault: SimulatedFault) async throws {
        let state = SimulatorState()
        state.inject(fault)
        try await withRoute(provider, state: state) { router, state in
            let output = try await Self.generate(router)
            #expect(output.images.count == 2)
            #expect(state.received.count == 2)
        }
    }

    @Test("latency is only waited out: one request, the images")
    func latency() async throws {
        let state = SimulatorState()
        state.inject(.latency(milliseconds: 300))
        try await withRoute(.minimax, state: state) { router, state in
            let output = try await Self.generate(router)
            #expect(output.images.count == 2)
            #expect(state.received.count == 1)
        }
    }

    @Test("a burst of 429s with Retry-After is waited out before each next attempt")
    func retryAfter() async throws {
        let state = SimulatorState()
        state.inject(.httpStatus(429, retryAfterSeconds: 1), count: 2)
        try await withRoute(.openai, state: state) { router, state in
            let output = try await Self.generate(router)
            #expect(output.images.count == 2)
            let times = state.received.map(\.at)
            #expect(times.count == 3)
            for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= .milliseconds(950)) }
        }
    }

    @Test("the caller's fault is not retried: 2013 ends the request at once, as the caller's")
    func callersFaultEnds() async throws {
        let state = SimulatorState()
        state.inject(.code(2013))
        try await withRoute(.minimax, state: state) { router, state in
            do {
                _ = try await Self.generate(router)
                Issue.record("a 2013 from the upstream was not an error")
            } catch let error as APIError {
                #expect(error.code == .invalidParameters && error.reason != .upstream)
            }
            #expect(state.received.count == 1)
        }
    }

    @Test("when retries are spent the error is the upstream's, once, after the bounded attempts")
    func retriesSpent() async throws {
        let state = SimulatorState()
        state.inject(.httpStatus(500, retryAfterSeconds: nil), count: 10)
        let retry = RetryPolicy(maximumAttempts: 3, initialBackoff: .milliseconds(20))
        try await withRoute(.minimax, state: state, retry: retry) { router, state in
            do {
                _ = try await Self.generate(router)
                Issue.record("an upstream failing every time gave images")
            } catch let error as APIError {
                #expect(error.reason == .upstream && error.message.contains("HTTP 500"))
            }
            #expect(state.received.count == 3)
        }
    }

    @Test("fal status polls that fail are retried in place: the request is submitted once")
    func falPollsDoNotResubmit() async throws {
        let state = SimulatorState()
        state.inject(.failingPolls(count: 3))
        try await withRoute(.fal, state: state) { router, state in
            let output = try await Self.generate(router)
            #expect(output.images.count == 2)
            #expect(state.received.count == 1)
            #expect(state.statusPolls >= 4)
        }
    }
}

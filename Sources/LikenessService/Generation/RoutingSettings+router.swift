import AsyncHTTPClient
import CoreMetrics
import Foundation
import LikenessEngines
import Logging
import NIOCore
import ServiceLifecycle

extension RoutingSettings {
    /// The router for these settings. Engines on the same upstream account (kind, base URL and
    /// key) share one pacer and one health, so two routes through one account together stay
    /// under its limit, and an account refused in one is out in all.
    /// `pacing`: a fleet's shared schedule, so that replicas on one upstream account together
    /// keep to its rate; nil alone.
    package func makeRouter(
        client: HTTPClient, logger: Logger, metrics: any MetricsFactory, pacing: (any PacingSchedule)? = nil
    ) -> EngineRouter {
        var accounts: [String: (UpstreamPacer, AccountHealth)] = [:]
        var steps: [String: RouteStep] = [:]
        for settings in engines {
            let account = [settings.kind.rawValue, settings.baseURL, settings.apiKey ?? ""].joined(separator: "\n")
            let shared = pacing.map {
                UpstreamPacer.SharedSchedule(
                    account: SharedPacing.account(
                        kind: settings.kind.rawValue, baseURL: settings.baseURL, apiKey: settings.apiKey ?? ""),
                    schedule: $0)
            }
            let (pacer, health) =
                accounts[account]
                ?? (UpstreamPacer(limits: settings.limits, shared: shared), AccountHealth(settings: settings.health))
            accounts[account] = (pacer, health)
            let endpoint = UpstreamEndpoint(
                name: settings.name, baseURL: settings.baseURL, apiKey: settings.apiKey,
                requestTimeout: settings.requestTimeout, results: settings.results)
            let engine: any ImageEngine =
                switch settings.kind {
                case .minimax: MiniMaxEngine(endpoint: endpoint, client: client)
                case .fal:
                    FalEngine(
                        endpoint: endpoint, client: client, pollInterval: settings.pollInterval,
                        deadline: settings.requestTimeout)
                case .openai:
                    OpenAICompatibleEngine(
                        endpoint: endpoint, client: client, upstreamModel: settings.upstreamModel,
                        referenceTransport: settings.referenceTransport)
                case .preview: PreviewEngine()
                }
            steps[settings.name] = RouteStep(
                name: settings.name, engine: engine, pacer: pacer, health: health, retry: settings.retry,
                weight: settings.weight,
                priceUSD: settings.priceUSD)
        }
        return EngineRouter(
            routes: routes.mapValues { tiers in
                tiers.map { names in UpstreamPool(names.compactMap { steps[$0] }) }
            }, logger: logger, metrics: metrics)
    }

    /// The HTTP client every upstream engine shares: enough connections per host for a busy
    /// route, and redirects followed for result downloads from a CDN.
    package static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.redirectConfiguration = .follow(max: 3, allowCycles: false)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// Shuts the upstream HTTP client down when the server stops.
package struct HTTPClientService: Service {
    let client: HTTPClient

    package init(client: HTTPClient) {
        self.client = client
    }

    package func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

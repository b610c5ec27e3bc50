import Hummingbird
import LikenessService
import Logging
import ServiceLifecycle

/// `/metrics` on a listener of its own (`likeness.metrics.address`), without a key: for a
/// scraper on an internal network, away from the API's port.
struct MetricsListener: Service {
    let listener: MetricsSettings.Listener
    let scrape: @Sendable () async -> Response
    let logger: Logger

    func run() async throws {
        let router = Router()
        router.get("/metrics") { _, _ in await scrape() }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(listener.host, port: listener.port), serverName: "Likeness"),
            logger: logger)
        try await application.run()
    }
}

import ArgumentParser
import Hummingbird
import LikenessSimulators

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a stand-in for an upstream provider, with faults on demand (POST /simulator/faults).")

    @Argument(help: "The provider to simulate: minimax, fal or openai.")
    var provider: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 9090

    @Option(name: .customLong("api-key"), help: "The only key accepted (any key when unset).")
    var apiKey: String?

    @Option(help: "Requests per minute allowed per key, refused past it as the provider would.")
    var rpm: Int?

    @Option(
        name: .customLong("rate-window-seconds"),
        help: "The sliding window the rate is counted over, with the limit scaled to it (default 60).")
    var rateWindowSeconds = 60.0

    @Option(name: .customLong("latency-ms"), help: "Milliseconds added to every generation.")
    var latencyMilliseconds = 0

    func run() async throws {
        guard let provider = SimulatedProvider(rawValue: provider) else {
            throw ValidationError("the provider must be one of: minimax, fal, openai")
        }
        let settings = SimulatorSettings(
            provider: provider, host: host, port: port, apiKey: apiKey, requestsPerMinute: rpm,
            rateWindow: .milliseconds(Int64(max(0.001, rateWindowSeconds) * 1000)),
            latency: .milliseconds(latencyMilliseconds))
        say("Simulating \(provider.rawValue) on http://\(host):\(port)")
        try await buildSimulator(settings).runService()
    }
}

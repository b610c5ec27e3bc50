import CoreMetrics
import Foundation
import LikenessCore
import LikenessEngines
import Prometheus

/// Every series the server publishes at `/metrics`, through swift-metrics into a Prometheus
/// registry of its own (so that two applications in one process, as in the tests, count
/// apart). Label values come from fixed sets: routes as registered, dialects, statuses, engine
/// names from the configuration, catalogue codes. No key, prompt or URL ever becomes a label.
package struct ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let series: SeriesCache
    package var factory: any MetricsFactory { series.factory }

    /// `recording` false: every series is a no-op (nobody can read them).
    package init(recording: Bool = true) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a cached answer to an upstream image that takes a minute.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        factory.valueHistogramBuckets["likeness_identity_score"] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
        series = SeriesCache(factory: recording ? factory : NOOPMetricsHandler.instance)
    }

    /// The Prometheus text exposition of every series so far.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    // MARK: HTTP

    package func request(route: String, dialect: String, status: Int, duration: Duration) {
        series.counter(
            "likeness_http_requests_total", [("route", route), ("dialect", dialect), ("status", String(status))]
        ).increment()
        series.timer("likeness_http_request_duration_seconds", [("route", route), ("dialect", dialect)])
            .recordNanoseconds(duration.wholeNanoseconds)
    }

    // MARK: Jobs

    /// `outcome`: `succeeded`, `failed` or `cancelled`; `code` the catalogue code (0 for success).
    func jobFinished(outcome: String, code: StatusCode?) {
        series.counter("likeness_jobs_total", [("outcome", outcome), ("code", String(code?.rawValue ?? 0))]).increment()
    }

    func queueWait(_ duration: Duration) {
        series.timer("likeness_queue_wait_seconds").recordNanoseconds(duration.wholeNanoseconds)
    }

    func queueDepth(_ jobs: Int) {
        Gauge(label: "likeness_queue_depth", factory: factory).record(jobs)
    }

    func engineTime(engine: String, model: String, _ duration: Duration) {
        series.timer("likeness_engine_duration_seconds", [("engine", engine), ("model", model)]).recordNanoseconds(
            duration.wholeNanoseconds)
    }

    func images(delivered: Int, withheld: Int) {
        if delivered > 0 {
            series.counter("likeness_images_total", [("outcome", "delivered")])
                .increment(by: delivered)
        }
        if withheld > 0 {
            series.counter("likeness_images_total", [("outcome", "withheld")])
                .increment(by: withheld)
        }
    }

    /// `kind`: `reserved` (when a job is accepted) or `charged` (for the images it delivered).
    func money(_ kind: String, _ amount: MicroDollars) {
        guard amount.value > 0 else { return }
        series.counter("likeness_money_microdollars_total", [("kind", kind)])
            .increment(by: Int(amount.value))
    }

    // MARK: Identity

    /// Each image scored against its reference (0…1), in buckets of a tenth.
    func identityScore(_ score: Double?) {
        guard let score else { return }
        Recorder(label: "likeness_identity_score", factory: factory).record(score)
    }

    /// Images the consistency guard had made again.
    func identityRetries(_ images: Int) {
        series.counter("likeness_identity_regenerated_images_total").increment(by: images)
    }

    // MARK: Outbound

    /// `outcome`: `delivered`, `failed` (will be retried), `given_up` or `refused` (address guard).
    func webhook(_ outcome: String) {
        series.counter("likeness_webhooks_total", [("outcome", outcome)]).increment()
    }

    package func referenceFetchRefused() {
        series.counter("likeness_reference_fetches_refused_total").increment()
    }

    /// Each upstream account's state at scrape time.
    package func upstreams(_ status: [ImageModel: [[EngineRouter.MemberStatus]]]) {
        var seen = Set<String>()
        for member in status.values.joined().joined() where seen.insert(member.name).inserted {
            let engine = [("engine", member.name)]
            Gauge(label: "likeness_upstream_in_placement", dimensions: engine, factory: factory)
                .record(member.health.state == .out ? 0 : 1)
            Gauge(label: "likeness_upstream_in_flight", dimensions: engine, factory: factory)
                .record(member.pacer.inFlight)
        }
    }
}

extension Duration {
    fileprivate static func milliseconds(_ value: Double) -> Duration { .nanoseconds(Int64(value * 1_000_000)) }

}

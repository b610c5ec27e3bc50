import CoreMetrics
import LikenessCore

/// The router's series: every upstream call by engine, outcome and provider code, retries,
/// failovers and pacer waits. Engine names come from the configuration and codes from a fixed
/// set (`UpstreamFailure.providerCode`), so the labels stay bounded.
struct UpstreamMetrics: Sendable {
    let series: SeriesCache

    init(factory: any MetricsFactory) {
        series = SeriesCache(factory: factory)
    }

    /// One attempt's end: nil for an answer with images.
    func call(engine: String, failure: UpstreamFailure?) {
        let outcome: String =
            switch failure?.disposition {
            case nil: "success"
            case .retry: "transient"
            case .nextEngine: "cannot_serve"
            case .fail: "refused_request"
            }
        series.counter(
            "likeness_upstream_requests_total",
            [
                ("engine", engine), ("outcome", outcome),
                ("code", failure == nil ? "0" : failure?.providerCode ?? "none"),
            ]
        ).increment()
    }

    func retry(engine: String) {
        series.counter("likeness_upstream_retries_total", [("engine", engine)])
            .increment()
    }

    /// A job handed away from `engine`: to another member of its pool, the next tier, or its end.
    func failover(engine: String) {
        series.counter("likeness_upstream_failovers_total", [("engine", engine)])
            .increment()
    }

    func pacerWait(engine: String, _ duration: Duration) {
        series.timer("likeness_upstream_pacer_wait_seconds", [("engine", engine)])
            .recordNanoseconds(duration.wholeNanoseconds)
    }
}

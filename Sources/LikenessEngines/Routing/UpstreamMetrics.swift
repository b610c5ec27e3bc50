import CoreMetrics
import LikenessCore

/// The router's series: every upstream call by engine, outcome and provider code, retries,
/// failovers and pacer waits. Engine names come from the configuration and codes from a fixed
/// set (`UpstreamFailure.providerCode`), so the labels stay bounded.
struct UpstreamMetrics: Sendable {
    let factory: any MetricsFactory

    /// One attempt's end: nil for an answer with images.
    func call(engine: String, failure: UpstreamFailure?) {
        let outcome: String =
            switch failure?.disposition {
            case nil: "success"
            case .retry: "transient"
            case .nextEngine: "cannot_serve"
            case .fail: "refused_request"
            }
        Counter(
            label: "likeness_upstream_requests_total",
            dimensions: [
                ("engine", engine), ("outcome", outcome),
                ("code", failure == nil ? "0" : failure?.providerCode ?? "none"),
            ], factory: factory
        ).increment()
    }

    func retry(engine: String) {
        Counter(label: "likeness_upstream_retries_total", dimensions: [("engine", engine)], factory: factory)
            .increment()
    }

    /// A job handed away from `engine`: to another member of its pool, the next tier, or its end.
    func failover(engine: String) {
        Counter(label: "likeness_upstream_failovers_total", dimensions: [("engine", engine)], factory: factory)
            .increment()
    }

    func pacerWait(engine: String, _ duration: Duration) {
        Timer(label: "likeness_upstream_pacer_wait_seconds", dimensions: [("engine", engine)], factory: factory)
            .recordNanoseconds(duration.wholeNanoseconds)
    }
}

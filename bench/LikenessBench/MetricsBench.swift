import CoreMetrics
import LikenessEngines
import Prometheus

/// What counting costs one request, in process: the ten series updates that `ServerMetrics` and
/// the router make for one upstream generation (request, its duration, the job, queue wait,
/// engine time, images, money reserved and charged, the upstream call, the pacer wait), through
/// the same `SeriesCache` into a Prometheus registry, against the same updates into no-op
/// handlers (`LIKENESS_METRICS_ACCESS=off`).
func benchMetricsCost(requests: Int) async -> String {
    func update(_ series: SeriesCache) {
        series.counter(
            "likeness_http_requests_total",
            [("route", "/v1/images/generations"), ("dialect", "openai"), ("status", "200")]
        ).increment()
        series.timer(
            "likeness_http_request_duration_seconds", [("route", "/v1/images/generations"), ("dialect", "openai")]
        ).recordNanoseconds(2_500_000)
        series.counter("likeness_jobs_total", [("outcome", "succeeded"), ("code", "0")]).increment()
        series.timer("likeness_queue_wait_seconds").recordNanoseconds(300_000)
        series.timer("likeness_engine_duration_seconds", [("engine", "up"), ("model", "image-01")])
            .recordNanoseconds(1_000_000)
        series.counter("likeness_images_total", [("outcome", "delivered")]).increment()
        series.counter("likeness_money_microdollars_total", [("kind", "reserved")]).increment(by: 3500)
        series.counter("likeness_money_microdollars_total", [("kind", "charged")]).increment(by: 3500)
        series.counter("likeness_upstream_requests_total", [("engine", "up"), ("outcome", "success"), ("code", "0")])
            .increment()
        series.timer("likeness_upstream_pacer_wait_seconds", [("engine", "up")]).recordNanoseconds(10_000)
    }
    func nanosecondsPerRequest(_ series: SeriesCache, concurrency: Int) async -> Double {
        update(series)  // the first request makes the series
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { for _ in 0..<(requests / concurrency) { update(series) } }
            }
        }
        return started.duration(to: .now).milliseconds * 1_000_000 / Double(requests)
    }
    var lines = [
        row(["concurrency", "counted ns/request", "not counted ns/request", "added µs/request"]),
        row(Array(repeating: "---", count: 4)),
    ]
    for concurrency in [1, 16] {
        let counted = await nanosecondsPerRequest(
            SeriesCache(factory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())),
            concurrency: concurrency)
        let uncounted = await nanosecondsPerRequest(
            SeriesCache(factory: NOOPMetricsHandler.instance), concurrency: concurrency)
        lines.append(
            row([
                "\(concurrency)", format(counted, 0), format(uncounted, 0), format((counted - uncounted) / 1000, 2),
            ]))
    }
    return lines.joined(separator: "\n")
}

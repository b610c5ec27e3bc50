import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One way to reach the upstream simulator: straight, or through a gateway process (or a
/// fleet of them, taking the requests in turn).
struct GatewayPath {
    var name: String
    /// The `/v1` bases of an OpenAI-compatible images API; request i goes to base i mod count.
    var baseURLs: [String]
    var key: String
    var model: String
    /// The processes whose CPU time is charged to this path (the gateways; the simulator for the direct path).
    var pids: [Int32]
}

/// CPU seconds of every PostgreSQL process now (the server and its backends), for the cost a
/// fleet's store adds; zero where none runs.
func postgresCPUSeconds() -> Double {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("postgres") == true
    }.map { cpuSeconds(pid: $0) }.filter { !$0.isNaN }.reduce(0, +)
}

/// CPU seconds (user + system) a process has used so far (Linux /proc; clock ticks of 1/100 s).
func cpuSeconds(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = stat.range(of: ") ")?.upperBound
    else { return .nan }
    let fields = stat[afterName...].split(separator: " ")
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 once pid and comm are dropped.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / 100
}

struct PathResult {
    var latency: Samples
    var seconds: Double
    var cpuSeconds: Double
    var postgresCPUSeconds: Double
    var requests: Int
}

/// Sends `total` OpenAI image requests through `path`, `concurrency` at a time.
func drive(_ path: GatewayPath, concurrency: Int, total: Int) async throws -> PathResult {
    let body = try requestBody([
        "model": path.model, "prompt": "benchmark", "n": 1, "size": "512x512", "response_format": "url",
    ])
    func pathCPU() -> Double { path.pids.map { cpuSeconds(pid: $0) }.reduce(0, +) }
    let cpuBefore = pathCPU()
    let postgresBefore = postgresCPUSeconds()
    let started = ContinuousClock.now
    let latencies = try await fanOut(concurrency: concurrency, total: total) { index in
        let (response, reply, latency) = try await postJSON(
            path.baseURLs[index % path.baseURLs.count] + "/images/generations", key: path.key, body: body)
        guard response.status == .ok, String(buffer: reply).contains("\"url\"") else {
            throw BenchError("\(path.name): HTTP \(response.status.code) \(String(buffer: reply).prefix(200))")
        }
        return latency
    }
    var samples = Samples()
    for latency in latencies { samples.add(latency) }
    return PathResult(
        latency: samples, seconds: started.duration(to: .now).milliseconds / 1000,
        cpuSeconds: pathCPU() - cpuBefore, postgresCPUSeconds: postgresCPUSeconds() - postgresBefore,
        requests: latencies.count)
}

/// The same load three ways; added latency is measured against the direct path at the same
/// concurrency, and throughput per core is requests per CPU-second of the path's process.
func benchGateways(_ paths: [GatewayPath], requests: Int) async throws -> String {
    var lines = [
        row([
            "path", "concurrency", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms", "req/s", "req per CPU-second",
            "PostgreSQL CPU ms/req",
        ]),
        row(Array(repeating: "---", count: 9)),
    ]
    for concurrency in [1, 16, 64] {
        var direct: PathResult? = nil
        for path in paths {
            _ = try await drive(path, concurrency: concurrency, total: max(concurrency * 2, 20))  // warm-up
            let result = try await drive(path, concurrency: concurrency, total: max(requests, concurrency * 4))
            if direct == nil { direct = result }
            let base = direct ?? result
            lines.append(
                row([
                    path.name, "\(concurrency)", format(result.latency.percentile(0.5), 2),
                    format(result.latency.percentile(0.99), 2),
                    format(result.latency.percentile(0.5) - base.latency.percentile(0.5), 2),
                    format(result.latency.percentile(0.99) - base.latency.percentile(0.99), 2),
                    format(Double(result.requests) / result.seconds, 0),
                    format(Double(result.requests) / result.cpuSeconds, 0),
                    format(1000 * result.postgresCPUSeconds / Double(result.requests), 2),
                ]))
        }
    }
    return lines.joined(separator: "\n")
}

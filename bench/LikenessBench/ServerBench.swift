import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A `likeness serve` child process on a fresh data directory.
final class ServerProcess {
    let process = Process()
    let port: Int
    let key = "lk_benchmark-key-0123456789abcdef0123456789"
    let dataDirectory: URL

    init(binary: String, port: Int) throws {
        self.port = port
        dataDirectory = FileManager.default.temporaryDirectory.appending(path: "likeness-bench-\(UUID().uuidString)")
        process.executableURL = URL(filePath: binary)
        process.arguments = ["serve", "--port", "\(port)", "--data-dir", dataDirectory.path]
        var environment = ProcessInfo.processInfo.environment
        environment["LIKENESS_API_KEY"] = key
        environment["LIKENESS_LOG_LEVEL"] = "warning"
        // The references here are drawn or noise; identity scoring has a benchmark of its own.
        environment["LIKENESS_IDENTITY_SCORING"] = "off"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func waitUntilHealthy() async throws {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)), response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("the server did not become healthy")
    }

    /// Resident set size now and its peak since the last reset, in MiB (Linux /proc).
    func memory() -> (current: Double, peak: Double) {
        processMemory("/proc/\(process.processIdentifier)/status")
    }

    /// Starts a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM).
    func resetPeak() {
        try? "5".write(toFile: "/proc/\(process.processIdentifier)/clear_refs", atomically: false, encoding: .utf8)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct LoadResult {
    var requests: Int
    var seconds: Double
    var latency: Samples
    /// Client-observed latency minus engine time: everything else, the client's own HTTP stack included.
    var overhead: Samples
    /// The handler's own time minus engine time, from `Server-Timing` (`total` − `engine`).
    var serverOverhead: Samples
    var peakMiB: Double
}

/// `engine;dur=12.3, total;dur=13.0` → ["engine": 12.3, "total": 13.0]
func serverTiming(_ header: String) -> [String: Double] {
    var metrics: [String: Double] = [:]
    for metric in header.split(separator: ",") {
        let parts = metric.trimmingCharacters(in: .whitespaces).split(separator: ";dur=")
        if parts.count == 2, let value = Double(parts[1]) { metrics[String(parts[0])] = value }
    }
    return metrics
}

/// Sends `total` identical requests, `concurrency` at a time, and times each one. `overhead` is
/// the client-observed latency minus the engine time the server reports in `Server-Timing`.
/// `key` defaults to the server's first key (the unmetered house account); with
/// `idempotencyKeys` each request carries an `Idempotency-Key` of its own.
func drive(
    _ server: ServerProcess, body: Data, concurrency: Int, total: Int, key: String? = nil,
    idempotencyKeys: Bool = false
) async throws -> LoadResult {
    server.resetPeak()
    let (port, key) = (server.port, key ?? server.key)
    let run = UUID().uuidString
    let started = ContinuousClock.now
    let results = try await fanOut(concurrency: concurrency, total: total) { index in
        let (response, reply, latency) = try await postJSON(
            "http://127.0.0.1:\(port)/v1/image_generation", key: key, body: body,
            headers: idempotencyKeys ? [("Idempotency-Key", "\(run)-\(index)")] : [])
        guard String(buffer: reply).contains("\"status_code\":0") else {
            throw BenchError("request failed: \(String(buffer: reply).prefix(200))")
        }
        let timing = serverTiming(response.headers.first(name: "Server-Timing") ?? "")
        let engine = timing["engine"] ?? .nan
        return (latency, latency - engine, (timing["total"] ?? .nan) - engine)
    }
    let seconds = started.duration(to: .now).milliseconds / 1000
    var latency = Samples()
    var overhead = Samples()
    var serverOverhead = Samples()
    for (total, extra, serverExtra) in results {
        latency.add(total)
        overhead.add(extra)
        serverOverhead.add(serverExtra)
    }
    return LoadResult(
        requests: results.count, seconds: seconds, latency: latency, overhead: overhead, serverOverhead: serverOverhead,
        peakMiB: server.memory().peak)
}

/// Runs `total` calls of `work` (given the request's index), `concurrency` at a time.
func fanOut<Result: Sendable>(
    concurrency: Int, total: Int, _ work: @escaping @Sendable (Int) async throws -> Result
) async throws -> [Result] {
    try await withThrowingTaskGroup(of: [Result].self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var results: [Result] = []
                for index in stride(from: worker, to: total, by: concurrency) { results.append(try await work(index)) }
                return results
            }
        }
        var all: [Result] = []
        for try await results in group { all += results }
        return all
    }
}

/// POSTs a JSON body with a bearer key; returns the response, its body and the latency in ms.
func postJSON(_ url: String, key: String, body: Data, headers: [(String, String)] = []) async throws -> (
    HTTPClientResponse, ByteBuffer, Double
) {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(contentsOf: headers)
    request.body = .bytes(ByteBuffer(data: body))
    let sent = ContinuousClock.now
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
    let reply = try await response.body.collect(upTo: 64 * 1024 * 1024)
    return (response, reply, sent.duration(to: .now).milliseconds)
}

func requestBody(_ fields: [String: Any]) throws -> Data {
    try JSONSerialization.data(withJSONObject: fields)
}

func benchServer(_ server: ServerProcess, scale: Int) async throws -> String {
    var lines = [
        "| response_format | concurrency | requests | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | server added p50 ms | server added p99 ms | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for responseFormat in ["base64", "url"] {
        let body = try requestBody([
            "model": "image-01", "prompt": "a lighthouse at dawn", "n": 1, "response_format": responseFormat,
        ])
        for concurrency in [1, 8, 64] {
            let total = max(30, concurrency * 3) * scale
            let result = try await drive(server, body: body, concurrency: concurrency, total: total)
            let throughput = Double(result.requests) / result.seconds
            lines.append(
                row([
                    responseFormat, "\(concurrency)", "\(result.requests)", format(throughput),
                    format(result.latency.median), format(result.latency.percentile(0.99)),
                    format(result.overhead.median, 2), format(result.overhead.percentile(0.99), 2),
                    format(result.serverOverhead.median, 2), format(result.serverOverhead.percentile(0.99), 2),
                    format(result.peakMiB, 0),
                ]))
        }
    }
    return lines.joined(separator: "\n")
}

func benchLargeReference(_ server: ServerProcess, reference: Data, scale: Int) async throws -> String {
    let dataURL = "data:image/png;base64," + reference.base64EncodedString()
    let body = try requestBody([
        "model": "image-01", "prompt": "portrait", "response_format": "base64",
        "subject_reference": [["type": "character", "image_file": dataURL]],
    ])
    var lines = [
        "Reference: \(format(Double(reference.count) / 1_048_576, 2)) MiB PNG of noise, request body \(format(Double(body.count) / 1_048_576, 2)) MiB.",
        "",
        "| concurrency | requests | p50 ms | p99 ms | added p50 ms | RSS before MiB | peak RSS MiB | peak growth ÷ bodies in flight |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for concurrency in [1, 8] {
        let before = server.memory().current
        let result = try await drive(server, body: body, concurrency: concurrency, total: concurrency * 2 * scale)
        let inFlight = Double(body.count * concurrency) / 1_048_576
        lines.append(
            row([
                "\(concurrency)", "\(result.requests)", format(result.latency.median),
                format(result.latency.percentile(0.99)), format(result.overhead.median), format(before, 0),
                format(result.peakMiB, 0), format((result.peakMiB - before) / inFlight, 2),
            ]))
    }
    return lines.joined(separator: "\n")
}

/// What accounts add to one request: the house key (unmetered: nothing reserved) against a
/// prepaid key (a reservation in the submit transaction, a release and a charge in the
/// completion transaction), and a prepaid key with an `Idempotency-Key` on every request.
func benchBilling(_ server: ServerProcess, scale: Int) async throws -> String {
    let prepaid = try await prepaidKey(server)
    let body = try requestBody([
        "model": "image-01", "prompt": "a lighthouse at dawn", "n": 1, "response_format": "url",
    ])
    var lines = [
        "| key | requests | p50 ms | p99 ms | server added p50 ms | server added p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    let cases: [(String, String?, Bool)] = [
        ("house (unmetered)", nil, false), ("prepaid", prepaid, false), ("prepaid + Idempotency-Key", prepaid, true),
    ]
    for (name, key, idempotent) in cases {
        let result = try await drive(
            server, body: body, concurrency: 1, total: 100 * scale, key: key, idempotencyKeys: idempotent)
        lines.append(
            row([
                name, "\(result.requests)", format(result.latency.median), format(result.latency.percentile(0.99)),
                format(result.serverOverhead.median, 2), format(result.serverOverhead.percentile(0.99), 2),
            ]))
    }
    return lines.joined(separator: "\n")
}

/// Through the admin API: a prepaid account with ample credit and no limits, and a key for it.
func prepaidKey(_ server: ServerProcess) async throws -> String {
    let base = "http://127.0.0.1:\(server.port)/v1/admin/accounts"
    func post(_ url: String, _ fields: [String: Any]) async throws -> [String: Any] {
        let (response, reply, _) = try await postJSON(url, key: server.key, body: try requestBody(fields))
        guard response.status == .ok,
            let object = try JSONSerialization.jsonObject(with: Data(buffer: reply)) as? [String: Any]
        else { throw BenchError("\(url) answered \(response.status): \(String(buffer: reply).prefix(200))") }
        return object
    }
    let unlimited: [String: Any] = ["requests_per_minute": 0, "concurrent_jobs": 0]
    let account = try await post(base, unlimited.merging(["name": "bench"]) { $1 })
    guard let id = account["id"] as? String else { throw BenchError("no account id") }
    _ = try await post(base + "/\(id)/credits", ["amount_usd": "1000000", "waive_fee": true])
    guard let secret = try await post(base + "/\(id)/keys", unlimited)["secret"] as? String else {
        throw BenchError("no key secret")
    }
    return secret
}

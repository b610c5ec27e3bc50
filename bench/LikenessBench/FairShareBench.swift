import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Fair shares of the queue between accounts: one account queues a backlog through fal's queue,
/// then another queues a few jobs; how long do the few wait, against the time the backlog took to
/// drain (what they would have waited first-in first-out)? Once for each weight of the second
/// account. The server is `likeness serve` in front of an upstream simulator with a fixed latency.
func benchFairShare(base: String, adminKey: String, backlog: Int, few: Int, weights: [Int]) async throws -> String {
    var lines = [
        "| second account's weight | backlog (first account) | second account's jobs | their wait p50 s | their wait max s | backlog drained after s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for weight in weights {
        let busy = try await benchAccount(base: base, adminKey: adminKey, name: "backlog", weight: 1)
        let small = try await benchAccount(base: base, adminKey: adminKey, name: "few", weight: weight)
        // The backlog is queued whole before the second account arrives.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: backlog, by: 32) {
                group.addTask {
                    for index in start..<min(backlog, start + 32) { _ = try await falSubmit(base, key: busy, index) }
                }
            }
            try await group.waitForAll()
        }
        let arrived = ContinuousClock.now
        var pending: [String: ContinuousClock.Instant] = [:]
        for index in 0..<few { pending[try await falSubmit(base, key: small, index)] = .now }
        var waits = Samples()
        var drained: Double?
        while !pending.isEmpty || drained == nil {
            for (id, submitted) in pending where try await falStatus(base, key: small, id) == "COMPLETED" {
                waits.add(submitted.duration(to: .now).milliseconds / 1000)
                pending[id] = nil
            }
            if drained == nil, try await queuedJobs(base) == 0 {
                drained = arrived.duration(to: .now).milliseconds / 1000
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        lines.append(
            "| \(weight) | \(backlog) | \(few) | \(format(waits.median, 2)) | \(format(waits.percentile(1), 2)) | "
                + "\(format(drained ?? .nan, 2)) |")
        // The next row starts on an idle server.
        while try await queuedJobs(base) > 0 { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .seconds(2))
    }
    return lines.joined(separator: "\n")
}

/// An unmetered account without limits, of the given queue weight; returns its key's secret.
private func benchAccount(base: String, adminKey: String, name: String, weight: Int) async throws -> String {
    let unlimited: [String: Any] = ["requests_per_minute": 0, "concurrent_jobs": 0]
    let account = try await benchCall(
        .POST, base + "/v1/admin/accounts", key: adminKey,
        unlimited.merging(["name": name, "billing": "unmetered"]) { $1 })
    guard let id = account["id"] as? String else { throw BenchError("no account id") }
    _ = try await benchCall(.PATCH, base + "/v1/admin/accounts/\(id)", key: adminKey, ["queue_weight": weight])
    guard
        let secret = try await benchCall(.POST, base + "/v1/admin/accounts/\(id)/keys", key: adminKey, unlimited)[
            "secret"] as? String
    else { throw BenchError("no key secret") }
    return secret
}

private func benchCall(_ method: HTTPMethod, _ url: String, key: String, _ fields: [String: Any]? = nil)
    async throws -> [String: Any]
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    if let fields {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try requestBody(fields)))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let reply = try await response.body.collect(upTo: 1024 * 1024)
    guard (200..<300).contains(response.status.code),
        let object = try JSONSerialization.jsonObject(with: Data(buffer: reply)) as? [String: Any]
    else { throw BenchError("\(url) answered \(response.status): \(String(buffer: reply).prefix(200))") }
    return object
}

/// Queues one job through fal's queue; returns its request id.
private func falSubmit(_ base: String, key: String, _ index: Int) async throws -> String {
    let submitted = try await benchCall(
        .POST, base + "/fal/queue/fal-ai/minimax/image-01", key: key, ["prompt": "job \(index)"])
    guard let id = submitted["request_id"] as? String else { throw BenchError("no request id") }
    return id
}

private func falStatus(_ base: String, key: String, _ id: String) async throws -> String? {
    try await benchCall(.GET, base + "/fal/queue/fal-ai/minimax/requests/\(id)/status", key: key)["status"]
        as? String
}

/// `/ready`'s count of queued jobs.
private func queuedJobs(_ base: String) async throws -> Int {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/ready"), timeout: .seconds(10))
    let reply = try await response.body.collect(upTo: 64 * 1024)
    let object = try JSONSerialization.jsonObject(with: Data(buffer: reply)) as? [String: Any]
    return object?["queued_jobs"] as? Int ?? 0
}

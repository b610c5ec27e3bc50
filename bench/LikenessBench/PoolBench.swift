import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A gateway in front of `accounts` keys of one rate-limited provider.
struct PoolPath {
    var name: String
    /// The `/v1` base of its OpenAI-compatible images API.
    var baseURL: String
    var key: String
    var model: String
    var accounts: Int
}

/// What the provider simulator has answered so far (`GET /simulator/requests`).
func simulatorCounts(_ simulator: String) async throws -> (count: Int, rateLimited: Int) {
    let response = try await HTTPClient.shared.execute(
        HTTPClientRequest(url: simulator + "/simulator/requests"), timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
    guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
        let count = object["count"] as? Int, let rateLimited = object["rate_limited"] as? Int
    else { throw BenchError("unexpected simulator report: \(String(buffer: body).prefix(200))") }
    return (count, rateLimited)
}

/// Sends a backlog of `perAccount` requests per account at once through each path, as a client
/// with retries would (a 429 or 5xx is sent again after its `Retry-After`, or 1 s), and reports
/// the sustained delivery rate against the provider's summed limit.
func benchPools(_ paths: [PoolPath], simulator: String, perAccount: Int, limitPerMinute: Int) async throws -> String {
    var lines = [
        row([
            "path", "accounts", "summed limit /min", "requests", "delivered", "client retries", "upstream 429s",
            "wall s", "images /min (sustained)", "utilisation",
        ]),
        row(Array(repeating: "---", count: 10)),
    ]
    for path in paths {
        let total = perAccount * path.accounts
        let body = try requestBody([
            "model": path.model, "prompt": "backlog", "n": 1, "size": "512x512", "response_format": "url",
        ])
        let before = try await simulatorCounts(simulator)
        let started = ContinuousClock.now
        let deadline = started + .seconds(600)
        let outcomes = try await fanOut(concurrency: total, total: total) { _ -> (delivered: Double?, retries: Int) in
            var retries = 0
            while ContinuousClock.now < deadline {
                let (response, _, _) = try await postJSON(
                    path.baseURL + "/images/generations", key: path.key, body: body)
                if response.status == .ok { return (started.duration(to: .now).milliseconds / 1000, retries) }
                guard response.status.code == 429 || response.status.code >= 500 else { break }
                retries += 1
                let wait = response.headers.first(name: "retry-after").flatMap(Double.init) ?? 1
                try await Task.sleep(for: .milliseconds(Int64(max(0.05, wait) * 1000)))
            }
            return (nil, retries)
        }
        let wall = started.duration(to: .now).milliseconds / 1000
        let after = try await simulatorCounts(simulator)
        let delivered = outcomes.compactMap(\.delivered).sorted()
        let summedPerSecond = Double(path.accounts * limitPerMinute) / 60
        // Each account's first request is free of the rate; the rest are what the limit allows.
        let span = (delivered.last ?? 0) - (delivered.first ?? 0)
        let sustained = span > 0 ? Double(delivered.count - path.accounts) / span : .nan
        lines.append(
            row([
                path.name, "\(path.accounts)", "\(path.accounts * limitPerMinute)", "\(total)", "\(delivered.count)",
                "\(outcomes.reduce(0) { $0 + $1.retries })", "\(after.rateLimited - before.rateLimited)",
                format(wall, 1), format(sustained * 60, 1), format(100 * sustained / summedPerSecond, 1) + "%",
            ]))
    }
    return lines.joined(separator: "\n")
}

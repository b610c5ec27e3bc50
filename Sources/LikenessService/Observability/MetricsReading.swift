import Foundation
import LikenessCore

/// The registry's series read back, for `/v1/admin/metrics`: the registry only writes its text
/// exposition, so that text is what is read, and the console's numbers are `/metrics`'s own.
extension ServerMetrics {
    package func reading(at date: Date) -> MetricsBody {
        let samples = MetricSample.parse(String(decoding: exposition(), as: UTF8.self))
        func total(_ name: String, where matches: ([String: String]) -> Bool = { _ in true }) -> Double {
            samples.filter { $0.name == name && matches($0.labels) }.reduce(0) { $0 + $1.value }
        }
        func count(_ name: String, where matches: @escaping ([String: String]) -> Bool = { _ in true }) -> Int {
            Int(total(name, where: matches))
        }
        func grouped(_ name: String, by label: String, where matches: ([String: String]) -> Bool = { _ in true })
            -> [String: Int]
        {
            var groups: [String: Int] = [:]
            for sample in samples where sample.name == name && matches(sample.labels) {
                groups[sample.labels[label] ?? "", default: 0] += Int(sample.value)
            }
            return groups
        }
        var responses: [String: Int] = [:]
        for (status, number) in grouped("likeness_http_requests_total", by: "status") {
            responses["\(status.prefix(1))xx", default: 0] += number
        }
        let inFlight = grouped("likeness_upstream_in_flight", by: "engine")
        let errors = grouped("likeness_upstream_requests_total", by: "engine") { $0["outcome"] != "success" }
        let upstreams = grouped("likeness_upstream_in_placement", by: "engine").sorted { $0.key < $1.key }.map {
            MetricsUpstreamBody(
                engine: $0.key, inPlacement: $0.value > 0, inFlight: inFlight[$0.key] ?? 0, errors: errors[$0.key] ?? 0)
        }
        var buckets: [String: Int] = [:]
        for sample in samples where sample.name == "likeness_identity_score_bucket" {
            if let bound = sample.labels["le"] { buckets[bound] = Int(sample.value) }
        }
        return MetricsBody(
            at: (date.timeIntervalSince1970 * 1000).rounded() / 1000,
            requests: count("likeness_http_requests_total"), responses: responses,
            jobsSucceeded: count("likeness_jobs_total") { $0["outcome"] == "succeeded" },
            jobsFailed: count("likeness_jobs_total") { $0["outcome"] == "failed" },
            jobsCancelled: count("likeness_jobs_total") { $0["outcome"] == "cancelled" },
            queueDepth: count("likeness_queue_depth"), queueWaits: count("likeness_queue_wait_seconds_count"),
            queueWaitSeconds: total("likeness_queue_wait_seconds_sum"),
            imagesDelivered: count("likeness_images_total") { $0["outcome"] == "delivered" },
            imagesWithheld: count("likeness_images_total") { $0["outcome"] == "withheld" },
            upstreams: upstreams, identityScores: count("likeness_identity_score_count"),
            identityScoreSum: total("likeness_identity_score_sum"), identityBuckets: buckets)
    }
}

/// One line of the Prometheus text exposition: `name{label="value",…} value`.
struct MetricSample: Hashable {
    var name: String
    var labels: [String: String]
    var value: Double

    static func parse(_ text: String) -> [MetricSample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return MetricSample(name: String(series), labels: [:], value: value)
            }
            return MetricSample(
                name: String(series[..<brace]), labels: labels(series[series.index(after: brace)...].dropLast()),
                value: value)
        }
    }

    /// `a="x",b="y \"quoted\""`, with the exposition's escapes (`\\`, `\"`, `\n`).
    static func labels(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        var rest = text[...]
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { break }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    break
                } else {
                    value.append(character)
                }
            }
            labels[name] = value
        }
        return labels
    }
}

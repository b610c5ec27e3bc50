import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessEngines
import LikenessStore
import LikenessTestSupport
import Logging
import NIOCore
import NIOFoundationCompat
import NIOPosix
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

extension TestClientProtocol {
    /// `GET /metrics` with `key`: the status and the exposition text.
    func metrics(key: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: "/metrics", method: .get, headers: headers) { response in
            (response.status, String(buffer: response.body))
        }
    }
}

/// A port that was free a moment ago, for a listener the test starts.
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    return channel.localAddress?.port ?? 0
}

@Suite("/metrics access and the access log")
struct MetricsAccessTests {
    @Test("by default only an admin key reads /metrics: 401 without a key, 403 for a customer")
    func adminOnly() async throws {
        let harness = try Harness()
        let customer = try harness.customer()
        try await harness.test { client in
            let anonymous = try await client.metrics(key: nil).0
            let customers = try await client.metrics(key: customer.key).0
            #expect(anonymous == .unauthorized)
            #expect(customers == .forbidden)
            let (status, text) = try await client.metrics(key: harness.key)
            #expect(status == .ok)
            // The scrapes before it are counted, by route as registered.
            #expect(text.contains(#"likeness_http_requests_total{route="/metrics",dialect="operations",status="401"}"#))
            #expect(text.contains("likeness_queue_depth 0"))
        }
    }

    @Test("open serves /metrics to anyone; off answers 404; a listener of its own serves it without a key")
    func otherAccess() async throws {
        let open = try Harness { $0.metrics = MetricsSettings(access: .open) }
        try await open.test { client in
            let anonymous = try await client.metrics(key: nil).0
            #expect(anonymous == .ok)
        }
        let port = try freePort()
        let off = try Harness {
            $0.metrics = MetricsSettings(access: .off, listener: .init(host: "127.0.0.1", port: port))
        }
        try await off.test { client in
            let onTheAPIPort = try await client.metrics(key: off.key).0
            #expect(onTheAPIPort == .notFound)
            var text = ""
            let served = try await eventually(timeout: .seconds(10)) {
                guard
                    let response = try? await HTTPClient.shared.execute(
                        HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(5))
                else { return false }
                text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                return text.contains("# TYPE")
            }
            #expect(served)
            #expect(text.contains("likeness_http_requests_total"))
        }
    }

    @Test("money, webhooks and refused reference fetches are counted")
    func moneyWebhooksAndFetches() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        let price = harness.configuration.billing.price(.image01)
        try await harness.test { client in
            // Two images reserved and charged.
            let (response, _) = try await client.openAIGenerate(
                ["model": "image-01", "prompt": "a lighthouse", "n": 2], key: customer.key)
            #expect(response.status == .ok)
            // A reference on the server's own network: refused by the address guard.
            let (refused, _) = try await client.openAIGenerate(
                [
                    "model": "image-01", "prompt": "a lighthouse",
                    "subject_reference": [["type": "character", "image_file": "http://127.0.0.1:9/face.jpg"]],
                ], key: customer.key)
            #expect(refused.status == .badRequest)
            // A webhook to the server's own network: refused when it is due.
            let fal = FalQueueClient(client: client, key: customer.key)
            let id = try await fal.submitted(
                ["prompt": "a lighthouse"], app: "fal-ai/minimax/image-01?fal_webhook=http://127.0.0.1:9/hook")
            try await fal.waitForStatus(id, until: status("COMPLETED"))
            var text = ""
            let counted = try await eventually(timeout: .seconds(10)) {
                text = try await client.metrics(key: harness.key).1
                return text.contains(#"likeness_webhooks_total{outcome="refused"} 1"#)
            }
            #expect(counted, "\(text)")
            #expect(text.contains("likeness_reference_fetches_refused_total 1"))
            // The refused fetch reserved too (its job was accepted), then released: reserved is
            // every accepted job's price, charged only the delivered images'.
            #expect(text.contains(#"likeness_money_microdollars_total{kind="charged"} \#(price.value * 3)"#))
            #expect(text.contains(#"likeness_money_microdollars_total{kind="reserved"} \#(price.value * 4)"#))
        }
    }

    @Test("one access line a request: trace id, route, dialect, key id (never the secret), status, engine")
    func accessLog() async throws {
        let records = RecordingLogHandler.Records()
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        try await harness.test(logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) }) {
            client in
            let (response, _) = try await client.openAIGenerate(
                ["model": "image-01", "prompt": "a lighthouse"], key: customer.key)
            #expect(response.status == .ok)
            let trace = try #require(response.headers[HTTPField.Name("Trace-Id")!])
            let lines = records.all.withLock { $0 }.filter { $0.message == "request" }
            let line = try #require(lines.first { $0.metadata["trace_id"]?.description == trace })
            #expect(line.level == .info)
            #expect(line.metadata["route"]?.description == "/v1/images/generations")
            #expect(line.metadata["dialect"]?.description == "openai")
            #expect(line.metadata["key_id"]?.description == customer.keyID)
            #expect(line.metadata["status"]?.description == "200")
            #expect(line.metadata["engine"]?.description == "preview")
            #expect(!lines.contains { $0.metadata.values.contains { $0.description.contains(customer.key) } })
        }
    }
}

@Suite("GET /ready")
struct ReadinessTests {
    @Test("ready once recovery has run and the workers run; 503 with the reason when the store cannot be read")
    func ready() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 3 }
        try await harness.test { client in
            var body: [String: Any] = [:]
            let ready = try await eventually(timeout: .seconds(10)) {
                let (status, object) = try await client.getJSON("/ready", key: nil)
                body = object
                return status == .ok
            }
            #expect(ready)
            #expect(body["status"] as? String == "ready")
            #expect(body["workers"] as? Int == 3)
            #expect(body["queued_jobs"] as? Int == 0)

            let sabotage = try SQLiteDatabase(path: harness.directory.root.appending(path: "likeness.sqlite").path)
            try sabotage.execute("ALTER TABLE jobs RENAME TO jobs_gone")
            let (status, broken) = try await client.getJSON("/ready", key: nil)
            #expect(status == .serviceUnavailable)
            #expect(broken["status"] as? String == "unavailable")
            #expect(broken["reason"] as? String == "the database cannot be read")
            // Liveness is another question: the process still answers.
            let (health, _) = try await client.getJSON("/health", key: nil)
            #expect(health == .ok)
            try sabotage.execute("ALTER TABLE jobs_gone RENAME TO jobs")
        }
    }
}

@Suite("The published contract")
struct ContractTests {
    /// `METHOD /path` with every parameter spelled `{}`, so names and catch-alls compare equal.
    static func shape(_ route: String) -> String {
        route.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") || segment.hasPrefix(":") || segment == "**" ? "{}" : String(segment)
        }.joined(separator: "/")
    }

    @Test("every route the router registers is in /openapi.json, and every documented operation is a route")
    func everyRouteDocumented() async throws {
        let harness = try Harness { $0.metrics = MetricsSettings(access: .open) }
        let (application, registered) = try assembleApplication(
            configuration: harness.configuration, dataDirectory: harness.directory, engine: PreviewEngine(),
            fetcher: nil, clock: .system, logger: nil)
        let document = try await application.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            }
        }
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(
            paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(Self.shape(path))" } })
        let routes = Set(registered.map(Self.shape))
        #expect(routes.subtracting(documented).isEmpty, "registered but not documented")
        #expect(documented.subtracting(routes).isEmpty, "documented but not registered")
        #expect(routes.count > 40)
        // Every operation has an id, a summary and at least one answer.
        for operations in paths.values {
            for case let operation as [String: Any] in operations.values {
                #expect(operation["operationId"] is String)
                #expect(((operation["responses"] as? [String: Any])?.count ?? 0) > 0)
            }
        }
    }

    @Test("fal's per-app document, at fal's path; /llms.txt")
    func falDocumentAndGuide() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let (status, document) = try await client.getJSON(
                "/api/openapi/queue/openapi.json?endpoint_id=fal-ai/minimax/image-01/subject-reference", key: nil)
            #expect(status == .ok)
            let paths = try #require(document["paths"] as? [String: Any])
            #expect(paths["/fal/queue/fal-ai/minimax/image-01/subject-reference"] != nil)
            #expect(paths["/fal/queue/fal-ai/minimax/image-01"] == nil)
            #expect(paths["/fal/queue/fal-ai/minimax/requests/{request_id}/status"] != nil)
            let (unknown, _) = try await client.getJSON("/api/openapi/queue/openapi.json?endpoint_id=x", key: nil)
            #expect(unknown == .notFound)
            let guide = try await client.execute(uri: "/llms.txt", method: .get) { response in
                String(buffer: response.body)
            }
            #expect(guide.hasPrefix("# Likeness"))
            #expect(guide.contains("/openapi.json"))
        }
    }
}

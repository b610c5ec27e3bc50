import Foundation
import HTTPTypes
import HummingbirdTesting
import LikenessCore
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

/// An account's history (`/v1/generations`), the operator's jobs browser (`/v1/admin/jobs`),
/// thumbnails, and the metrics reading (`/v1/admin/metrics`).
@Suite("history")
struct HistoryTests {
    /// Submits a native request and gives back its job id.
    static func generate(
        _ client: some TestClientProtocol, key: String, _ fields: [String: Any]
    ) async throws -> String {
        nonisolated(unsafe) var id = ""
        try await client.generate(fields, key: key) { _, reply in
            #expect(reply.base_resp.status_code == 0, "\(reply.base_resp.status_msg)")
            id = try #require(reply.id)
        }
        return id
    }

    @Test("a request is in its account's history with thumbnails, seeds, cost and timings; its detail has its log")
    func listedWithDetail() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await Self.generate(
                client, key: harness.key, ["model": "image-01", "prompt": "a lighthouse at dusk", "n": 2, "seed": 42])
            let listed = try await client.send(.get, "/v1/generations", key: harness.key)
            #expect(listed.status == .ok)
            let entries = try #require(listed.object["data"] as? [[String: Any]])
            #expect(entries.map { $0["id"] as? String } == [id])
            let entry = entries[0]
            #expect(entry["status"] as? String == "succeeded" && entry["dialect"] as? String == "minimax")
            #expect(entry["engine"] as? String == "preview")
            #expect(entry["cost_usd"] is String)
            let images = try #require(entry["images"] as? [[String: Any]])
            #expect(images.map { $0["seed"] as? Int } == [42, 43])
            #expect(images.allSatisfy { $0["expired"] as? Bool == false })
            let timings = try #require(entry["timings"] as? [String: Any])
            #expect(timings["total_ms"] is Int && timings["engine_ms"] is Int && timings["queue_ms"] is Int)
            #expect((entry["parameters"] as? [String: Any])?["prompt"] as? String == "a lighthouse at dusk")

            // The thumbnail is the whole picture, small; the full image is many times its size.
            let thumbnail = try await client.download(try #require(images[0]["thumbnail_url"] as? String))
            #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            let small = Data(buffer: thumbnail.body)
            let header = try ImageHeader(probing: small)
            #expect(max(header.width, header.height) == CharacterService.thumbnailSide)
            let full = try await client.download(try #require(images[0]["url"] as? String))
            #expect(small.count * 4 < full.body.readableBytes)
            let tampered = try #require(images[0]["thumbnail_url"] as? String)
                .replacingOccurrences(of: "signature=", with: "signature=00")
            #expect(try await client.download(tampered).status == .notFound)

            let detail = try await client.send(.get, "/v1/generations/\(id)", key: harness.key)
            #expect(detail.status == .ok)
            let logs = try #require(detail.object["logs"] as? [[String: Any]])
            #expect(logs.contains { ($0["message"] as? String)?.contains("rendered image 2 of 2") == true })
            #expect((detail.object["parameters"] as? [String: Any])?["seed"] as? Int == 42)
        }
    }

    @Test("an image's seed makes the same bytes again with n = 1")
    func seedReproduces() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let first = try await Self.generate(
                client, key: harness.key, ["model": "image-01", "prompt": "a red kite", "n": 2])
            let detail = try await client.send(.get, "/v1/generations/\(first)", key: harness.key)
            let images = try #require(detail.object["images"] as? [[String: Any]])
            #expect((detail.object["parameters"] as? [String: Any])?["seed"] == nil)
            let seed = try #require(images[1]["seed"] as? Int64)
            let again = try await Self.generate(
                client, key: harness.key, ["model": "image-01", "prompt": "a red kite", "seed": seed])
            let remade = try await client.send(.get, "/v1/generations/\(again)", key: harness.key)
            let remadeImages = try #require(remade.object["images"] as? [[String: Any]])
            let before = try await client.download(try #require(images[1]["url"] as? String))
            let after = try await client.download(try #require(remadeImages[0]["url"] as? String))
            #expect(before.status == .ok && Data(buffer: before.body) == Data(buffer: after.body))
            let other = try await client.download(try #require(images[0]["url"] as? String))
            #expect(Data(buffer: other.body) != Data(buffer: after.body))
        }
    }

    @Test("another account sees none of it; the operator sees every account's, a user key none")
    func private_() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let customer = try harness.customer("other", billing: .unmetered)
            let mine = try await Self.generate(client, key: harness.key, ["model": "image-01", "prompt": "mine"])
            let theirs = try await Self.generate(client, key: customer.key, ["model": "image-01", "prompt": "theirs"])
            let listed = try await client.send(.get, "/v1/generations", key: customer.key)
            #expect((listed.object["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [theirs])
            #expect(try await client.send(.get, "/v1/generations/\(mine)", key: customer.key).status == .notFound)
            // A cursor from another account's history gives nothing rather than the page after it.
            let after = try await client.send(.get, "/v1/generations?after=\(mine)", key: customer.key)
            #expect((after.object["data"] as? [[String: Any]])?.isEmpty == true)

            let every = try await client.send(.get, "/v1/admin/jobs", key: harness.key)
            #expect((every.object["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [theirs, mine])
            let byAccount = try await client.send(
                .get, "/v1/admin/jobs?account=\(customer.accountID)", key: harness.key)
            #expect((byAccount.object["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [theirs])
            let any = try await client.send(.get, "/v1/admin/jobs/\(theirs)", key: harness.key)
            #expect(any.status == .ok && any.object["account_id"] as? String == customer.accountID)
            #expect(try await client.send(.get, "/v1/admin/jobs", key: customer.key).status == .forbidden)
            #expect(try await client.send(.get, "/v1/admin/jobs/\(theirs)", key: customer.key).status == .forbidden)
            #expect(try await client.send(.get, "/v1/generations", key: nil).status == .unauthorized)
        }
    }

    @Test("filters narrow the page; paging goes on with after; a bad filter is 400 naming it")
    func filters() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let native = try await Self.generate(client, key: harness.key, ["model": "image-01", "prompt": "one"])
            let live = try await Self.generate(
                client, key: harness.key,
                ["model": "image-01-live", "prompt": "two", "style": ["style_type": "漫画"]])
            let openAI = try await client.send(
                .post, "/v1/images/generations", key: harness.key, json: ["model": "image-01", "prompt": "three"])
            #expect(openAI.status == .ok)
            // Refused by the prompt rules: recorded as failed, with its code.
            let refused = try await client.send(
                .post, "/v1/images/generations", key: harness.key,
                json: ["model": "image-01", "prompt": String(repeating: "x", count: 1501)])
            #expect(refused.status == .badRequest)

            func ids(_ query: String, key: String? = nil) async throws -> [String] {
                let page = try await client.send(.get, "/v1/generations?\(query)", key: key ?? harness.key)
                #expect(page.status == .ok, "\(query): \(String(decoding: page.body, as: UTF8.self))")
                return (page.object["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            #expect(try await ids("model=image-01-live") == [live])
            #expect(try await ids("dialect=minimax") == [live, native])
            let succeeded = try await ids("status=succeeded")
            #expect(succeeded.count == 3)
            #expect(try await ids("dialect=openai&status=succeeded").count == 1)
            let failed = try await client.send(.get, "/v1/generations?status=failed", key: harness.key)
            let failure = try #require((failed.object["data"] as? [[String: Any]])?.first)
            #expect((failure["error"] as? [String: Any])?["code"] as? Int == 2013)
            let code = try #require((failure["error"] as? [String: Any])?["code"] as? Int)
            let byCode = try await client.send(.get, "/v1/admin/jobs?error_code=\(code)", key: harness.key)
            #expect((byCode.object["data"] as? [[String: Any]])?.count == 1)
            let today = ISO8601DateFormatter.string(
                from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            #expect(try await ids("from=\(today)&to=\(today)").count == 4)
            #expect(try await ids("to=2000-01-01").isEmpty)

            let first = try await client.send(.get, "/v1/generations?limit=2", key: harness.key)
            #expect(first.object["has_more"] as? Bool == true)
            let last = try #require(first.object["last_id"] as? String)
            let rest = try await ids("limit=100&after=\(last)")
            let firstIDs = (first.object["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(Set(firstIDs + rest).count == 4 && firstIDs.count == 2 && rest.count == 2)

            for (query, field) in [
                ("status=done", "status"), ("model=dall-e", "model"), ("dialect=x", "dialect"), ("limit=0", "limit"),
                ("after=%00", "after"), ("from=yesterday", "from"), ("character_id=chr_1", "character_id"),
            ] {
                let bad = try await client.send(.get, "/v1/generations?\(query)", key: harness.key)
                #expect(bad.status == .badRequest, "\(query)")
                #expect((bad.object["error"] as? [String: Any])?["param"] as? String == field, "\(query)")
            }
            let badCode = try await client.send(.get, "/v1/admin/jobs?error_code=x", key: harness.key)
            #expect((badCode.object["error"] as? [String: Any])?["param"] as? String == "error_code")
        }
    }

    @Test("an expired image shows as expired, with its seed, and no URL")
    func expired() async throws {
        let harness = try Harness { $0.imageURLLifetime = .seconds(2) }
        let clock = ManualClock()
        try await harness.test(clock: clock.wallClock) { client in
            let id = try await Self.generate(
                client, key: harness.key, ["model": "image-01", "prompt": "x", "seed": 7])
            clock.advance(by: 3)
            let detail = try await client.send(.get, "/v1/generations/\(id)", key: harness.key)
            let image = try #require((detail.object["images"] as? [[String: Any]])?.first)
            #expect(image["expired"] as? Bool == true && image["url"] == nil && image["thumbnail_url"] == nil)
            #expect(image["seed"] as? Int == 7)
        }
    }

    @Test("the metrics reading counts what was served, for admin keys only")
    func metricsReading() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let customer = try harness.customer("other", billing: .unmetered)
            let before = try await client.send(.get, "/v1/admin/metrics", key: harness.key)
            #expect(before.status == .ok && before.object["object"] as? String == "metrics")
            _ = try await Self.generate(client, key: harness.key, ["model": "image-01", "prompt": "x", "n": 3])
            let after = try await client.send(.get, "/v1/admin/metrics", key: harness.key)
            let requests = { (reply: Reply) in reply.object["requests"] as? Int ?? -1 }
            #expect(requests(after) >= requests(before) + 2)
            #expect(
                (after.object["images_delivered"] as? Int ?? 0) == (before.object["images_delivered"] as? Int ?? 0) + 3)
            #expect((after.object["jobs_succeeded"] as? Int ?? 0) >= 1)
            #expect((after.object["responses"] as? [String: Int])?["2xx"] ?? 0 >= 1)
            #expect(try await client.send(.get, "/v1/admin/metrics", key: customer.key).status == .forbidden)
        }
    }

    @Test("the exposition's lines are read back with their labels and escapes")
    func exposition() {
        let samples = MetricSample.parse(
            """
            # TYPE likeness_jobs_total counter
            likeness_jobs_total{outcome="succeeded",code="0"} 3
            likeness_queue_depth 2
            odd{a="x \\"quoted\\", and \\\\",b="line\\nbreak"} 1.5
            likeness_identity_score_bucket{le="+Inf"} 4
            """)
        #expect(
            samples == [
                MetricSample(name: "likeness_jobs_total", labels: ["outcome": "succeeded", "code": "0"], value: 3),
                MetricSample(name: "likeness_queue_depth", labels: [:], value: 2),
                MetricSample(name: "odd", labels: ["a": "x \"quoted\", and \\", "b": "line\nbreak"], value: 1.5),
                MetricSample(name: "likeness_identity_score_bucket", labels: ["le": "+Inf"], value: 4),
            ])
    }
}

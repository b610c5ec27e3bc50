import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

extension TestClientProtocol {
    /// A JSON POST (with `headers`), answered as (status, JSON object).
    func postJSON(_ path: String, _ fields: [String: Any], key: String, headers: HTTPFields = [:]) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        let response = try await post(
            path, body: try JSONSerialization.data(withJSONObject: fields), authorization: "Bearer \(key)",
            headers: headers)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (response.status, object ?? [:])
    }

    /// Polls `uri` until its JSON `field` holds one of `finished`, and returns that body.
    func pollTask(_ uri: String, key: String, field: String, finished: Set<String>) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let done = try await eventually {
            last = try await getJSON(uri, key: key).1
            return finished.contains(last[field] as? String ?? "")
        }
        if !done { Issue.record("task never finished; last: \(last)") }
        return last
    }
}

@Suite("async mode: the native and OpenAI dialects answer at once with a task")
struct AsyncModeTests {
    @Test(
        "native: \"async\": true answers 202 with a task_id; the query answers Queueing or Processing, then the synchronous answer"
    )
    func native() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let request: [String: Any] = ["model": "image-01", "prompt": "a lighthouse", "n": 2]
            let (status, accepted) = try await client.postJSON(
                "/v1/image_generation", request.merging(["async": true]) { $1 }, key: harness.key)
            #expect(status == .accepted)
            let taskID = try #require(accepted["task_id"] as? String)
            #expect((accepted["base_resp"] as? [String: Any])?["status_code"] as? Int == 0)

            let done = try await client.pollTask(
                "/v1/query/image_generation?task_id=\(taskID)", key: harness.key, field: "status",
                finished: ["Success", "Fail"])
            #expect(done["status"] as? String == "Success" && done["task_id"] as? String == taskID)
            #expect(((done["data"] as? [String: Any])?["image_urls"] as? [String])?.count == 2)
            // The same fields as the synchronous answer, and the task's two in front.
            let (_, synchronous) = try await client.postJSON("/v1/image_generation", request, key: harness.key)
            #expect(Set(synchronous.keys).union(["task_id", "status"]) == Set(done.keys))

            // Prefer: respond-async does the same; base64 comes back as base64.
            let (preferred, task) = try await client.postJSON(
                "/v1/image_generation", request.merging(["response_format": "base64", "n": 1]) { $1 }, key: harness.key,
                headers: [HTTPField.Name("Prefer")!: "respond-async"])
            #expect(preferred == .accepted)
            let base64 = try await client.pollTask(
                "/v1/query/image_generation?task_id=\(try #require(task["task_id"] as? String))", key: harness.key,
                field: "status", finished: ["Success", "Fail"])
            #expect(((base64["data"] as? [String: Any])?["image_base64"] as? [String])?.count == 1)
        }
    }

    @Test("native: an unknown task, or another account's, is 2013 naming task_id; no task_id is 2013 too")
    func nativeNotFound() async throws {
        let harness = try Harness()
        let other = try harness.customer()
        try await harness.test { client in
            let (_, accepted) = try await client.postJSON(
                "/v1/image_generation", ["model": "image-01", "prompt": "mine", "async": true], key: harness.key)
            let taskID = try #require(accepted["task_id"] as? String)
            for (uri, key) in [
                ("/v1/query/image_generation?task_id=\(taskID)", other.key),
                ("/v1/query/image_generation?task_id=\(Identifier.make())", harness.key),
                ("/v1/query/image_generation", harness.key),
            ] {
                let (status, body) = try await client.getJSON(uri, key: key)
                #expect(status == .ok)
                let base = try #require(body["base_resp"] as? [String: Any])
                #expect(base["status_code"] as? Int == 2013)
                #expect((base["status_msg"] as? String)?.contains("task_id") == true)
            }
        }
    }

    @Test("OpenAI: 202 with an image.generation.task; GET answers its status, then created and data, or the error")
    func openAI() async throws {
        let harness = try Harness()
        try await harness.test(engine: FaultInjectingEngine()) { client in
            let (status, accepted) = try await client.postJSON(
                "/v1/images/generations", ["model": "image-01", "prompt": "a lighthouse", "async": true],
                key: harness.key)
            #expect(status == .accepted)
            #expect(accepted["object"] as? String == "image.generation.task")
            #expect(accepted["status"] as? String == "queued")
            let id = try #require(accepted["id"] as? String)
            let done = try await client.pollTask(
                "/v1/images/generations/\(id)", key: harness.key, field: "status", finished: ["completed", "failed"])
            #expect(done["status"] as? String == "completed")
            #expect(done["created"] is Int)
            #expect((done["data"] as? [[String: Any]])?.first?["url"] is String)

            let (_, failing) = try await client.postJSON(
                "/v1/images/generations", ["model": "image-01", "prompt": "[fault:1033] a lighthouse"],
                key: harness.key,
                headers: [HTTPField.Name("Prefer")!: "respond-async"])
            let failed = try await client.pollTask(
                "/v1/images/generations/\(try #require(failing["id"] as? String))", key: harness.key, field: "status",
                finished: ["completed", "failed"])
            #expect(failed["status"] as? String == "failed")
            #expect((failed["error"] as? [String: Any])?["code"] as? String == "1033")

            let (missing, error) = try await client.getJSON(
                "/v1/images/generations/\(Identifier.make())", key: harness.key)
            #expect(missing == .notFound)
            #expect((error["error"] as? [String: Any])?["code"] as? String == "not_found")
        }
    }

    @Test("an Idempotency-Key replay answers the same task, charged once")
    func idempotent() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        try await harness.test { client in
            var ids: [String] = []
            for _ in 0..<2 {
                let (status, accepted) = try await client.postJSON(
                    "/v1/images/generations", ["model": "image-01", "prompt": "once", "async": true], key: customer.key,
                    headers: [HTTPField.Name("Idempotency-Key")!: "async-once"])
                #expect(status == .accepted)
                ids.append(try #require(accepted["id"] as? String))
            }
            #expect(ids[0] == ids[1])
            _ = try await client.pollTask(
                "/v1/images/generations/\(ids[0])", key: customer.key, field: "status", finished: ["completed"])
        }
        let charges = try harness.ledger(customer.accountID).filter { $0.kind == .charge }
        #expect(charges.count == 1)
    }

    @Test("callback_url gets the task's answer when it ends, signed like every webhook; a bad one is refused")
    func callback() async throws {
        let harness = try Harness { $0.webhooks.allowPrivateNetworks = true }
        guard case .valid(let key, _) = try harness.directory.store.checkKey(secret: harness.key) else {
            throw CancellationError()
        }
        let secret = try #require(try harness.directory.store.webhookSigningSecret(keyID: key.id))
        try await withWebhookReceiver(failures: 0) { url, received in
            try await harness.test { client in
                let (_, accepted) = try await client.postJSON(
                    "/v1/image_generation",
                    ["model": "image-01", "prompt": "call me", "async": true, "callback_url": url],
                    key: harness.key)
                let taskID = try #require(accepted["task_id"] as? String)
                try await waitFor("the callback") { received.withLock { $0.count } >= 1 }
                let call = try #require(received.withLock { $0.first })
                #expect(call.signature == "sha256=" + WebhookDispatcher.signature(of: call.body, secret: secret))
                // Standard Webhooks: HMAC-SHA256 of "id.timestamp.body", keyed by the bytes the
                // secret's base64 after `whsec_` spells, as `v1,<base64>`.
                let id = try #require(call.headers["webhook-id"])
                let timestamp = try #require(call.headers["webhook-timestamp"])
                #expect(id == taskID)
                #expect(abs((Double(timestamp) ?? 0) - Date().timeIntervalSince1970) < 60)
                let hmacKey = SymmetricKey(data: try #require(Data(base64Encoded: String(secret.dropFirst(6)))))
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data("\(id).\(timestamp).".utf8) + call.body, using: hmacKey)
                #expect(call.headers["webhook-signature"] == "v1," + Data(mac).base64EncodedString())
                let payload = try #require(try JSONSerialization.jsonObject(with: call.body) as? [String: Any])
                #expect(payload["task_id"] as? String == taskID && payload["status"] as? String == "Success")
                #expect(((payload["data"] as? [String: Any])?["image_urls"] as? [String])?.count == 1)

                let (status, refused) = try await client.postJSON(
                    "/v1/images/generations", ["prompt": "x", "async": true, "callback_url": "ftp://example.com/hook"],
                    key: harness.key)
                #expect(status == .badRequest)
                #expect((refused["error"] as? [String: Any])?["param"] as? String == "callback_url")
            }
        }
    }
}

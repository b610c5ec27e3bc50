import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

extension TestClientProtocol {
    /// A GET with the caller's key, answered as (status, JSON object).
    func getJSON(_ uri: String, key: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: uri, method: .get, headers: headers) { response in
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            return (response.status, object ?? [:])
        }
    }
}

@Suite("GET /v1/models")
struct ModelsTests {
    @Test("lists every accepted name in OpenAI's shape, with the model it means, its price, capabilities and engines")
    func list() async throws {
        let keys = [
            "likeness.engines": "a,b,c", "likeness.routes.image-01": "a|b,c", "likeness.routes.image-01-live": "c",
            "likeness.engine.a.kind": "preview", "likeness.engine.b.kind": "preview",
            "likeness.engine.c.kind": "preview",
        ]
        let settings = try routing(keys)
        let aliases = try ModelAliases.standard.adding(["team-default=image-01-live"])
        let harness = try Harness { configuration in
            configuration.routing = settings
            configuration.modelAliases = aliases
        }
        // A prepaid customer pays the configured price; the operator's own account pays nothing.
        let customer = try harness.customer()
        try await harness.test(engine: nil) { client in
            let (status, body) = try await client.getJSON("/v1/models", key: customer.key)
            #expect(status == .ok)
            #expect(body["object"] as? String == "list")
            let data = try #require(body["data"] as? [[String: Any]])
            let ids = data.compactMap { $0["id"] as? String }
            #expect(ids == harness.configuration.modelAliases.names.keys.sorted())
            #expect(ids.contains("team-default"))

            let entry = try #require(data.first { $0["id"] as? String == "MiniMax-Image-01" })
            #expect(entry["object"] as? String == "model" && entry["owned_by"] as? String == "minimax")
            #expect(entry["created"] as? Int == Int(OpenAIModelList.created))
            let likeness = try #require(entry["likeness"] as? [String: Any])
            #expect(likeness["model"] as? String == "image-01")
            #expect(
                likeness["price_per_image_usd"] as? String
                    == harness.configuration.billing.price(.image01).usd)
            #expect(likeness["engines"] as? [[String]] == [["a", "b"], ["c"]])
            let capabilities = try #require(likeness["capabilities"] as? [String: Any])
            #expect((capabilities["aspect_ratios"] as? [String])?.count == 8)
            #expect((capabilities["custom_size"] as? [String: Int])?["multiple_of"] == 8)
            #expect(capabilities["max_images"] as? Int == 9)

            let (_, own) = try await client.getJSON("/v1/models/image-01", key: harness.key)
            #expect((own["likeness"] as? [String: Any])?["price_per_image_usd"] as? String == "0.00")
            let (_, alias) = try await client.getJSON("/v1/models/team-default", key: customer.key)
            let aliasExtensions = try #require(alias["likeness"] as? [String: Any])
            #expect(aliasExtensions["model"] as? String == "image-01-live")
            #expect(aliasExtensions["engines"] as? [[String]] == [["c"]])
            #expect((aliasExtensions["capabilities"] as? [String: Any])?["custom_size"] is NSNull)
        }
    }

    @Test("an id with a slash is found; an unknown one is 404 model_not_found; without a key, 401")
    func retrieve() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let (status, body) = try await client.getJSON("/v1/models/minimax/image-01", key: harness.key)
            #expect(status == .ok)
            #expect(body["id"] as? String == "minimax/image-01")
            let (_, escaped) = try await client.getJSON("/v1/models/minimax%2Fimage-01", key: harness.key)
            #expect(escaped["id"] as? String == "minimax/image-01")
            let (_, preview) = try await client.getJSON("/v1/models/image-01", key: harness.key)
            #expect((preview["likeness"] as? [String: Any])?["engines"] as? [[String]] == [["preview"]])

            let (missing, error) = try await client.getJSON("/v1/models/dall-e-3", key: harness.key)
            #expect(missing == .notFound)
            #expect((error["error"] as? [String: Any])?["code"] as? String == "model_not_found")
            let (anonymous, _) = try await client.getJSON("/v1/models", key: nil)
            #expect(anonymous == .unauthorized)
        }
    }
}

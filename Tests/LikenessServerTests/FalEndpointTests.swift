import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessImaging
import LikenessStore
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

@Suite("fal synchronous endpoints")
struct FalEndpointTests {
    func run(
        _ client: some TestClientProtocol, app: String, _ fields: [String: Any], authorization: String?,
        check: @escaping (TestResponse, [String: Any]) throws -> Void
    ) async throws {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let authorization { headers[.authorization] = authorization }
        let body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: fields))
        try await client.execute(uri: "/fal/" + app, method: .post, headers: headers, body: body) { response in
            try check(response, try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any])
        }
    }

    @Test("Key and Bearer both authenticate; the output lists images with their sizes; recorded as fal")
    func output() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for scheme in ["Key", "Bearer"] {
                try await run(
                    client, app: "fal-ai/minimax/image-01", ["prompt": "x", "aspect_ratio": "9:16", "num_images": 2],
                    authorization: "\(scheme) \(harness.key)"
                ) { response, object in
                    #expect(response.status == .ok)
                    let images = try #require(object["images"] as? [[String: Any]])
                    #expect(images.count == 2)
                    #expect(images[0]["width"] as? Int == 720 && images[0]["height"] as? Int == 1280)
                    let id = try #require(response.headers[HTTPField.Name("Trace-Id")!])
                    #expect(try harness.directory.store.job(id: id)?.dialect == .fal)
                }
            }
        }
    }

    @Test("a reference flows through subject-reference; errors are 422 and 401")
    func referenceAndErrors() async throws {
        let harness = try Harness()
        let reference = try jpegReference()
        try await harness.test { client in
            try await run(
                client, app: "fal-ai/minimax/image-01/subject-reference",
                ["prompt": "portrait", "image_url": dataURL(reference)], authorization: "Key \(harness.key)"
            ) { response, object in
                #expect(response.status == .ok)
                #expect((object["images"] as? [[String: Any]])?.count == 1)
            }
            try await run(
                client, app: "fal-ai/minimax/image-01/subject-reference", ["prompt": "portrait"],
                authorization: "Key \(harness.key)"
            ) { response, object in
                #expect(response.status == .unprocessableContent)
                #expect((object["detail"] as? [[String: Any]])?.first?["loc"] as? [String] == ["body", "image_url"])
            }
            // Found wrong only when loaded, by the worker: still named as fal spells it.
            for imageURL in ["http://127.0.0.1:9/face.jpg", "data:image/jpeg;base64,AAAAAAAA"] {
                try await run(
                    client, app: "fal-ai/minimax/image-01/subject-reference",
                    ["prompt": "portrait", "image_url": imageURL], authorization: "Key \(harness.key)"
                ) { response, object in
                    #expect(response.status == .unprocessableContent)
                    let detail = (object["detail"] as? [[String: Any]])?.first
                    #expect(detail?["loc"] as? [String] == ["body", "image_url"])
                    #expect((detail?["msg"] as? String)?.contains("subject_reference") == false)
                }
            }
            try await run(client, app: "fal-ai/minimax/image-01", ["prompt": "x"], authorization: "Basic abc") {
                response, object in
                #expect(response.status == .unauthorized)
                #expect((object["detail"] as? String)?.contains("Key") == true)
            }
        }
    }
}

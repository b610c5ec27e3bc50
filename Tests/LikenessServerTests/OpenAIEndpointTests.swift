import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

struct OpenAIReply: Decodable {
    struct Item: Decodable {
        var url: String?
        var b64_json: String?
    }
    struct Failure: Decodable {
        var message: String
        var type: String
        var param: String?
        var code: String?
    }
    var created: Int?
    var data: [Item]?
    var error: Failure?
}

extension TestClientProtocol {
    func openAI(
        _ path: String, json fields: [String: Any], key: String?,
        check: @escaping (TestResponse, OpenAIReply) throws -> Void
    ) async throws {
        let response = try await post(
            path, body: try JSONSerialization.data(withJSONObject: fields), authorization: key.map { "Bearer \($0)" })
        try check(response, try JSONDecoder().decode(OpenAIReply.self, from: Data(buffer: response.body)))
    }

    func edit(
        parts: [(name: String, filename: String?, body: Data)], key: String, contentType: String? = nil,
        check: @escaping (TestResponse, OpenAIReply) throws -> Void
    ) async throws {
        let boundary = "test-boundary-\(Identifier.make())"
        var body = Data()
        for part in parts {
            var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { header += "; filename=\"\(filename)\"\r\nContent-Type: image/jpeg" }
            body.append(Data((header + "\r\n\r\n").utf8))
            body.append(part.body)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        let headers: HTTPFields = [
            .authorization: "Bearer \(key)", .contentType: contentType ?? "multipart/form-data; boundary=\(boundary)",
        ]
        try await execute(uri: "/v1/images/edits", method: .post, headers: headers, body: ByteBuffer(data: body)) {
            response in
            try check(response, try JSONDecoder().decode(OpenAIReply.self, from: Data(buffer: response.body)))
        }
    }
}

func field(_ name: String, _ value: String) -> (name: String, filename: String?, body: Data) {
    (name, nil, Data(value.utf8))
}

@Suite("OpenAI-compatible endpoints")
struct OpenAIEndpointTests {
    @Test("generations: created, data[].url serving a JPEG of the mapped size, recorded as the openai dialect")
    func generations() async throws {
        let harness = try Harness()
        try await harness.test { client in
            nonisolated(unsafe) var url = ""
            try await client.openAI(
                "/v1/images/generations", json: ["model": "MiniMax-Image-01", "prompt": "otter", "size": "1024x1792"],
                key: harness.key
            ) { response, reply in
                #expect(response.status == .ok)
                #expect(reply.created ?? 0 > 0)
                url = try #require(reply.data?.first?.url)
                let id = try #require(response.headers[HTTPField.Name("Trace-Id")!])
                #expect(try harness.directory.store.job(id: id)?.dialect == .openai)
            }
            let image = try await client.download(url)
            #expect(
                try ImageHeader(probing: Data(buffer: image.body))
                    == ImageHeader(format: .jpeg, width: 720, height: 1280))
        }
    }

    @Test("edits: the image part is the reference; fields are typed")
    func edits() async throws {
        let harness = try Harness()
        let reference = try jpegReference()
        try await harness.test { client in
            try await client.edit(
                parts: [
                    field("model", "MiniMax-Image-01"), field("prompt", "harbor worker"), field("n", "2"),
                    field("response_format", "b64_json"), ("image[]", "face.jpg", reference),
                ], key: harness.key
            ) { response, reply in
                #expect(response.status == .ok)
                #expect(reply.data?.count == 2)
                #expect(reply.data?.first?.b64_json != nil)
            }
        }
    }

    @Test("edits refuse two images, a mask, no image, and a body that is not multipart")
    func editRefusals() async throws {
        let harness = try Harness()
        let reference = try jpegReference()
        try await harness.test { client in
            let cases: [([(name: String, filename: String?, body: Data)], String?, String?)] = [
                ([field("prompt", "p"), ("image", "a.jpg", reference), ("image", "b.jpg", reference)], nil, "image"),
                ([field("prompt", "p"), ("image", "a.jpg", reference), ("mask", "m.png", reference)], nil, "mask"),
                ([field("prompt", "p")], nil, "image"),
                // Bytes that are not an image are found by the worker: still named `image`.
                ([field("prompt", "p"), ("image", "a.jpg", Data("not an image".utf8))], nil, "image"),
                ([field("prompt", "p"), ("image", "a.jpg", reference)], "text/plain", "image"),
                // Labelled JSON, so read as JSON: it is not.
                ([field("prompt", "p"), ("image", "a.jpg", reference)], "application/json", nil),
            ]
            for (parts, contentType, param) in cases {
                try await client.edit(parts: parts, key: harness.key, contentType: contentType) { response, reply in
                    #expect(response.status == .badRequest)
                    #expect(reply.error?.param == param)
                    #expect(reply.error?.type == "invalid_request_error")
                }
            }
        }
    }

    @Test("edits as JSON: images[0].image_url is the reference; one image, no mask, a well-formed file_id")
    func jsonEdits() async throws {
        let harness = try Harness()
        let reference = dataURL(try jpegReference())
        try await harness.test { client in
            try await client.openAI(
                "/v1/images/edits",
                json: [
                    "model": "image-01", "prompt": "the same person on a beach", "response_format": "b64_json",
                    "images": [["image_url": reference]],
                ], key: harness.key
            ) { response, reply in
                #expect(response.status == .ok)
                #expect(reply.data?.count == 1 && reply.data?.first?.b64_json != nil)
            }
            let refusals: [([String: Any], String)] = [
                (["prompt": "p"], "images"),
                (["prompt": "p", "images": [["image_url": reference], ["image_url": reference]]], "images"),
                (["prompt": "p", "images": [["file_id": "file-1"]]], "images[0].file_id"),
                (["prompt": "p", "images": ["not an object"]], "images[0]"),
                (["prompt": "p", "images": [["image_url": reference]], "mask": ["image_url": reference]], "mask"),
                (["prompt": "p", "images": [["image_url": "ftp://example.com/face.jpg"]]], "images[0].image_url"),
                // Found wrong only when the worker loads it: named the same way.
                (["prompt": "p", "images": [["image_url": "data:image/jpeg;base64,AAAAAAAA"]]], "images[0].image_url"),
            ]
            for (body, param) in refusals {
                try await client.openAI("/v1/images/edits", json: body, key: harness.key) { response, reply in
                    #expect(response.status == .badRequest, "\(param)")
                    #expect(reply.error?.param == param)
                }
            }
        }
    }

    @Test(
        "today's OpenAI fields: background opaque or auto is fine, transparent is refused; quality and moderation are accepted"
    )
    func todaysFields() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for background in ["auto", "opaque"] {
                try await client.openAI(
                    "/v1/images/generations",
                    json: [
                        "model": "image-01", "prompt": "a lighthouse", "background": background, "quality": "high",
                        "moderation": "low", "output_compression": 80,
                    ], key: harness.key
                ) { response, _ in #expect(response.status == .ok) }
            }
            try await client.openAI(
                "/v1/images/generations",
                json: ["model": "image-01", "prompt": "a lighthouse", "background": "transparent"],
                key: harness.key
            ) { response, reply in
                #expect(response.status == .badRequest)
                #expect(reply.error?.param == "background")
                #expect(reply.error?.message.contains("opaque") == true)
            }
            try await client.openAI(
                "/v1/images/generations", json: ["model": "image-01", "prompt": "a lighthouse", "background": "pink"],
                key: harness.key
            ) { response, reply in
                #expect(response.status == .badRequest)
                #expect(reply.error?.param == "background")
            }
        }
    }

    @Test(
        "output_format: URLs, base64 and streamed images come in the format asked, named in the answer",
        arguments: [(OutputFormat.png, ImageFormat.png), (.webp, .webp), (.jpeg, .jpeg)])
    func outputFormats(asked: OutputFormat, detected: ImageFormat) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let fields: [String: Any] = [
                "model": "image-01", "prompt": "a lighthouse", "output_format": asked.rawValue, "aigc_watermark": true,
            ]
            let linked = try await client.post(
                "/v1/images/generations", body: try JSONSerialization.data(withJSONObject: fields),
                authorization: "Bearer \(harness.key)")
            #expect(linked.status == .ok)
            let answer = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: linked.body)) as? [String: Any])
            #expect(answer["output_format"] as? String == asked.rawValue)
            let url = try #require((answer["data"] as? [[String: Any]])?.first?["url"] as? String)
            #expect(url.contains(".\(asked.fileExtension)?"))
            let file = try await client.download(url)
            #expect(file.headers[.contentType] == asked.mimeType)
            let bytes = Data(buffer: file.body)
            #expect(try ImageHeader(probing: bytes) == ImageHeader(format: detected, width: 1024, height: 1024))
            #expect(try ImageHeader.xmp(in: bytes)?.contains("trainedAlgorithmicMedia") == true, "the AIGC marker")

            var inline = fields
            inline["response_format"] = "b64_json"
            inline["aigc_watermark"] = false
            try await client.openAI("/v1/images/generations", json: inline, key: harness.key) { response, reply in
                #expect(response.status == .ok)
                let encoded = try #require(reply.data?.first?.b64_json)
                let decoded = try #require(Data(base64Encoded: encoded))
                #expect(try ImageHeader(probing: decoded).format == detected)
            }

            var streamed = fields
            streamed["stream"] = true
            let events = try await client.post(
                "/v1/images/generations", body: try JSONSerialization.data(withJSONObject: streamed),
                authorization: "Bearer \(harness.key)")
            let data = try #require(String(buffer: events.body).split(separator: "\n").last?.dropFirst("data: ".count))
            let event = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
            #expect(event["output_format"] as? String == asked.rawValue)
            let encoded = try #require(event["b64_json"] as? String)
            let decoded = try #require(Data(base64Encoded: encoded))
            #expect(try ImageHeader(probing: decoded).format == detected)
        }
    }

    @Test("output_compression is the JPEG or WebP quality; bad formats and compressions are refused by name")
    func outputCompression() async throws {
        let harness = try Harness()
        try await harness.test { client in
            var sizes: [Int] = []
            for compression in [95, 10] {
                try await client.openAI(
                    "/v1/images/generations",
                    json: [
                        "prompt": "a lighthouse", "output_format": "webp", "output_compression": compression,
                        "response_format": "b64_json", "seed": 4,
                    ], key: harness.key
                ) { response, reply in
                    #expect(response.status == .ok)
                    let encoded = try #require(reply.data?.first?.b64_json)
                    sizes.append(try #require(Data(base64Encoded: encoded)).count)
                }
            }
            #expect(sizes.count == 2 && sizes[1] < sizes[0])
            // 0 is OpenAI's most compressed; JPEG's encoder starts at 1.
            try await client.openAI(
                "/v1/images/generations",
                json: ["prompt": "a lighthouse", "output_format": "jpeg", "output_compression": 0], key: harness.key
            ) { response, _ in #expect(response.status == .ok) }
            let refusals: [([String: Any], String)] = [
                (["output_format": "gif"], "output_format"), (["output_format": 3], "output_format"),
                (["output_compression": 101], "output_compression"), (["output_compression": -1], "output_compression"),
                (["output_compression": "high"], "output_compression"),
            ]
            for (extra, param) in refusals {
                try await client.openAI(
                    "/v1/images/generations", json: extra.merging(["prompt": "x"]) { old, _ in old }, key: harness.key
                ) { response, reply in
                    #expect(response.status == .badRequest, "\(extra)")
                    #expect(reply.error?.param == param)
                }
            }
        }
    }

    @Test("stream: true answers server-sent events, one completed event per image, base64 whatever the format asked")
    func stream() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.post(
                "/v1/images/generations",
                body: try JSONSerialization.data(withJSONObject: [
                    "model": "image-01", "prompt": "a lighthouse", "n": 2, "stream": true, "response_format": "url",
                ]), authorization: "Bearer \(harness.key)")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            #expect(response.headers[values: .contentType].count == 1)
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count == 2)
            for event in events {
                let lines = event.split(separator: "\n")
                #expect(lines.first == "event: image_generation.completed")
                let data = try #require(lines.last?.dropFirst("data: ".count))
                let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
                #expect(object["type"] as? String == "image_generation.completed")
                #expect(object["size"] as? String == "1024x1024")
                let encoded = try #require(object["b64_json"] as? String)
                let jpeg = try #require(Data(base64Encoded: encoded))
                #expect(jpeg.starts(with: [0xFF, 0xD8]))
            }
            // With async too, the task is the answer.
            try await client.openAI(
                "/v1/images/generations", json: ["prompt": "x", "stream": true, "async": true], key: harness.key
            ) { response, _ in #expect(response.status == .accepted) }
        }
    }

    @Test("an edit larger than the body limit is refused while it streams")
    func editBodyLimit() async throws {
        let harness = try Harness { $0.maximumBodyBytes = 64 * 1024 }
        var random = SystemRandomNumberGenerator()
        let noise = (0..<(400 * 400 * 3)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let big = try RasterImage(rgbPixels: noise, width: 400, height: 400).encoded(as: .jpeg(quality: 95))
        #expect(big.count > 64 * 1024)
        try await harness.test { client in
            try await client.edit(parts: [field("prompt", "p"), ("image", "a.jpg", big)], key: harness.key) {
                response, reply in
                #expect(response.status == .badRequest)
                #expect(reply.error?.message.contains("larger than") == true)
            }
        }
    }

    @Test("errors carry OpenAI's statuses and shape")
    func errors() async throws {
        let harness = try Harness { $0.promptPolicy = PromptPolicy(blockedPhrases: ["blocked words"]) }
        try await harness.test(engine: FaultInjectingEngine()) { client in
            let cases: [([String: Any], String?, HTTPResponse.Status, String)] = [
                (["prompt": "x", "n": 10], harness.key, .badRequest, "invalid_request_error"),
                (["prompt": "x"], nil, .unauthorized, "authentication_error"),
                (["prompt": "x"], "lk_wrong", .unauthorized, "authentication_error"),
                (["prompt": "x", "model": "gpt-image-1"], harness.key, .notFound, "invalid_request_error"),
                (["prompt": "some blocked words"], harness.key, .forbidden, "content_policy_violation"),
                (["prompt": "[fault:1002]"], harness.key, .tooManyRequests, "rate_limit_error"),
                (["prompt": "[fault:1024]"], harness.key, .internalServerError, "server_error"),
                (["prompt": "[blocked:1]", "n": 1], harness.key, .forbidden, "content_policy_violation"),
            ]
            for (fields, key, status, type) in cases {
                try await client.openAI("/v1/images/generations", json: fields, key: key) { response, reply in
                    #expect(response.status == status, "\(fields)")
                    #expect(reply.error?.type == type, "\(fields)")
                    if status == .tooManyRequests { #expect(response.headers[.retryAfter] == "1") }
                }
            }
        }
    }

    @Test("some images withheld: the rest are returned and the count is in a header")
    func partiallyBlocked() async throws {
        let harness = try Harness()
        try await harness.test(engine: FaultInjectingEngine()) { client in
            try await client.openAI(
                "/v1/images/generations", json: ["prompt": "[blocked:2] cats", "n": 3], key: harness.key
            ) {
                response, reply in
                #expect(response.status == .ok)
                #expect(reply.data?.count == 1)
                #expect(response.headers[HTTPField.Name("X-Likeness-Blocked-Images")!] == "2")
            }
        }
    }

    @Test("unknown routes are OpenAI-shaped 404s; image URLs keep their plain 404")
    func notFound() async throws {
        try await Harness().test { client in
            try await client.execute(uri: "/v1/embeddings", method: .get) { response in
                #expect(response.status == .notFound)
                let reply = try JSONDecoder().decode(OpenAIReply.self, from: Data(buffer: response.body))
                #expect(reply.error?.code == "not_found")
            }
            try await client.execute(uri: "/v1/files/\(Identifier.make()).jpg?expires=1&signature=00", method: .get) {
                response in
                #expect(response.status == .notFound)
                #expect((try? JSONDecoder().decode(OpenAIReply.self, from: Data(buffer: response.body))) == nil)
            }
        }
    }
}

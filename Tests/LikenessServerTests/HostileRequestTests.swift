import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// A reference fetcher that reaches nothing: mutated bodies carry URLs, and a test never leaves
/// the machine.
struct UnreachableFetcher: ReferenceFetching {
    func fetch(_ url: URL, field: String) async throws(APIError) -> Data {
        throw APIError.invalid(field, "could not be fetched (tests reach no network)")
    }
}

/// One generation route and a valid body for it, to mutate.
struct FuzzedRoute: Sendable, CustomStringConvertible {
    enum Shape: Sendable {
        case minimax, openAI, fal
    }

    var path: String
    var shape: Shape
    var authorization: String
    /// The form fields and image of a multipart route; nil for JSON.
    var multipart: Bool = false
    var seed: [String: any Sendable]

    var description: String { path }

    /// Whether an answer delivered images (or queued the request).
    func succeeded(status: HTTPResponse.Status, body: Data) -> Bool {
        guard status == .ok, let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return false
        }
        guard shape == .minimax else { return true }
        return (object["base_resp"] as? [String: Any])?["status_code"] as? Int == 0
    }

    /// Checks one answer: never 5xx, and in the route's own shape.
    func check(status: HTTPResponse.Status, body: Data) -> String? {
        guard status.code < 500 else { return "HTTP \(status.code)" }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return "the body is not a JSON object"
        }
        switch shape {
        case .minimax:
            guard status == .ok, let base = object["base_resp"] as? [String: Any], base["status_code"] is Int,
                base["status_msg"] is String
            else { return "no base_resp with HTTP 200" }
        case .openAI:
            if status == .ok { return object["data"] is [Any] ? nil : "200 without data" }
            guard let error = object["error"] as? [String: Any], error["message"] is String, error["type"] is String
            else { return "\(status.code) without error.message and error.type" }
        case .fal:
            if status == .ok {
                return object["images"] is [Any] || object["request_id"] is String ? nil : "200 without images"
            }
            guard object["detail"] != nil else { return "\(status.code) without detail" }
        }
        return nil
    }
}

/// What the fuzz test saw: answers counted, and each bad one described.
final class FuzzLog: Sendable {
    private let state = Mutex((answered: 0, succeeded: 0, failures: [String]()))

    func record(succeeded: Bool, _ failure: String?) {
        state.withLock { state in
            state.answered += 1
            if succeeded { state.succeeded += 1 }
            if let failure { state.failures.append(failure) }
        }
    }

    var answered: Int { state.withLock { $0.answered } }
    var succeeded: Int { state.withLock { $0.succeeded } }
    var failures: [String] { state.withLock { $0.failures } }
}

@Suite("Hostile requests")
struct HostileRequestTests {
    static let mutationsPerRoute = 2000

    static func routes(key: String, reference: String) -> [FuzzedRoute] {
        let bearer = "Bearer \(key)"
        return [
            FuzzedRoute(
                path: "/v1/image_generation", shape: .minimax, authorization: bearer,
                seed: [
                    "model": "image-01", "prompt": "a lighthouse", "aspect_ratio": "16:9", "n": 2, "seed": 5,
                    "response_format": "base64",
                    "subject_reference": [["type": "character", "image_file": reference] as [String: any Sendable]],
                ]),
            FuzzedRoute(
                path: "/v1/images/generations", shape: .openAI, authorization: bearer,
                seed: [
                    "model": "MiniMax-Image-01-live", "prompt": "a cat", "size": "1792x1024", "n": 1,
                    "response_format": "b64_json",
                    "style": ["style_type": "水彩", "style_weight": 0.5] as [String: any Sendable],
                ]),
            FuzzedRoute(
                path: "/v1/images/edits", shape: .openAI, authorization: bearer, multipart: true,
                seed: ["model": "MiniMax-Image-01", "prompt": "the same person", "n": "1", "size": "1024x1536"]),
            FuzzedRoute(
                path: "/v1/images/edits", shape: .openAI, authorization: bearer,
                seed: [
                    "model": "image-01", "prompt": "the same person", "background": "opaque",
                    "images": [["image_url": reference] as [String: any Sendable]],
                ]),
            FuzzedRoute(
                path: "/fal/fal-ai/minimax/image-01/subject-reference", shape: .fal, authorization: "Key \(key)",
                seed: ["prompt": "a portrait", "image_url": reference, "aspect_ratio": "3:4", "num_images": 1]),
            FuzzedRoute(
                path: "/fal/queue/fal-ai/minimax/image-01", shape: .fal, authorization: "Key \(key)",
                seed: ["prompt": "a harbour", "num_images": 2, "prompt_optimizer": true]),
        ]
    }

    /// The body of mutation `index` of `route`: a JSON or form body, field-mutated or
    /// byte-mutated, with its content type.
    static func body(_ route: FuzzedRoute, index: Int, image: Data) throws -> (Data, String) {
        var generator = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9 ^ SplitMix64.hash(route.path))
        let fields = HostileBodies.fieldMutation(of: route.seed as [String: Any], using: &generator)
        let structured = index % 2 == 0
        guard route.multipart else {
            let valid = try JSONSerialization.data(withJSONObject: structured ? fields : route.seed)
            return (structured ? valid : HostileBodies.byteMutation(of: valid, using: &generator), "application/json")
        }
        let boundary = "fuzz-boundary"
        var form = Data()
        for (name, value) in (structured ? fields : route.seed as [String: Any]).sorted(by: { $0.key < $1.key }) {
            form.append(
                Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if index % 5 != 0 {
            form.append(
                Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n".utf8))
            form.append(index % 7 == 0 ? Data("not an image".utf8) : image)
            form.append(Data("\r\n".utf8))
        }
        form.append(Data("--\(boundary)--\r\n".utf8))
        let body = structured ? form : HostileBodies.byteMutation(of: form, using: &generator)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    @Test("10,000 mutated bodies across every generation route: no 5xx, each answer in its dialect's shape")
    func fuzzEveryRoute() async throws {
        let harness = try Harness { $0.maximumConcurrentJobs = 4 }
        let image = try jpegReference(width: 96, height: 128)
        let routes = Self.routes(key: harness.key, reference: dataURL(image))
        let log = FuzzLog()
        try await harness.test(engine: try InstantEngine(), fetcher: UnreachableFetcher()) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for route in routes {
                    group.addTask {
                        for index in 0..<Self.mutationsPerRoute {
                            let (body, contentType) = try Self.body(route, index: index, image: image)
                            try await client.execute(
                                uri: route.path, method: .post,
                                headers: [.authorization: route.authorization, .contentType: contentType],
                                body: ByteBuffer(data: body)
                            ) { response in
                                let answer = Data(buffer: response.body)
                                let problem = route.check(status: response.status, body: answer)
                                log.record(
                                    succeeded: route.succeeded(status: response.status, body: answer),
                                    problem.map { "\(route) mutation \(index): \($0): \(String(reflecting: body))" })
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(log.answered == routes.count * Self.mutationsPerRoute)
        // Mutations that stay valid reach the engine and are stored: the whole path is exercised.
        #expect(log.succeeded > routes.count * Self.mutationsPerRoute / 20)
        let found = log.failures
        #expect(found.isEmpty, "\(found.count) bad answers; the first: \(found.prefix(3).joined(separator: "\n"))")
    }

    @Test(
        "a prompt with nothing visible is 2013 naming prompt in every dialect, before any engine work",
        arguments: ["\u{0}", "\u{0}\u{1}\u{2}", "\u{200B}\u{FEFF}", "\u{7F}\u{85}", " \u{3000}\t", "\u{FFFF}"])
    func invisiblePrompt(prompt: String) async throws {
        let harness = try Harness()
        let engine = CountingEngine()
        try await harness.test(engine: engine) { client in
            try await client.generate(["model": "image-01", "prompt": prompt], key: harness.key) { _, reply in
                #expect(reply.base_resp.status_code == 2013)
                #expect(reply.base_resp.status_msg.hasPrefix("invalid params, prompt "))
            }
            let openAI = try JSONSerialization.data(withJSONObject: ["prompt": prompt])
            try await client.execute(
                uri: "/v1/images/generations", method: .post,
                headers: [.authorization: "Bearer \(harness.key)", .contentType: "application/json"],
                body: ByteBuffer(data: openAI)
            ) { response in
                #expect(response.status == .badRequest)
                let error = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((error?["error"] as? [String: Any])?["param"] as? String == "prompt")
            }
            try await client.execute(
                uri: "/fal/fal-ai/minimax/image-01", method: .post,
                headers: [.authorization: "Key \(harness.key)", .contentType: "application/json"],
                body: ByteBuffer(data: openAI)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let detail = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let location = ((detail?["detail"] as? [[String: Any]])?.first?["loc"] as? [String])
                #expect(location == ["body", "prompt"])
            }
        }
        #expect(engine.calls.withLock { $0 } == 0)
    }

    @Test(
        "every prompt the validator accepts renders in the preview engine",
        arguments: [
            "a\u{0}b", "\u{1}x\u{7F}", "\u{85}y", "z\u{FFFF}", "\u{202E}evil", "é\u{301}", "\u{301}", "👩‍👩‍👧",
            "\u{FE0F}a", "<b>&amp;</b>", "\u{E000}", "\u{10FFFD}", "漫画", "\u{200B}w\u{200B}", "\n\nq\n",
        ])
    func acceptedPromptsRender(prompt: String) async throws {
        let draft = {
            var draft = GenerationDraft()
            draft.prompt = prompt
            draft.width = 512
            draft.height = 512
            return draft
        }()
        let request = try GenerationRequest(validating: draft, spelling: .minimax)
        let output = try await PreviewEngine().generate(EngineJob(id: "render", request: request, seeds: [1])) { _ in }
        #expect(output.images.count == 1)
        #expect(try ImageHeader(probing: output.images[0].jpeg).width == 512)
    }
}

@Suite("Refusals before any work")
struct EarlyRefusalTests {
    @Test(
        "a bad key on every generation route: refused in the route's dialect, labelled, charged nothing",
        arguments: [
            ("/v1/image_generation", "Bearer", 200), ("/v1/images/generations", "Bearer", 401),
            ("/fal/fal-ai/minimax/image-01", "Key", 401), ("/fal/queue/fal-ai/minimax/image-01", "Key", 401),
        ])
    func badKey(path: String, scheme: String, status: Int) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.post(
                path, body: Data(#"{"model": "image-01", "prompt": "x"}"#.utf8),
                authorization: "\(scheme) lk_not-a-key")
            #expect(Int(response.status.code) == status)
            #expect(response.headers[HTTPField.Name("X-Likeness-Cost-USD")!] == "0.00")
            #expect(response.headers[HTTPField.Name("Trace-Id")!]?.count == 32)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let code = (body?["base_resp"] as? [String: Any])?["status_code"] as? Int
            #expect(code == 2049 || body?["error"] != nil || body?["detail"] != nil)
        }
    }
}

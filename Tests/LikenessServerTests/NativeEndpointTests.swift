import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

@Suite("POST /v1/image_generation")
struct NativeEndpointTests {
    @Test("the seed's text-to-image example: documented shape, n URLs serving JPEGs at the exact size")
    func textToImage() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let example: [String: Any] = [
                "model": "image-01",
                "prompt":
                    "A man in a white t-shirt, full-body, standing front view, outdoors, with the Venice Beach sign in the background, Los Angeles. Fashion photography in 90s documentary style, film grain, photorealistic.",
                "aspect_ratio": "16:9", "response_format": "url", "n": 3, "prompt_optimizer": true,
            ]
            nonisolated(unsafe) var urls: [String] = []
            try await client.generate(example, key: harness.key) { response, reply in
                #expect(reply.base_resp.status_code == 0)
                #expect(reply.base_resp.status_msg == "success")
                let id = try #require(reply.id)
                #expect(Identifier.isValid(id))
                #expect(response.headers[HTTPField.Name("Trace-Id")!] == id)
                #expect(response.headers[HTTPField.Name("X-Likeness-Engine")!] == "preview")
                #expect(response.headers[HTTPField.Name("Server-Timing")!]?.hasPrefix("engine;dur=") == true)
                #expect(reply.metadata?.success_count == "3")
                #expect(reply.metadata?.failed_count == "0")
                #expect(reply.data?.image_base64 == nil)
                urls = try #require(reply.data?.image_urls)
            }
            #expect(urls.count == 3)
            for url in urls {
                let image = try await client.download(url)
                #expect(image.status == .ok)
                #expect(image.headers[.contentType] == "image/jpeg")
                let header = try ImageHeader(probing: Data(buffer: image.body))
                #expect(header == ImageHeader(format: .jpeg, width: 1280, height: 720))
            }
        }
    }

    @Test("the seed's image-to-image example, with the reference inline as a data URL")
    func imageToImage() async throws {
        let harness = try Harness()
        let reference = try jpegReference()
        try await harness.test { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "A girl looking into the distance from a library window",
                    "aspect_ratio": "16:9", "n": 2,
                    "subject_reference": [["type": "character", "image_file": dataURL(reference)]],
                ], key: harness.key
            ) { _, reply in
                #expect(reply.base_resp.status_code == 0)
                #expect(reply.data?.image_urls?.count == 2)
            }
        }
    }

    @Test("an image drawn from a photo with camera, GPS and author tags carries none of them")
    func referenceMetadataStripped() async throws {
        let harness = try Harness()
        let photo = try personalPhoto(width: 320, height: 320)
        try await harness.test { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "a portrait by the sea", "response_format": "base64",
                    "aigc_watermark": true,
                    "subject_reference": [["type": "character", "image_file": dataURL(photo)]],
                ], key: harness.key
            ) { _, reply in
                let image = try #require(reply.data?.image_base64?.first.flatMap { Data(base64Encoded: $0) })
                #expect(exifTags(in: image).isDisjoint(with: PersonalMetadata.tags))
                #expect(PersonalMetadata.strings.allSatisfy { image.range(of: Data($0.utf8)) == nil })
                // The one packet is Likeness's own AIGC marker.
                let xmp = try #require(try ImageHeader.xmp(in: image))
                #expect(xmp.contains("likeness:AIGC=\"true\"") && !xmp.contains(PersonalMetadata.artist))
            }
        }
    }

    @Test("a photo's metadata is gone from the stored reference and from what the engine is given")
    func storedReferenceStripped() async throws {
        let harness = try Harness()
        let engine = InputInspectingEngine(inputs: harness.directory.blobs.root.appending(path: "inputs"))
        let photo = try personalPhoto(width: 320, height: 320)
        try await harness.test(engine: engine) { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "a portrait",
                    "subject_reference": [["type": "character", "image_file": dataURL(photo)]],
                ], key: harness.key
            ) { _, reply in #expect(reply.base_resp.status_code == 0) }
        }
        let (stored, given) = try #require(engine.seen.withLock { $0 })
        for bytes in [stored, given] {
            #expect(exifTags(in: bytes).isDisjoint(with: PersonalMetadata.tags))
            #expect(PersonalMetadata.strings.allSatisfy { bytes.range(of: Data($0.utf8)) == nil })
            #expect(try ImageHeader(probing: bytes) == ImageHeader(format: .jpeg, width: 320, height: 320))
        }
    }

    @Test("base64: JPEG bytes inline; the same seed gives identical bytes, no seed differs")
    func base64AndSeeds() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let seeded: [String: Any] = [
                "model": "image-01", "prompt": "koi", "response_format": "base64", "seed": 77, "aspect_ratio": "9:16",
            ]
            nonisolated(unsafe) var replies: [[String]] = []
            for fields in [seeded, seeded, seeded.filter { $0.key != "seed" }, seeded.filter { $0.key != "seed" }] {
                try await client.generate(fields, key: harness.key) { _, reply in
                    #expect(reply.data?.image_urls == nil)
                    replies.append(try #require(reply.data?.image_base64))
                }
            }
            #expect(replies[0] == replies[1])
            #expect(replies[2] != replies[3])
            let header = try ImageHeader(probing: Data(base64Encoded: replies[0][0]) ?? Data())
            #expect(header == ImageHeader(format: .jpeg, width: 720, height: 1280))
        }
    }

    @Test("custom width and height are honoured exactly")
    func customSize() async throws {
        let harness = try Harness()
        try await harness.test { client in
            try await client.generate(
                ["model": "image-01", "prompt": "x", "width": 1536, "height": 640, "response_format": "base64"],
                key: harness.key
            ) { _, reply in
                let bytes = try #require(reply.data?.image_base64?.first.flatMap { Data(base64Encoded: $0) })
                #expect(try ImageHeader(probing: bytes) == ImageHeader(format: .jpeg, width: 1536, height: 640))
            }
        }
    }

    @Test("aigc_watermark puts the XMP marker in served files; off by default")
    func watermark() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for flag in [true, false] {
                try await client.generate(
                    ["model": "image-01", "prompt": "x", "response_format": "base64", "aigc_watermark": flag],
                    key: harness.key
                ) { _, reply in
                    let bytes = try #require(reply.data?.image_base64?.first.flatMap { Data(base64Encoded: $0) })
                    #expect((bytes.range(of: Data("trainedAlgorithmicMedia".utf8)) != nil) == flag)
                }
            }
        }
    }

    @Test("GET /health names the engine")
    func health() async throws {
        try await Harness().test { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"engine\":\"preview\""))
            }
        }
    }
}

@Suite("Authentication")
struct AuthenticationTests {
    var body: [String: Any] { ["model": "image-01", "prompt": "x"] }

    @Test("a missing or malformed Authorization header is 1004, with HTTP 200")
    func malformed() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let data = try JSONSerialization.data(withJSONObject: body)
            for header in [nil, "Basic abc", "Bearer", harness.key] as [String?] {
                try await client.generate(raw: data, key: nil, authorization: header) { _, reply in
                    #expect(reply.base_resp.status_code == 1004)
                    #expect(reply.data == nil)
                }
            }
        }
    }

    @Test(
        "an unknown or revoked key is 2049: at once when revoked through the server, within the key cache's bound when revoked elsewhere"
    )
    func unknownAndRevoked() async throws {
        let harness = try Harness { $0.billing.keyCacheLifetime = .seconds(1) }
        let house = try harness.houseAccountID()
        let throughServer = try harness.directory.store.createKey(name: "revoked by the admin API", accountID: house)
        let elsewhere = try harness.directory.store.createKey(name: "revoked by another process", accountID: house)
        try await harness.test { client in
            try await client.generate(body, key: "lk_not-a-key") { _, reply in
                #expect(reply.base_resp.status_code == 2049)
            }
            try await client.generate(body, key: throughServer.secret) { _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            let revoked = try await client.send(.delete, "/v1/admin/keys/\(throughServer.key.id)", key: harness.key)
            #expect(revoked.status == .ok)
            try await client.generate(body, key: throughServer.secret) { _, reply in
                #expect(reply.base_resp.status_code == 2049)
            }
            // The `likeness` command, or another replica: this server may trust the key it
            // checked for as long as the cache's lifetime, and no longer.
            try await client.generate(body, key: elsewhere.secret) { _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            #expect(try harness.directory.store.revokeKey(id: elsewhere.key.id))
            try await Task.sleep(for: .milliseconds(1100))
            try await client.generate(body, key: elsewhere.secret) { _, reply in
                #expect(reply.base_resp.status_code == 2049)
            }
        }
    }

    @Test("recent keys: a valid key is trusted for its lifetime, not past its own expiry, and forgotten on any change")
    func recentKeys() async throws {
        let now = Date()
        let store = try Harness().directory.store
        let issued = try store.createKey(
            name: "k", accountID: try store.createAccount(name: "a", billing: .prepaid, limits: UsageLimits()).id)
        guard case .valid(let key, let account) = try store.checkKey(secret: issued.secret) else {
            Issue.record("a fresh key is not valid")
            return
        }
        func caller(expiresAt: Date?) -> Caller {
            var key = key
            key.expiresAt = expiresAt
            return Caller(key: key, account: account)
        }
        let keys = RecentKeys(lifetime: .milliseconds(200))
        keys.remember(caller(expiresAt: nil), secret: "lk_a", at: now)
        keys.remember(caller(expiresAt: now.addingTimeInterval(-1)), secret: "lk_expired", at: now)
        #expect(keys.caller(secret: "lk_a", at: now)?.key.id == key.id)
        #expect(keys.caller(secret: "lk_b", at: now) == nil)
        #expect(keys.caller(secret: "lk_expired", at: now) == nil)
        keys.forgetAll()
        #expect(keys.caller(secret: "lk_a", at: now) == nil)
        keys.remember(caller(expiresAt: nil), secret: "lk_a", at: now)
        try await Task.sleep(for: .milliseconds(250))
        #expect(keys.caller(secret: "lk_a", at: now) == nil)
        let off = RecentKeys(lifetime: .zero)
        off.remember(caller(expiresAt: nil), secret: "lk_a", at: now)
        #expect(off.caller(secret: "lk_a", at: now) == nil)
    }

    @Test("the scheme is case-insensitive")
    func lowercaseBearer() async throws {
        let harness = try Harness()
        try await harness.test { client in
            try await client.generate(
                raw: try JSONSerialization.data(withJSONObject: body), key: nil, authorization: "bearer \(harness.key)"
            ) {
                _, reply in #expect(reply.base_resp.status_code == 0)
            }
        }
    }
}

@Suite("Refusals and records")
struct RefusalTests {
    @Test("invalid parameters are 2013 naming the field, and the request is recorded as failed")
    func invalidRecorded() async throws {
        let harness = try Harness()
        try await harness.test { client in
            try await client.generate(["model": "image-01", "prompt": "x", "n": 12], key: harness.key) {
                response, reply in
                #expect(reply.base_resp.status_code == 2013)
                #expect(reply.base_resp.status_msg.contains("n must be"))
                let id = try #require(response.headers[HTTPField.Name("Trace-Id")!])
                let job = try #require(try harness.directory.store.job(id: id))
                #expect(job.status == .failed && job.failure?.code == 2013)
            }
        }
    }

    @Test("malformed JSON is 2013")
    func malformedJSON() async throws {
        let harness = try Harness()
        try await harness.test { client in
            try await client.generate(raw: Data("{\"model\": \"image-01\",".utf8), key: harness.key) { _, reply in
                #expect(reply.base_resp.status_code == 2013)
            }
        }
    }

    @Test("a body over the limit is 2013 and is not read to the end")
    func bodyLimit() async throws {
        let harness = try Harness { $0.maximumBodyBytes = 4096 }
        try await harness.test { client in
            let big: [String: Any] = [
                "model": "image-01", "prompt": "x", "padding": String(repeating: "a", count: 10_000),
            ]
            try await client.generate(big, key: harness.key) { _, reply in
                #expect(reply.base_resp.status_code == 2013)
                #expect(reply.base_resp.status_msg.contains("4096"))
            }
        }
    }

    @Test("a blocked prompt is 1026 before any engine work")
    func contentSafety() async throws {
        let harness = try Harness { $0.promptPolicy = PromptPolicy(blockedPhrases: ["purple elephant"]) }
        let engine = CountingEngine()
        try await harness.test(engine: engine) { client in
            try await client.generate(["model": "image-01", "prompt": "A PURPLE-ELEPHANT dancing"], key: harness.key) {
                response, reply in
                #expect(reply.base_resp.status_code == 1026)
                let id = try #require(response.headers[HTTPField.Name("Trace-Id")!])
                #expect(try harness.directory.store.job(id: id)?.failure?.code == 1026)
            }
            #expect(engine.calls.withLock { $0 } == 0)
            try await client.generate(["model": "image-01", "prompt": "a grey elephant"], key: harness.key) {
                _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            #expect(engine.calls.withLock { $0 } == 1)
        }
    }

    @Test("a successful request is recorded with parameters (no image bytes), engine, timings and image ids")
    func durableRecord() async throws {
        let harness = try Harness()
        let reference = try jpegReference()
        try await harness.test { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "recorded", "n": 2, "seed": 5,
                    "subject_reference": [["type": "character", "image_file": dataURL(reference)]],
                ], key: harness.key
            ) { response, reply in
                let id = try #require(reply.id)
                let job = try #require(try harness.directory.store.job(id: id))
                #expect(job.status == .succeeded && job.engine == "preview" && job.dialect == .minimax)
                #expect(job.keyID != nil && job.startedAt != nil && job.finishedAt != nil)
                #expect(job.imageCount == 2 && job.resultImageIDs.count == 2)
                let parameters = try #require(job.parameters)
                #expect(parameters.contains("\"seed\":5"))
                #expect(parameters.contains("\"subject_reference\":\"inline\""))
                #expect(!parameters.contains(reference.base64EncodedString().prefix(40)))
                for (url, imageID) in zip(try #require(reply.data?.image_urls), job.resultImageIDs) {
                    #expect(url.contains(imageID))
                }
            }
        }
    }
}

@Suite("Reference images")
struct ReferenceImageTests {
    func expectRefused(_ imageFile: String, mentioning text: String, harness: Harness? = nil) async throws {
        let harness = try harness ?? Harness()
        try await harness.test { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "x",
                    "subject_reference": [["type": "character", "image_file": imageFile]],
                ],
                key: harness.key
            ) { _, reply in
                #expect(reply.base_resp.status_code == 2013)
                #expect(reply.base_resp.status_msg.contains(text), "\(reply.base_resp.status_msg)")
            }
        }
    }

    @Test("the type is judged by content: a PNG labelled JPEG is fine, a GIF or text is not")
    func typeByContent() async throws {
        let png = try RasterImage.panel(width: 200, height: 200, colour: RGB(0, 0, 255), alpha: 255).encoded(as: .png)
        let harness = try Harness()
        try await harness.test { client in
            try await client.generate(
                [
                    "model": "image-01", "prompt": "x",
                    "subject_reference": [["type": "character", "image_file": dataURL(png, type: "image/jpeg")]],
                ],
                key: harness.key
            ) { _, reply in #expect(reply.base_resp.status_code == 0) }
        }
        let gif = Data(base64Encoded: "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")!
        try await expectRefused(dataURL(gif, type: "image/jpeg"), mentioning: "JPG, JPEG or PNG")
        try await expectRefused(dataURL(Data("not an image at all".utf8)), mentioning: "not an image")
    }

    @Test("a decompression bomb is refused from its header")
    func bomb() async throws {
        try await expectRefused(
            dataURL(bombPNG(width: 50_000, height: 50_000), type: "image/png"), mentioning: "larger than")
    }

    @Test("a truncated JPEG is refused")
    func truncated() async throws {
        let jpeg = try RasterImage.gradient(
            width: 600, height: 600, from: RGB(0, 0, 0), to: RGB(255, 255, 255), vertical: true
        )
        .encoded(as: .jpeg(quality: 95))
        try await expectRefused(dataURL(jpeg.prefix(jpeg.count / 2)), mentioning: "not usable")
    }

    @Test("a tiny image is refused")
    func tiny() async throws {
        try await expectRefused(dataURL(try jpegReference(width: 20, height: 20)), mentioning: "smaller than")
    }
}

/// The preview engine, noting the job's stored input file and the reference it is given.
private final class InputInspectingEngine: ImageEngine {
    let name = "preview"
    let inputs: URL
    let seen = Mutex<(stored: Data, given: Data)?>(nil)

    init(inputs: URL) { self.inputs = inputs }

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws -> EngineOutput
    {
        let stored = try Data(contentsOf: inputs.appending(path: "\(job.id).input"))
        seen.withLock { $0 = (stored, job.referenceImage ?? Data()) }
        return try await PreviewEngine().generate(job, progress: progress)
    }
}

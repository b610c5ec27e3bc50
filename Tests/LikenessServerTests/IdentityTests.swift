import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessClient
import LikenessCore
import LikenessEngines
import LikenessFaces
import LikenessImaging
import LikenessSimulators
import LikenessStore
import LikenessTestSupport
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// Identity checks across the server: the reference's face at intake, the scores of every image
/// made from it in each dialect, and the consistency guard against an upstream that draws the
/// wrong person. Real dlib models and real photographs (`scripts/face-models.sh --photos`).
@Suite("identity: reference check, scores, consistency guard")
struct IdentityTests {
    /// A harness with identity scoring on (`check` for the reference).
    static func harness(
        check: IdentitySettings.ReferenceCheck = .reject, _ configure: (inout LikenessConfiguration) -> Void = { _ in }
    ) throws -> Harness {
        try Harness { configuration in
            configuration.identity = IdentitySettings(
                models: FacePhotos.modelsDirectory.path, threads: 2, referenceCheck: check)
            configure(&configuration)
        }
    }

    /// A picture with no face in it.
    static func faceless() throws -> Data {
        try RasterImage.gradient(width: 600, height: 600, from: RGB(30, 60, 90), to: RGB(200, 180, 40), vertical: true)
            .encoded(as: .jpeg(quality: 90))
    }

    static func nativeRequest(reference: Data, n: Int = 1, extra: [String: Any] = [:]) -> [String: Any] {
        var fields: [String: Any] = [
            "model": "image-01", "prompt": "the same person at the seaside", "aspect_ratio": "1:1", "n": n,
            "subject_reference": [["type": "character", "image_file": dataURL(reference)]],
        ]
        fields.merge(extra) { $1 }
        return fields
    }

    static func metadata(_ reply: Reply) -> [String: Any] { reply.object["metadata"] as? [String: Any] ?? [:] }

    @Test("A reference without a face is refused, in each dialect's shape, before any engine runs")
    func facelessReferenceRefused() async throws {
        let harness = try Self.harness()
        let engine = CountingEngine()
        let reference = try Self.faceless()
        try await harness.test(engine: engine) { client in
            let native = try await client.native(Self.nativeRequest(reference: reference), key: harness.key)
            #expect(native.nativeCode == 2013)
            let message = (native.object["base_resp"] as? [String: Any])?["status_msg"] as? String ?? ""
            #expect(message == "invalid params, no face found in subject_reference[0].image_file")

            let openAI = try await client.send(
                .post, "/v1/images/generations", key: harness.key,
                json: [
                    "model": "image-01", "prompt": "portrait",
                    "subject_reference": [["type": "character", "image_file": dataURL(reference)]],
                ])
            #expect(openAI.status == .badRequest)
            #expect(openAI.error["param"] as? String == "subject_reference[0].image_file")
            #expect((openAI.error["message"] as? String)?.contains("no face found") == true)

            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: harness.key, scheme: "Key",
                json: ["prompt": "portrait", "image_url": dataURL(reference)])
            #expect(fal.status == .unprocessableContent)
            let detail = try #require((fal.object["detail"] as? [[String: Any]])?.first)
            #expect(detail["loc"] as? [String] == ["body", "image_url"])
            #expect((detail["msg"] as? String)?.contains("no face found in image_url") == true)
        }
        #expect(engine.calls.withLock { $0 } == 0)
    }

    @Test("The edits form's reference is checked too, named as its `image` part")
    func facelessEditRefused() async throws {
        let harness = try Self.harness()
        let reference = try Self.faceless()
        try await harness.test { client in
            let boundary = "identity-boundary"
            var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nportrait\r\n".utf8)
            form.append(
                Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                        .utf8))
            form.append(reference)
            form.append(Data("\r\n--\(boundary)--\r\n".utf8))
            let response = try await client.post(
                "/v1/images/edits", body: form, authorization: "Bearer \(harness.key)",
                contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(response.status == .badRequest)
            let error = try #require(
                (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["error"]
                    as? [String: Any])
            #expect(error["param"] as? String == "image")
            #expect(error["message"] as? String == "invalid params, no face found in image")
        }
    }

    @Test("With the check at warn, a faceless reference goes through, unscored, and the answer says why")
    func warnLetsThrough() async throws {
        let harness = try Self.harness(check: .warn)
        try await harness.test { client in
            let reply = try await client.native(Self.nativeRequest(reference: try Self.faceless()), key: harness.key)
            #expect(reply.nativeCode == 0)
            let metadata = Self.metadata(reply)
            #expect((metadata["identity_note"] as? String)?.hasPrefix("no face found") == true)
            #expect((metadata["identity_scores"] as? [Any])?.count == 1)
            #expect(reply.headers[HTTPField.Name("X-Likeness-Identity")!] == nil)
        }
    }

    @Test("A face too small to compare is refused with the size found")
    func tinyFaceRefused() async throws {
        // The photo's face is about 275 px; the operator asks for 400 at least.
        let harness = try Self.harness { $0.identity.minimumFaceSide = 400 }
        try await harness.test { client in
            let reply = try await client.native(
                Self.nativeRequest(reference: try FacePhotos.bytes("obama")), key: harness.key)
            #expect(reply.nativeCode == 2013)
            let message = (reply.object["base_resp"] as? [String: Any])?["status_msg"] as? String ?? ""
            #expect(message.hasPrefix("invalid params, the face in subject_reference[0].image_file is "))
            #expect(message.contains(" px, too small to compare (at least 400 px"))
        }
    }

    @Test("With the check off, a faceless reference goes through, with no note and no scores")
    func checkOff() async throws {
        let harness = try Self.harness(check: .off)
        try await harness.test { client in
            let reply = try await client.native(Self.nativeRequest(reference: try Self.faceless()), key: harness.key)
            #expect(reply.nativeCode == 0)
            #expect(Self.metadata(reply)["identity_note"] == nil && Self.metadata(reply)["identity_scores"] == nil)
        }
    }

    @Test("The preview engine's images, which show the reference as their subject, score as the same person")
    func previewScoresSamePerson() async throws {
        let harness = try Self.harness()
        let customer = try harness.customer(credit: MicroDollars(10_000_000))
        let reference = try FacePhotos.bytes("obama")
        try await harness.test { client in
            let native = try await client.native(Self.nativeRequest(reference: reference, n: 2), key: customer.key)
            #expect(native.nativeCode == 0)
            let scores = try #require(Self.metadata(native)["identity_scores"] as? [Double])
            #expect(scores.count == 2 && scores.allSatisfy { $0 >= IdentitySimilarity.samePersonThreshold })
            let header = try #require(native.headers[HTTPField.Name("X-Likeness-Identity")!])
            #expect(Double(header) == scores.min())

            let openAI = try await client.send(
                .post, "/v1/images/generations", key: customer.key,
                json: [
                    "model": "image-01", "prompt": "portrait",
                    "subject_reference": [["type": "character", "image_file": dataURL(reference)]],
                ])
            let image = try #require((openAI.object["data"] as? [[String: Any]])?.first)
            #expect((image["identity_score"] as? Double ?? 0) >= IdentitySimilarity.samePersonThreshold)

            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: customer.key, scheme: "Key",
                json: ["prompt": "portrait", "image_url": dataURL(reference)])
            let falImage = try #require((fal.object["images"] as? [[String: Any]])?.first)
            #expect((falImage["identity_score"] as? Double ?? 0) >= IdentitySimilarity.samePersonThreshold)

            // Usage reports each request's lowest score.
            let usage = try await client.send(.get, "/v1/usage", key: customer.key)
            let rows = try #require(usage.object["data"] as? [[String: Any]])
            #expect(rows.count == 3)
            #expect(rows.allSatisfy { ($0["identity_score"] as? Double ?? 0) >= 0.5 })
            #expect(rows.first?["identity_score"] as? Double == scores.min())

            // Four images scored (two native, one OpenAI, one fal), all of them at 0.5 or more.
            let metrics = try await client.send(.get, "/metrics", key: harness.key)
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains("likeness_identity_score_count 4"))
            #expect(text.contains(#"likeness_identity_score_bucket{le="0.4"} 0"#))
        }
    }

    @Test("Several faces in the reference: the largest is the subject, and the answer says so")
    func severalFaces() async throws {
        let harness = try Self.harness()
        // Two portraits side by side, faces of about 180 and 165 px: both found at the detection size.
        let large = try RasterImage.cover(decoding: try FacePhotos.bytes("obama"), width: 600, height: 600)
        let small = try RasterImage.cover(decoding: try FacePhotos.bytes("obama2"), width: 360, height: 690)
        let canvas = try RasterImage.gradient(
            width: 1000, height: 700, from: RGB(200, 200, 200), to: RGB(220, 220, 220), vertical: false)
        let reference = try canvas.overlaying(small, x: 20, y: 5).overlaying(large, x: 390, y: 50).encoded(
            as: .jpeg(quality: 90))
        try await harness.test { client in
            let reply = try await client.native(Self.nativeRequest(reference: reference), key: harness.key)
            #expect(reply.nativeCode == 0)
            let note = try #require(Self.metadata(reply)["identity_note"] as? String)
            #expect(note.contains("2 faces found in subject_reference[0].image_file; the largest"))
        }
    }

    @Test("Without the model files the server starts, says so once, and checks nothing")
    func modelsMissing() async throws {
        let harness = try Harness { configuration in
            configuration.identity = IdentitySettings(models: "/nonexistent/face-models", referenceCheck: .reject)
        }
        let records = RecordingLogHandler.Records()
        try await harness.test(logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) }) {
            client in
            let reply = try await client.native(Self.nativeRequest(reference: try Self.faceless()), key: harness.key)
            #expect(reply.nativeCode == 0)
            #expect(Self.metadata(reply)["identity_scores"] == nil)
        }
        let warnings = records.all.withLock { $0 }.filter { $0.message.hasPrefix("identity scoring is off") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.level == .warning)
    }

    @Test("References are remembered by content and field, the oldest forgotten past the capacity")
    func recentReferences() {
        let recent = RecentReferences(capacity: 2)
        let photo = Data("photo".utf8)
        let key = RecentReferences.key(photo, field: "image_url")
        #expect(key != RecentReferences.key(photo, field: "image"))
        #expect(key == RecentReferences.key(Data("photo".utf8), field: "image_url"))
        recent.remember(IdentityCheck.Reference(note: "first"), for: key)
        recent.remember(IdentityCheck.Reference(note: "second"), for: "b")
        #expect(recent.reference(for: key)?.note == "first")
        recent.remember(IdentityCheck.Reference(note: "third"), for: "c")
        #expect(recent.reference(for: key) == nil)
        #expect(recent.reference(for: "b")?.note == "second" && recent.reference(for: "c")?.note == "third")
    }

    @Test("Guard fields are validated in every dialect, and need a reference")
    func guardValidation() async throws {
        let harness = try Self.harness()
        let reference = try FacePhotos.bytes("obama")
        try await harness.test { client in
            let outOfRange = try await client.native(
                Self.nativeRequest(reference: reference, extra: ["identity_threshold": 1.5]), key: harness.key)
            #expect(outOfRange.nativeCode == 2013)
            let noReference = try await client.send(
                .post, "/v1/images/generations", key: harness.key,
                json: ["model": "image-01", "prompt": "portrait", "identity_threshold": 0.6])
            #expect(noReference.status == .badRequest && noReference.error["param"] as? String == "identity_threshold")
            let badPolicy = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: harness.key, scheme: "Key",
                json: [
                    "prompt": "portrait", "image_url": dataURL(reference), "identity_threshold": 0.6,
                    "identity_policy": "lenient",
                ])
            #expect(badPolicy.status == .unprocessableContent)
            let attempts = try await client.native(
                Self.nativeRequest(
                    reference: reference, extra: ["identity_threshold": 0.6, "identity_max_attempts": 9]),
                key: harness.key)
            #expect(attempts.nativeCode == 2013)
        }
    }
}

/// The guard against an upstream (the MiniMax simulator) made to draw a chosen person.
@Suite("identity: the consistency guard against an upstream")
struct IdentityGuardTests {
    static func subjects(_ names: [String], count: Int = 1) throws -> [String: Any] {
        // Photos at a reasonable size for the control API.
        let photos = try names.map { name in
            try RasterImage.fitting(decoding: try FacePhotos.bytes(name), within: 700).encoded(as: .jpeg(quality: 85))
                .base64EncodedString()
        }
        return ["kind": "subject", "photos": photos, "count": count]
    }

    static func plan(_ faults: [[String: Any]], at base: String) async throws {
        var request = HTTPClientRequest(url: "\(base)/simulator/faults")
        request.method = .POST
        request.body = .bytes(try JSONSerialization.data(withJSONObject: ["faults": faults]))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
    }

    /// Runs `body` against Likeness routed to a MiniMax simulator, with identity scoring on.
    static func run(
        _ body:
            @escaping @Sendable (
                _ harness: Harness, _ customer: Customer, _ base: String, _ simulator: SimulatorState,
                _ client: any TestClientProtocol
            )
            async throws -> Void
    ) async throws {
        let upstream = Upstream(.minimax)
        try await upstream.run { base in
            let settings = try routing(
                ["likeness.engines": "up"].merging(engineKeys("up", kind: "minimax", baseURL: base)) { $1 })
            let harness = try Harness { configuration in
                configuration.routing = settings
                configuration.identity = IdentitySettings(models: FacePhotos.modelsDirectory.path, threads: 2)
            }
            let customer = try harness.customer(credit: MicroDollars(10_000_000))
            try await harness.test(engine: nil) { client in
                try await body(harness, customer, base, upstream.state, client)
            }
        }
    }

    static func request(n: Int = 1, _ extra: [String: Any]) throws -> [String: Any] {
        IdentityTests.nativeRequest(reference: try FacePhotos.bytes("obama"), n: n, extra: extra)
    }

    @Test("The wrong person is made again with a new seed, and the right one delivered and charged once")
    func regeneratesWrongPerson() async throws {
        try await Self.run { harness, customer, base, simulator, client in
            try await Self.plan([try Self.subjects(["biden"]), try Self.subjects(["obama2"])], at: base)
            let reply = try await client.native(
                try Self.request(["identity_threshold": 0.5, "identity_max_attempts": 2]), key: customer.key)
            #expect(reply.nativeCode == 0)
            let metadata = IdentityTests.metadata(reply)
            let scores = try #require(metadata["identity_scores"] as? [Double])
            #expect(scores.count == 1 && scores[0] >= 0.5)
            #expect(metadata["identity_passed"] as? [Bool] == [true])

            let jobID = try #require(reply.object["id"] as? String)
            let job = try #require(try harness.directory.store.job(id: jobID))
            #expect(job.identity?.attempts == 2)
            #expect(job.cost == job.price)
            let logs = try harness.directory.store.logs(jobID: jobID).map(\.message)
            #expect(logs.contains { $0.contains("making it again with seed") && $0.contains("attempt 2 of 2") })
            // Two upstream calls of one image each: the first, and the one made again.
            let sent = try simulator.received.map { received in
                try #require(try JSONSerialization.jsonObject(with: received.body) as? [String: Any])
            }
            #expect(sent.count == 2 && sent.allSatisfy { $0["n"] as? Int == 1 })
            // The second call carries the new seed its log line names.
            let seed = try #require(sent.last?["seed"] as? Int64)
            #expect(logs.contains { $0.contains("with seed \(UInt64(bitPattern: seed)) ") })
            // The history gives the delivered image the seed it was made again with, not the request's.
            #expect(job.identity?.seeds == [UInt64(bitPattern: seed)])
            let detail = try await client.send(.get, "/v1/generations/\(jobID)", key: customer.key)
            #expect((detail.object["images"] as? [[String: Any]])?.first?["seed"] as? Int64 == seed)
        }
    }

    @Test("best: an image that never passes is delivered, flagged, and charged")
    func bestDeliversFlagged() async throws {
        try await Self.run { harness, customer, base, simulator, client in
            try await Self.plan([try Self.subjects(["biden"], count: 2)], at: base)
            let reply = try await client.native(
                try Self.request(["identity_threshold": 0.5, "identity_max_attempts": 2]), key: customer.key)
            #expect(reply.nativeCode == 0)
            let metadata = IdentityTests.metadata(reply)
            #expect(metadata["identity_passed"] as? [Bool] == [false])
            #expect((metadata["identity_scores"] as? [Double])?.first.map { $0 < 0.5 } == true)
            #expect(metadata["success_count"] as? String == "1")
            let jobID = try #require(reply.object["id"] as? String)
            let job = try #require(try harness.directory.store.job(id: jobID))
            #expect(job.cost == job.price)
        }
    }

    @Test("strict: images that never pass are withheld, counted as failed, and not charged")
    func strictWithholds() async throws {
        try await Self.run { harness, customer, base, simulator, client in
            // Of two images, the first shows the right person and the second the wrong one, twice.
            try await Self.plan(
                [try Self.subjects(["obama2", "biden"]), try Self.subjects(["biden"])], at: base)
            let reply = try await client.native(
                try Self.request(
                    n: 2, ["identity_threshold": 0.5, "identity_max_attempts": 2, "identity_policy": "strict"]),
                key: customer.key)
            #expect(reply.nativeCode == 0)
            let metadata = IdentityTests.metadata(reply)
            #expect(metadata["success_count"] as? String == "1")
            #expect(metadata["failed_count"] as? String == "1")
            #expect(metadata["identity_passed"] as? [Bool] == [true])
            let jobID = try #require(reply.object["id"] as? String)
            let job = try #require(try harness.directory.store.job(id: jobID))
            #expect(job.cost == job.price)
            #expect(job.failedCount == 1)

            // None passing: the request fails, and nothing is charged.
            try await Self.plan([try Self.subjects(["biden"], count: 2)], at: base)
            let none = try await client.native(
                try Self.request(["identity_threshold": 0.5, "identity_policy": "strict"]), key: customer.key)
            #expect(none.nativeCode == 1027)
            let message = (none.object["base_resp"] as? [String: Any])?["status_msg"] as? String ?? ""
            #expect(message.contains("none reached identity_threshold 0.5"))
            let usage = try await client.send(.get, "/v1/usage", key: customer.key)
            let rows = try #require(usage.object["data"] as? [[String: Any]])
            #expect(rows.last?["cost_usd"] as? String == "0.00")
        }
    }
}

/// The Swift SDK sends the guard and reads the scores.
@Suite("identity through the Swift SDK")
struct IdentitySDKTests {
    @Test("A guarded request through LikenessClient comes back with each image's score and verdict")
    func sdkReadsScores() async throws {
        let harness = try IdentityTests.harness()
        try await harness.live(engine: PreviewEngine()) { base in
            let client = LikenessClient(baseURL: base, apiKey: harness.key)
            var request = GenerationRequest(prompt: "the same person in a garden", count: 2)
            request.identityGuard = IdentityGuard(threshold: 0.5, maxAttempts: 2, policy: .strict)
            let generation = try await client.generate(request, reference: .data(try FacePhotos.bytes("obama3")))
            #expect(generation.images.count == 2)
            for image in generation.images {
                #expect((image.identityScore ?? 0) >= 0.5)
                #expect(image.identityPassed == true)
            }
            #expect(generation.identityNote == nil)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// Uploads as fal-client and the openai SDK make them: private to their account, sealed,
/// stripped, refused when they are not pictures, gone when they expire or are deleted.
@Suite("uploads")
struct UploadTests {
    /// `POST /v1/files` with `bytes` as the `file` part.
    static func createFile(
        _ client: some TestClientProtocol, key: String, bytes: Data, purpose: String = "vision"
    ) async throws -> Reply {
        let boundary = "likeness-upload-boundary"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\(purpose)\r\n".utf8)
        body += Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"face.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                .utf8)
        body += bytes + Data("\r\n--\(boundary)--\r\n".utf8)
        let response = try await client.post(
            "/v1/files", body: body, authorization: "Bearer \(key)",
            contentType: "multipart/form-data; boundary=\(boundary)")
        return Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
    }

    /// fal's CDN upload: `POST /files/upload` with the bytes.
    static func falUpload(_ client: some TestClientProtocol, key: String, bytes: Data) async throws -> Reply {
        try await client.execute(
            uri: "/files/upload", method: .post,
            headers: [.authorization: "Key \(key)", .contentType: "image/jpeg", .falFileName: "face.jpg"],
            body: ByteBuffer(data: bytes)
        ) { Reply(status: $0.status, headers: $0.headers, body: Data(buffer: $0.body)) }
    }

    static func edit(fileID: String) -> [String: Any] {
        ["model": "image-01", "prompt": "the same person", "images": [["file_id": fileID]]]
    }

    @Test("an OpenAI file is used by file_id in an edit, and by its URL in fal and native; the engine gets the picture")
    func usedByIDAndURL() async throws {
        let harness = try Harness()
        let engine = ReferenceRecordingEngine()
        let photo = try jpegReference(width: 300, height: 300, colour: RGB(0, 128, 255))
        try await harness.test(engine: engine) { client in
            let created = try await Self.createFile(client, key: harness.key, bytes: photo)
            #expect(created.status == .ok)
            let id = try #require(created.object["id"] as? String)
            #expect(UploadID(id) != nil && created.object["purpose"] as? String == "vision")
            let edited = try await client.send(.post, "/v1/images/edits", key: harness.key, json: Self.edit(fileID: id))
            #expect(edited.status == .ok, "\(String(decoding: edited.body, as: UTF8.self))")

            let falUploaded = try await Self.falUpload(client, key: harness.key, bytes: photo)
            let url = try #require(falUploaded.object["access_url"] as? String)
            // This server's URL for the upload: `/v1/uploads/` and the upload's id.
            let path = try #require(URL(string: url)).path
            #expect(path.hasPrefix("/v1/uploads/") && UploadID(path.dropFirst("/v1/uploads/".count)) != nil)
            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: harness.key, scheme: "Key",
                json: ["prompt": "at sea", "image_url": url])
            #expect(fal.status == .ok)
            try await client.generate(
                [
                    "model": "image-01", "prompt": "x",
                    "subject_reference": [["type": "character", "image_file": url]],
                ], key: harness.key
            ) { _, reply in #expect(reply.base_resp.status_code == 0) }
            let owned = try await client.send(.get, "/v1/uploads/\(id)", key: harness.key)
            #expect(owned.status == .ok && owned.headers[.contentType] == "image/jpeg")
        }
        let expected = try ImageHeader.strippingMetadata(from: photo, limits: DecodeLimits())
        #expect(engine.references.withLock { $0 } == Array(repeating: expected, count: 3))
    }

    @Test("another account's upload is not found, in each dialect's shape")
    func isolation() async throws {
        let harness = try Harness()
        let stranger = try harness.customer("stranger", billing: .unmetered)
        try await harness.test { client in
            let photo = try jpegReference()
            let id = try #require(
                try await Self.createFile(client, key: harness.key, bytes: photo).object["id"] as? String)
            let url = try #require(
                try await Self.falUpload(client, key: harness.key, bytes: photo).object["access_url"] as? String)
            let edit = try await client.send(
                .post, "/v1/images/edits", key: stranger.key, json: Self.edit(fileID: id))
            #expect(edit.status == .notFound && edit.error["code"] as? String == "not_found")
            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: stranger.key, scheme: "Key",
                json: ["prompt": "x", "image_url": url])
            #expect(fal.status == .notFound)
            #expect(try await client.send(.get, "/v1/uploads/\(id)", key: stranger.key).status == .notFound)
            #expect(try await client.send(.delete, "/v1/files/\(id)", key: stranger.key).status == .notFound)
            let listed = try await client.send(.get, "/v1/files", key: stranger.key)
            #expect((listed.object["data"] as? [Any])?.isEmpty == true)
            // Still the owner's.
            #expect(try await client.send(.get, "/v1/uploads/\(id)", key: harness.key).status == .ok)
        }
    }

    @Test("an upload expires: refused by id and by URL, then swept with its object")
    func expiry() async throws {
        let clock = ManualClock()
        let harness = try Harness { $0.uploads.lifetime = .seconds(3600) }
        let folder = harness.directory.blobs.root.appending(path: "uploads")
        try await harness.test(clock: clock.wallClock) { client in
            let id = try #require(
                try await Self.createFile(client, key: harness.key, bytes: try jpegReference()).object["id"] as? String)
            clock.advance(by: 3601)
            let edit = try await client.send(.post, "/v1/images/edits", key: harness.key, json: Self.edit(fileID: id))
            #expect(edit.status == .notFound)
            #expect((edit.error["message"] as? String)?.contains("expired") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1)
        }
        let service = UploadService(
            settings: UploadSettings(), repository: harness.directory.store, blobs: harness.directory.blobs,
            store: StoreCalls(threads: StoreThreads(), logger: .init(label: "test")),
            intake: ReferenceIntake(fetcher: NoFetching()), serverSecret: Data(), clock: clock.wallClock,
            logger: .init(label: "test"))
        #expect(await service.deleteExpired(at: clock.now) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        #expect(try harness.directory.store.uploadIDs().isEmpty)
    }

    @Test("not a picture, too large, a bad purpose, or past the quota: refused in each dialect, nothing kept")
    func refusals() async throws {
        // Room for one of these photos as kept (stripped, encoded again), not two.
        let photo = try jpegReference(width: 600, height: 600, colour: RGB(200, 30, 30))
        let kept = try ImageHeader.strippingMetadata(from: photo, limits: DecodeLimits()).count
        let harness = try Harness { $0.uploads.quotaBytes = kept * 3 / 2 }
        let folder = harness.directory.blobs.root.appending(path: "uploads")
        try await harness.test { client in
            let text = Data("not a picture".utf8)
            let openAI = try await Self.createFile(client, key: harness.key, bytes: text)
            #expect(openAI.status == .badRequest && openAI.error["param"] as? String == "file")
            let fal = try await Self.falUpload(client, key: harness.key, bytes: text)
            #expect(fal.status == .unprocessableContent)
            let purpose = try await Self.createFile(
                client, key: harness.key, bytes: try jpegReference(), purpose: "fine-tune")
            #expect(purpose.status == .badRequest && purpose.error["param"] as? String == "purpose")
            let large = try await Self.createFile(
                client, key: harness.key, bytes: Data(repeating: 0x41, count: 10 * 1024 * 1024 + 1))
            #expect(large.status == .badRequest && large.error["param"] as? String == "file")
            _ = try await Self.createFile(client, key: harness.key, bytes: photo)
            let over = try await Self.createFile(client, key: harness.key, bytes: photo)
            #expect(over.status == .tooManyRequests && over.error["code"] as? String == "2056")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1)
            let malformed = try await client.send(
                .post, "/v1/images/edits", key: harness.key, json: Self.edit(fileID: "file-nope"))
            #expect(malformed.status == .badRequest && malformed.error["param"] as? String == "images[0].file_id")
        }
    }

    @Test("fal's storage flow: a signed PUT stores the file once; a changed or reused URL stores nothing")
    func signedPut() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let initiated = try await client.send(
                .post, "/storage/upload/initiate", key: harness.key, scheme: "Key",
                json: ["file_name": "face.jpg", "content_type": "image/jpeg"])
            let uploadURL = try #require(initiated.object["upload_url"] as? String)
            let fileURL = try #require(initiated.object["file_url"] as? String)
            let components = try #require(URLComponents(string: uploadURL))
            let target = components.path + "?" + (components.percentEncodedQuery ?? "")
            let put = { (uri: String, bytes: Data) in
                try await client.execute(uri: uri, method: .put, body: ByteBuffer(data: bytes)) { $0.status }
            }
            let photo = try jpegReference()
            let tampered = target.replacingOccurrences(of: "file_name=face.jpg", with: "file_name=other.jpg")
            #expect(try await put(tampered, photo) == .notFound)
            #expect(try await put(target, photo) == .ok)
            #expect(try await put(target, photo) == .unprocessableContent)
            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: harness.key, scheme: "Key",
                json: ["prompt": "x", "image_url": fileURL])
            #expect(fal.status == .ok)
            #expect(try harness.directory.store.uploadIDs().count == 1)
        }
    }

    @Test("an upload is sealed at rest and carries none of the photo's tags")
    func sealedAndStripped() async throws {
        let harness = try Harness()
        let folder = harness.directory.blobs.root.appending(path: "uploads")
        try await harness.test { client in
            let id = try #require(
                try await Self.createFile(client, key: harness.key, bytes: try personalPhoto(width: 320, height: 320))
                    .object["id"] as? String)
            let stored = try Data(contentsOf: folder.appending(path: "\(id).upload"))
            #expect(!stored.starts(with: [0xFF, 0xD8]))
            let served = try await client.send(.get, "/v1/uploads/\(id)", key: harness.key).body
            #expect(served.starts(with: [0xFF, 0xD8]))
            #expect(exifTags(in: served).isDisjoint(with: PersonalMetadata.tags))
            #expect(PersonalMetadata.strings.allSatisfy { served.range(of: Data($0.utf8)) == nil })
        }
    }
}

/// A fetcher for a service that never fetches.
struct NoFetching: ReferenceFetching {
    func fetch(_ url: URL, field: String) async throws(APIError) -> Data {
        throw APIError.invalid(field, "is not fetched here")
    }
}

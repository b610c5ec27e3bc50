import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessEngines
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

/// Characters: stored once, private to their account, used by id (native, OpenAI) or by their
/// own URL (fal), deleted with every copy.
@Suite("characters")
struct CharacterTests {
    static func photo(_ colour: RGB = RGB(200, 120, 40)) throws -> Data {
        try jpegReference(width: 360, height: 420, colour: colour)
    }

    /// Creates a character from `photos` with `key`, expecting success.
    static func create(
        _ client: some TestClientProtocol, key: String, photos: [Data], name: String = "Ada"
    ) async throws -> [String: Any] {
        let reply = try await client.send(
            .post, "/v1/characters", key: key, json: ["name": name, "image_file": photos.map { dataURL($0) }])
        #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
        return reply.object
    }

    static func native(_ id: String, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "model": "image-01", "prompt": "the same person in the rain",
            "subject_reference": [["type": "character", "character_id": id]],
        ]
        body.merge(extra) { $1 }
        return body
    }

    @Test("a character is created from up to five photos, listed, read and deleted by its own account")
    func lifecycle() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let created = try await Self.create(
                client, key: harness.key, photos: [try Self.photo(), try Self.photo(RGB(10, 90, 200))])
            let id = try #require(created["id"] as? String)
            #expect(CharacterID(id) != nil)
            #expect(created["object"] as? String == "character" && created["name"] as? String == "Ada")
            // This server as the request reached it (the router test's Host is localhost).
            #expect(created["url"] as? String == "http://localhost/v1/characters/\(id)")
            let photos = try #require(created["photos"] as? [[String: Any]])
            #expect(photos.map { $0["width"] as? Int } == [360, 360])
            let thumbnail = try await client.send(
                .get, "/v1/characters/\(id)/photos/1/thumbnail", key: harness.key)
            #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            let header = try ImageHeader(probing: thumbnail.body)
            #expect(max(header.width, header.height) == CharacterService.thumbnailSide)

            let listed = try await client.send(.get, "/v1/characters", key: harness.key)
            #expect((listed.object["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(listed.object["has_more"] as? Bool == false)
            let read = try await client.send(.get, "/v1/characters/\(id)", key: harness.key)
            #expect(read.status == .ok && read.object["id"] as? String == id)

            let deleted = try await client.send(.delete, "/v1/characters/\(id)", key: harness.key)
            #expect(deleted.object["deleted"] as? Bool == true)
            #expect(try await client.send(.get, "/v1/characters/\(id)", key: harness.key).status == .notFound)
            #expect(try await client.send(.delete, "/v1/characters/\(id)", key: harness.key).status == .notFound)
        }
    }

    @Test("a multipart form creates one too, each photo a file part")
    func multipart() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let boundary = "likeness-test-boundary"
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nGrace\r\n".utf8)
            for photo in [try Self.photo(), try Self.photo(RGB(0, 200, 0))] {
                body += Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                        .utf8)
                body += photo + Data("\r\n".utf8)
            }
            body += Data("--\(boundary)--\r\n".utf8)
            let response = try await client.post(
                "/v1/characters", body: body, authorization: "Bearer \(harness.key)",
                contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(response.status == .created)
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(object["name"] as? String == "Grace" && (object["photos"] as? [Any])?.count == 2)
        }
    }

    @Test("the engine is given the character's first photo, in every dialect, queued or not")
    func usedInEveryDialect() async throws {
        let harness = try Harness()
        let engine = ReferenceRecordingEngine()
        let first = try Self.photo(RGB(250, 0, 0))
        try await harness.test(engine: engine) { client in
            let created = try await Self.create(client, key: harness.key, photos: [first, try Self.photo()])
            let id = try #require(created["id"] as? String)
            let url = try #require(created["url"] as? String)

            try await client.generate(Self.native(id), key: harness.key) { _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            let openAI = try await client.send(
                .post, "/v1/images/generations", key: harness.key,
                json: [
                    "model": "image-01", "prompt": "a portrait",
                    "subject_reference": [["type": "character", "character_id": id]],
                ])
            #expect(openAI.status == .ok)
            // fal's clients have only `image_url`: the character's own URL names it.
            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: harness.key, scheme: "Key",
                json: ["prompt": "a portrait", "image_url": url])
            #expect(fal.status == .ok, "\(String(decoding: fal.body, as: UTF8.self))")
            // Queued: the job records the id, and the worker opens the photo when it runs.
            let queued = try await client.send(
                .post, "/v1/image_generation", key: harness.key, json: Self.native(id, extra: ["async": true]))
            let task = try #require((queued.object["task_id"] as? String) ?? (queued.object["id"] as? String))
            try await waitUntilFinished(task, in: harness.directory.store)
            let job = try #require(try harness.directory.store.job(id: task))
            #expect(job.status == .succeeded)
            #expect(job.parameters?.contains(id) == true)
        }
        let given = engine.references.withLock { $0 }
        #expect(given.count == 4)
        // The photo as intake kept it: the same picture, decoded, as the first one sent.
        let expected = try ImageHeader.strippingMetadata(from: first, limits: DecodeLimits())
        #expect(given.allSatisfy { $0 == expected })
    }

    @Test("another account's character is not found, in each dialect's shape, and nothing is generated")
    func isolation() async throws {
        let harness = try Harness()
        let stranger = try harness.customer("stranger", billing: .unmetered)
        let engine = ReferenceRecordingEngine()
        try await harness.test(engine: engine) { client in
            let created = try await Self.create(client, key: harness.key, photos: [try Self.photo()])
            let id = try #require(created["id"] as? String)
            let url = try #require(created["url"] as? String)

            let native = try await client.send(.post, "/v1/image_generation", key: stranger.key, json: Self.native(id))
            #expect(native.nativeCode == 2013)
            #expect(
                (native.object["base_resp"] as? [String: Any])?["status_msg"] as? String == "no character with id \(id)"
            )
            let openAI = try await client.send(
                .post, "/v1/images/generations", key: stranger.key,
                json: [
                    "model": "image-01", "prompt": "a portrait",
                    "subject_reference": [["type": "character", "character_id": id]],
                ])
            #expect(openAI.status == .notFound && openAI.error["code"] as? String == "not_found")
            let fal = try await client.send(
                .post, "/fal/fal-ai/minimax/image-01/subject-reference", key: stranger.key, scheme: "Key",
                json: ["prompt": "a portrait", "image_url": url])
            #expect(fal.status == .notFound)
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1/characters/\(id)"), (.delete, "/v1/characters/\(id)"),
                (.get, "/v1/characters/\(id)/photos/0/thumbnail"),
            ] {
                #expect(try await client.send(method, path, key: stranger.key).status == .notFound)
            }
            let theirs = try await client.send(.get, "/v1/characters", key: stranger.key)
            #expect((theirs.object["data"] as? [Any])?.isEmpty == true)
            // Still the owner's, whole.
            #expect(try await client.send(.get, "/v1/characters/\(id)", key: harness.key).status == .ok)
        }
        #expect(engine.references.withLock { $0 }.isEmpty)
    }

    @Test("deleting a character removes its rows and every file; a later request by its id is refused")
    func deletionRemovesEveryCopy() async throws {
        let harness = try Harness()
        let folder = harness.directory.blobs.root.appending(path: "characters")
        try await harness.test { client in
            let created = try await Self.create(client, key: harness.key, photos: [try Self.photo(), try Self.photo()])
            let id = try #require(created["id"] as? String)
            // A photo and a thumbnail for each.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 4)
            #expect(try harness.directory.store.characterPhotoIDs().count == 2)
            _ = try await client.send(.delete, "/v1/characters/\(id)", key: harness.key)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
            #expect(try harness.directory.store.characterPhotoIDs().isEmpty)
            let refused = try await client.send(.post, "/v1/image_generation", key: harness.key, json: Self.native(id))
            #expect(refused.nativeCode == 2013)
        }
    }

    @Test("photos are sealed at rest: no stored file holds the picture or its thumbnail")
    func sealedAtRest() async throws {
        let harness = try Harness()
        let folder = harness.directory.blobs.root.appending(path: "characters")
        try await harness.test { client in
            let photo = try Self.photo()
            let created = try await Self.create(client, key: harness.key, photos: [photo])
            let id = try #require(created["id"] as? String)
            let thumbnail = try await client.send(.get, "/v1/characters/\(id)/photos/0/thumbnail", key: harness.key)
            let stripped = try ImageHeader.strippingMetadata(from: photo, limits: DecodeLimits())
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                let stored = try Data(contentsOf: folder.appending(path: name))
                #expect(!stored.starts(with: [0xFF, 0xD8]))
                #expect(
                    stored.range(of: stripped.prefix(64)) == nil && stored.range(of: thumbnail.body.prefix(64)) == nil)
            }
        }
    }

    @Test("a photo's camera, GPS and author tags reach neither the thumbnail nor an image made from the character")
    func metadataStripped() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let created = try await Self.create(
                client, key: harness.key, photos: [try personalPhoto(width: 320, height: 320)])
            let id = try #require(created["id"] as? String)
            let thumbnail = try await client.send(.get, "/v1/characters/\(id)/photos/0/thumbnail", key: harness.key)
            var outputs = [thumbnail.body]
            try await client.generate(Self.native(id, extra: ["response_format": "base64"]), key: harness.key) {
                _, reply in
                outputs.append(try #require(reply.data?.image_base64?.first.flatMap { Data(base64Encoded: $0) }))
            }
            for image in outputs {
                #expect(exifTags(in: image).isDisjoint(with: PersonalMetadata.tags))
                #expect(PersonalMetadata.strings.allSatisfy { image.range(of: Data($0.utf8)) == nil })
            }
        }
    }

    @Test("bad characters and bad references to them are refused with the field at fault, and nothing is kept")
    func refusals() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let photo = dataURL(try Self.photo())
            let cases: [([String: Any], String)] = [
                (["name": "x"], "image_file"),
                (["image_file": "data:image/jpeg;base64,aGVsbG8="], "image_file"),
                (["image_file": [photo, "data:image/png;base64,aGVsbG8="]], "image_file[1]"),
                (["image_file": Array(repeating: photo, count: 6)], "image_file"),
                (["image_file": [photo, 7]], "image_file[1]"),
                (["image_file": photo, "name": "a\u{0007}b"], "name"),
                (["image_file": dataURL(Data(repeating: 0x41, count: 10 * 1024 * 1024 + 1))], "image_file"),
            ]
            for (body, field) in cases {
                let reply = try await client.send(.post, "/v1/characters", key: harness.key, json: body)
                #expect(reply.status == .badRequest, "\(field)")
                #expect(reply.error["param"] as? String == field, "\(reply.error)")
            }
            #expect(try harness.directory.store.characterPhotoIDs().isEmpty)
            let folder = harness.directory.blobs.root.appending(path: "characters")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

            let malformed = try await client.send(
                .post, "/v1/image_generation", key: harness.key, json: Self.native("chr_nope"))
            #expect(malformed.nativeCode == 2013)
            let both = try await client.send(
                .post, "/v1/image_generation", key: harness.key,
                json: [
                    "model": "image-01", "prompt": "x",
                    "subject_reference": [["type": "character", "character_id": "chr_x", "image_file": photo]],
                ])
            #expect(both.nativeCode == 2013)
            #expect(try await client.send(.get, "/v1/characters?limit=0", key: harness.key).status == .badRequest)
            #expect(try await client.send(.get, "/v1/characters/chr_x", key: harness.key).status == .notFound)
        }
    }

    @Test("a character's history: its images with their identity scores, newest first, paged, its own account's only")
    func history() async throws {
        let harness = try IdentityTests.harness()
        let stranger = try harness.customer("stranger", billing: .unmetered)
        try await harness.test { client in
            let photos = try FacePhotos.samePerson.prefix(2).map { try FacePhotos.bytes($0) }
            let created = try await Self.create(client, key: harness.key, photos: photos, name: "Barack")
            let id = try #require(created["id"] as? String)
            let faces = (created["photos"] as? [[String: Any]])?.compactMap { $0["face"] as? [String: Any] }
            #expect(faces?.count == 2)
            var jobs: [String] = []
            for prompt in ["at the beach", "in the snow", "on a boat"] {
                try await client.generate(Self.native(id, extra: ["prompt": prompt, "n": 2]), key: harness.key) {
                    _, reply in jobs.append(try #require(reply.id))
                }
            }
            // Another request, without the character, is not in its history.
            try await client.generate(["model": "image-01", "prompt": "a lighthouse"], key: harness.key) { _, _ in }

            let first = try await client.send(.get, "/v1/characters/\(id)/generations?limit=2", key: harness.key)
            let page = try #require(first.object["data"] as? [[String: Any]])
            #expect(page.map { $0["id"] as? String } == [jobs[2], jobs[1]])
            #expect(page.first?["prompt"] as? String == "on a boat")
            #expect(first.object["has_more"] as? Bool == true)
            let images = try #require(page.first?["images"] as? [[String: Any]])
            #expect(images.count == 2)
            // The preview engine draws the reference into its image: the same face, scored.
            #expect(images.allSatisfy { ($0["identity_score"] as? Double ?? 0) > 0.5 })
            #expect(images.allSatisfy { ($0["url"] as? String)?.contains("/v1/files/") == true })
            let lastID = try #require(first.object["last_id"] as? String)
            let second = try await client.send(
                .get, "/v1/characters/\(id)/generations?limit=2&after=\(lastID)", key: harness.key)
            #expect((second.object["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [jobs[0]])
            #expect(second.object["has_more"] as? Bool == false)
            let foreign = try await client.send(.get, "/v1/characters/\(id)/generations", key: stranger.key)
            #expect(foreign.status == .notFound)
        }
    }

    @Test("an account may keep only so many characters")
    func quota() async throws {
        let harness = try Harness { $0.characters.maximumPerAccount = 1 }
        try await harness.test { client in
            _ = try await Self.create(client, key: harness.key, photos: [try Self.photo()])
            let refused = try await client.send(
                .post, "/v1/characters", key: harness.key, json: ["image_file": dataURL(try Self.photo())])
            // 2056, usage limit exceeded: OpenAI's 429.
            #expect(refused.status == .tooManyRequests && refused.error["code"] as? String == "2056")
            #expect((refused.error["message"] as? String)?.contains("delete one to make room") == true)
            #expect(try harness.directory.store.characterPhotoIDs().count == 1)
        }
    }
}

/// The preview engine, noting every reference it is given.
final class ReferenceRecordingEngine: ImageEngine {
    let name = "preview"
    let references = Mutex<[Data]>([])

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws -> EngineOutput
    {
        if let reference = job.referenceImage { references.withLock { $0.append(reference) } }
        return try await PreviewEngine().generate(job, progress: progress)
    }
}

/// The same on a fleet's store: PostgreSQL for the rows, an S3-compatible bucket for the photos
/// (both started by `scripts/test.sh`).
@Suite(
    "characters and uploads in a fleet's store",
    .enabled(
        if: TestS3.endpoint != nil && TestFleet.databaseURL != nil,
        "needs LIKENESS_TEST_DATABASE_URL and LIKENESS_TEST_S3_ENDPOINT"))
struct FleetCharacterTests {
    /// A harness on a fresh database and a fresh bucket, and the bucket's settings.
    static func fleetHarness() async throws -> (Harness, ObjectStorageSettings) {
        let bucket = try await TestS3.freshBucket()
        let databaseURL = try TestFleet.freshDatabaseURL()
        let harness = try Harness { configuration in
            configuration.database = DatabaseSettings(
                url: databaseURL, password: nil, connections: 2, lease: .seconds(30))
            configuration.objectStorage = bucket
        }
        return (harness, bucket)
    }

    @Test("rows in PostgreSQL, sealed photos in the bucket; deleting removes both, and another account sees nothing")
    func fleetLifecycle() async throws {
        let (harness, bucket) = try await Self.fleetHarness()
        let stranger = try harness.customer("stranger", billing: .unmetered)
        let objects = S3BlobStore(settings: bucket, client: .shared, logger: .init(label: "test"))
        try await harness.test { client in
            let photo = try CharacterTests.photo()
            let created = try await CharacterTests.create(client, key: harness.key, photos: [photo, photo])
            let id = try #require(created["id"] as? String)
            let photoIDs = try harness.directory.store.characterPhotoIDs()
            #expect(photoIDs.count == 2)
            for photoID in photoIDs {
                let sealed = try #require(try await objects.readPrivate(.characterPhoto(photoID: photoID)))
                #expect(!sealed.starts(with: [0xFF, 0xD8]))
                #expect(try await objects.readPrivate(.characterThumbnail(photoID: photoID)) != nil)
            }
            try await client.generate(CharacterTests.native(id), key: harness.key) { _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            let foreign = try await client.send(
                .post, "/v1/image_generation", key: stranger.key, json: CharacterTests.native(id))
            #expect(foreign.nativeCode == 2013)
            #expect(try await client.send(.get, "/v1/characters/\(id)", key: stranger.key).status == .notFound)

            _ = try await client.send(.delete, "/v1/characters/\(id)", key: harness.key)
            #expect(try harness.directory.store.characterPhotoIDs().isEmpty)
            for photoID in photoIDs {
                #expect(try await objects.readPrivate(.characterPhoto(photoID: photoID)) == nil)
                #expect(try await objects.readPrivate(.characterThumbnail(photoID: photoID)) == nil)
            }
        }
    }
}

extension FleetCharacterTests {
    @Test("an upload in a fleet: its row in PostgreSQL, its sealed bytes in the bucket; deleting removes both")
    func fleetUpload() async throws {
        let (harness, bucket) = try await Self.fleetHarness()
        let objects = S3BlobStore(settings: bucket, client: .shared, logger: .init(label: "test"))
        try await harness.test { client in
            let created = try await UploadTests.createFile(client, key: harness.key, bytes: try CharacterTests.photo())
            let id = try #require(created.object["id"] as? String)
            let sealed = try #require(try await objects.readPrivate(.upload(id: id)))
            #expect(!sealed.starts(with: [0xFF, 0xD8]))
            let edited = try await client.send(
                .post, "/v1/images/edits", key: harness.key, json: UploadTests.edit(fileID: id))
            #expect(edited.status == .ok)
            _ = try await client.send(.delete, "/v1/files/\(id)", key: harness.key)
            #expect(try harness.directory.store.uploadIDs().isEmpty)
            #expect(try await objects.readPrivate(.upload(id: id)) == nil)
        }
    }
}

extension FleetCharacterTests {
    @Test("deleting an account in a fleet removes its rows from PostgreSQL and its objects from the bucket")
    func fleetAccountDeletion() async throws {
        let (harness, bucket) = try await Self.fleetHarness()
        let leaving = try harness.customer("leaving", billing: .unmetered)
        let objects = S3BlobStore(settings: bucket, client: .shared, logger: .init(label: "test"))
        try await harness.test { client in
            let photo = try CharacterTests.photo()
            _ = try await CharacterTests.create(client, key: leaving.key, photos: [photo])
            let upload = try await UploadTests.createFile(client, key: leaving.key, bytes: photo)
            let uploadID = try #require(upload.object["id"] as? String)
            let photoID = try #require(try harness.directory.store.characterPhotoIDs().first)
            #expect(try await objects.readPrivate(.characterPhoto(photoID: photoID)) != nil)

            let deleted = try await client.send(.delete, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key)
            #expect(deleted.status == .ok)
            #expect(try harness.directory.store.characterPhotoIDs().isEmpty)
            #expect(try harness.directory.store.uploadIDs().isEmpty)
            #expect(try await objects.readPrivate(.characterPhoto(photoID: photoID)) == nil)
            #expect(try await objects.readPrivate(.characterThumbnail(photoID: photoID)) == nil)
            #expect(try await objects.readPrivate(.upload(id: uploadID)) == nil)
        }
    }
}

/// A fresh PostgreSQL database on the test server, for one application.
enum TestFleet {
    static var databaseURL: String? {
        ProcessInfo.processInfo.environment["LIKENESS_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static let created = Atomic<Int>(0)

    static func freshDatabaseURL() throws -> String {
        let url = try #require(databaseURL)
        let server = PostgreSQLDatabase(
            configuration: try PostgreSQLDatabase.configuration(url: url), connections: 1,
            logger: .init(label: "test"))
        let name =
            "lk_server_\(ProcessInfo.processInfo.processIdentifier)_\(created.add(1, ordering: .relaxed).newValue)"
        try server.execute("DROP DATABASE IF EXISTS \(name)")
        try server.execute("CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: url))
        components.path = "/" + name
        return try #require(components.string)
    }
}

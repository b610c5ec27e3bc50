import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessStore
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

@testable import LikenessServer
@testable import LikenessService

/// The bucket store against a real S3-compatible server (moto, started by `scripts/test.sh`,
/// which sets `LIKENESS_TEST_S3_ENDPOINT`).
@Suite(
    "images in an S3-compatible bucket",
    .enabled(if: TestS3.endpoint != nil, "needs LIKENESS_TEST_S3_ENDPOINT (an S3-compatible server)"))
struct S3BlobStoreTests {

    /// A new bucket, and a store on it with `prefix`.
    func makeStore(prefix: String = "images/") async throws -> S3BlobStore {
        S3BlobStore(
            settings: try await TestS3.freshBucket(prefix: prefix), client: .shared, logger: Logger(label: "test"))
    }

    @Test("an image is written whole, read back by size, and deleted")
    func roundTrip() async throws {
        let store = try await makeStore()
        try await store.checkBucket()
        let id = Identifier.make()
        let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try await store.write(bytes, id: id, format: .webp)
        #expect(try await store.read(id: id, format: .webp, expectedSize: bytes.count) == bytes)
        // Another size than the record's is not the image the record describes.
        #expect(try await store.read(id: id, format: .webp, expectedSize: bytes.count - 1) == nil)
        // The format names the object: the same id as a PNG does not exist.
        #expect(try await store.read(id: id, format: .png, expectedSize: bytes.count) == nil)
        await store.delete(id: id, format: .webp)
        #expect(try await store.read(id: id, format: .webp, expectedSize: bytes.count) == nil)
        // Deleting what is gone is not an error.
        await store.delete(id: id, format: .webp)
    }

    @Test("keys carry the prefix, and a presigned URL fetches the image without credentials")
    func presigned() async throws {
        let store = try await makeStore(prefix: "fleet/a")
        let id = Identifier.make()
        try await store.write(Data("jpeg bytes".utf8), id: id, format: .jpeg)
        let link = store.presignedURL(id: id, format: .jpeg, expiresAt: Date().addingTimeInterval(600))
        #expect(link.contains("/\(store.settings.bucket)/fleet/a/\(id).jpg?"))
        #expect(link.contains("X-Amz-Expires=600") && link.contains("X-Amz-Signature="))
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: link), timeout: .seconds(10))
        #expect(response.status == .ok)
        #expect(Data(buffer: try await response.body.collect(upTo: 1 << 20)) == Data("jpeg bytes".utf8))
    }

    @Test("a bucket that does not exist stops the check")
    func missingBucket() async throws {
        let endpoint = try #require(TestS3.endpoint)
        let settings = ObjectStorageSettings(
            bucket: "no-such-bucket-" + Identifier.make().prefix(8), endpoint: endpoint, region: "us-east-1",
            accessKeyID: "testing", secretAccessKey: "testing", prefix: "", addressing: .path, links: .proxy)
        let store = S3BlobStore(settings: settings, client: .shared, logger: Logger(label: "test"))
        await #expect(throws: S3Error.self) { try await store.checkBucket() }
    }
}

enum TestS3 {
    static var endpoint: URL? {
        ProcessInfo.processInfo.environment["LIKENESS_TEST_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
    }

    /// The settings of a new, empty bucket on the test server.
    static func freshBucket(prefix: String = "images/") async throws -> ObjectStorageSettings {
        let endpoint = try #require(endpoint)
        let bucket = "likeness-" + Identifier.make().prefix(12)
        var create = HTTPClientRequest(url: endpoint.appending(path: bucket).absoluteString)
        create.method = .PUT
        let created = try await HTTPClient.shared.execute(create, timeout: .seconds(10))
        #expect(created.status == .ok)
        return ObjectStorageSettings(
            bucket: bucket, endpoint: endpoint, region: "us-east-1", accessKeyID: "testing",
            secretAccessKey: "testing", prefix: prefix, addressing: .path, links: .proxy)
    }
}

import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessStore
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Images in an S3-compatible bucket (AWS S3, MinIO, R2, moto…), `<prefix><id>.<jpg|png|webp>`.
///
/// Each call is one signed request, tried again on a connection failure or a 5xx answer (three
/// tries, 0.2 s then 0.4 s apart). PUT is atomic in S3: an object appears whole or not at all.
package struct S3BlobStore: BlobStore {
    package let settings: ObjectStorageSettings
    let client: HTTPClient
    let logger: Logger

    package init(settings: ObjectStorageSettings, client: HTTPClient, logger: Logger) {
        self.settings = settings
        self.client = client
        self.logger = logger
    }

    var signer: S3Signer {
        S3Signer(
            accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey, region: settings.region)
    }

    package func write(_ bytes: Data, id: String, format: OutputFormat) async throws {
        _ = try await send(
            "PUT", key: settings.key(id: id, format: format), body: bytes,
            headers: ["Content-Type": format.mimeType], expecting: [200])
    }

    package func read(id: String, format: OutputFormat, expectedSize: Int) async throws -> Data? {
        let (status, body) = try await send(
            "GET", key: settings.key(id: id, format: format), expecting: [200, 404], limit: expectedSize + 1)
        guard status == 200, body.count == expectedSize else { return nil }
        return body
    }

    package func delete(id: String, format: OutputFormat) async {
        do {
            _ = try await send("DELETE", key: settings.key(id: id, format: format), expecting: [200, 204, 404])
        } catch {
            logger.warning("cannot delete an image from the bucket", metadata: ["image": "\(id)", "error": "\(error)"])
        }
    }

    package func writePrivate(_ bytes: Data, as object: PrivateObject) async throws {
        _ = try await send(
            "PUT", key: settings.key(object), body: bytes, headers: ["Content-Type": "application/octet-stream"],
            expecting: [200])
    }

    package func readPrivate(_ object: PrivateObject) async throws -> Data? {
        let (status, body) = try await send(
            "GET", key: settings.key(object), expecting: [200, 404], limit: object.maximumByteCount + 1)
        return status == 200 ? body : nil
    }

    package func deletePrivate(_ object: PrivateObject) async {
        do {
            _ = try await send("DELETE", key: settings.key(object), expecting: [200, 204, 404])
        } catch {
            logger.warning(
                "cannot delete a private object from the bucket",
                metadata: ["object": "\(object.name)", "error": "\(error)"])
        }
    }

    /// Fails unless the bucket answers to these credentials: checked before serving, so that a
    /// wrong setting stops the server at once instead of failing every request.
    package func checkBucket() async throws {
        _ = try await send("HEAD", key: "", expecting: [200])
    }

    /// A presigned GET of the image, valid until `expiresAt` (S3 allows a week at most).
    package func presignedURL(id: String, format: OutputFormat, expiresAt: Date, now: Date = Date()) -> String {
        let seconds = Int(expiresAt.timeIntervalSince(now).rounded(.up))
        return signer.presign(
            url: settings.objectURL(key: settings.key(id: id, format: format)), expires: seconds, date: now
        )
        .absoluteString
    }

    private func send(
        _ method: String, key: String, body: Data? = nil, headers: [String: String] = [:], expecting: Set<UInt>,
        limit: Int = 1 << 20
    ) async throws -> (UInt, Data) {
        let url = settings.objectURL(key: key)
        var attempt = 1
        while true {
            do {
                let (status, data) = try await once(method, url: url, body: body, headers: headers, limit: limit)
                if expecting.contains(status) { return (status, data) }
                let error = S3Error(status: status, body: String(decoding: data.prefix(512), as: UTF8.self))
                guard status >= 500, attempt < 3 else { throw error }
            } catch let error as S3Error where error.status < 500 {
                throw error
            } catch  where attempt < 3 {
                logger.debug("retrying an S3 request", metadata: ["key": "\(key)", "error": "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(200 << (attempt - 1)))
            attempt += 1
        }
    }

    private func once(_ method: String, url: URL, body: Data?, headers: [String: String], limit: Int) async throws
        -> (UInt, Data)
    {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        let payloadHash = body.map(S3Signer.payloadHash) ?? S3Signer.emptyPayloadHash
        let signed = signer.sign(method: method, url: url, headers: headers, payloadHash: payloadHash, date: Date())
        for (name, value) in headers.merging(signed, uniquingKeysWith: { _, new in new }) {
            request.headers.add(name: name, value: value)
        }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let received = try await response.body.collect(upTo: limit)
        return (response.status.code, Data(buffer: received))
    }
}

/// An S3 request the bucket refused, with the start of its answer (S3's XML error).
struct S3Error: Error, CustomStringConvertible {
    let status: UInt
    let body: String

    var description: String { "S3 answered HTTP \(status): \(body)" }
}

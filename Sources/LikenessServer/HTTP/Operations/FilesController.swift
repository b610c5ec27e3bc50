import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessService
import LikenessStore
import NIOFoundationCompat

/// Builds the public URLs of stored images.
struct ImageLinks: Sendable {
    let signer: URLSigner
    let publicURL: String?
    /// The scheme this server speaks, for links built from the request's Host.
    var scheme = "http"
    /// With `LIKENESS_IMAGE_URLS=presigned`: the bucket's own URL of an image.
    var presigned: (@Sendable (ResultImage) -> String)? = nil

    /// `publicURL`, or this server as the request addressed it.
    func origin(of request: Request) -> String {
        publicURL ?? "\(scheme)://\(request.head.authority ?? "127.0.0.1")"
    }

    func url(for image: ResultImage, request: Request) -> String {
        url(for: image, origin: origin(of: request))
    }

    /// The signed URL of a stored image (Likeness's, or the bucket's when presigned), or the
    /// provider's own URL of a passed-through one.
    func url(for image: ResultImage, origin: String) -> String {
        image.sourceURL ?? presigned?(image)
            ?? origin + signer.path(for: image.id, format: image.format, expiresAt: image.expiresAt)
    }

    /// Likeness's signed URL of a small JPEG of a stored image; nil for a passed-through one.
    func thumbnailURL(for image: ResultImage, origin: String) -> String? {
        guard image.sourceURL == nil else { return nil }
        return origin + signer.thumbnailPath(for: image.id, format: image.format, expiresAt: image.expiresAt)
    }
}

/// `GET /v1/files/<id>.<jpg|png|webp>?expires=…&signature=…`: serves a stored image while its signed URL
/// is valid, and `…/thumbnail` under the same signature a small JPEG of it. Every refusal is a
/// plain 404, so a probe learns nothing about which ids exist.
struct FilesController {
    let images: any ImageRepository
    let blobs: any BlobStore
    let signer: URLSigner
    let store: StoreCalls
    let clock: WallClock
    let generation: GenerationService

    static let notFound = HTTPError(.notFound, message: "no such image, or its URL has expired")

    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/files/{file}", use: serve)
        routes.get("/v1/files/{file}/thumbnail", use: thumbnail)
        return routes
    }

    /// The image id and format a signed URL names, if its signature holds now.
    private func signedImage(_ request: Request, context: LikenessRequestContext) throws -> (String, OutputFormat) {
        guard let file = context.parameters.get("file"), let dot = file.lastIndex(of: "."),
            let format = OutputFormat(fileExtension: String(file[file.index(after: dot)...])),
            case let id = String(file[..<dot]), Identifier.isValid(id),
            let expires = request.uri.queryParameters.get("expires").flatMap({ Int64($0) }),
            let signature = request.uri.queryParameters.get("signature"),
            signer.isValid(imageID: id, expires: expires, signature: signature, now: clock.now())
        else { throw Self.notFound }
        return (id, format)
    }

    @Sendable func thumbnail(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let (id, format) = try signedImage(request, context: context)
        guard let jpeg = try await generation.thumbnail(imageID: id, format: format) else { throw Self.notFound }
        // The signature is the image's, so the thumbnail may be kept as long as the URL lasts.
        let expires = request.uri.queryParameters.get("expires").flatMap { Int64($0) } ?? 0
        let remaining = max(0, expires - Int64(clock.now().timeIntervalSince1970))
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=\(remaining)"],
            body: .init(byteBuffer: ByteBuffer(data: jpeg)))
    }

    @Sendable func serve(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let notFound = Self.notFound
        let (id, format) = try signedImage(request, context: context)
        let now = clock.now()
        let record = try await store.read("read an image") { [images] in try images.image(id: id) }
        guard let record, record.expiresAt > now, record.format == format,
            let bytes = try await blobs.read(id: id, format: format, expectedSize: record.byteCount)
        else { throw notFound }
        let remaining = max(0, Int(record.expiresAt.timeIntervalSince(now)))
        return Response(
            status: .ok,
            headers: [.contentType: record.contentType, .cacheControl: "private, max-age=\(remaining)"],
            body: .init(byteBuffer: ByteBuffer(data: bytes)))
    }
}

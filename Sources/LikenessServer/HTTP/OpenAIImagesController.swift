import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart): the
/// OpenAI-compatible dialect, as the official SDKs and gateways such as amux call it.
/// Errors use OpenAI's shape and HTTP statuses (see `OpenAIError`).
struct OpenAIImagesController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let aliases: ModelAliases

    var support: RequestSupport { endpoint.support }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/images/generations") { request, _ in
            await respond(to: request) { () async throws(APIError) in
                try OpenAIImageRequest.parse(json: try await support.readBody(request), aliases: aliases)
            }
        }
        router.post("/v1/images/edits") { request, _ in
            await respond(to: request) { () async throws(APIError) in try await parseEdit(request) }
        }
    }

    private func respond(to request: Request, parse: () async throws(APIError) -> GenerationRequest) async -> Response {
        await endpoint.run(
            request, dialect: "openai", parse: parse,
            success: { result, _ in
                let images: OpenAIImagesResponse.Images =
                    switch result.images {
                    case .stored(let stored): .urls(stored.map { imageLinks.url(for: $0, request: request) })
                    case .inline(let jpegs): .base64(jpegs.map { $0.base64EncodedString() })
                    }
                return .init(status: .ok, body: OpenAIImagesResponse.jsonData(created: Date(), images: images))
            },
            failure: { error, _ in Self.rendered(OpenAIError(error)) })
    }

    static func rendered(_ error: OpenAIError) -> GenerationEndpoint.Rendered {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return .init(status: HTTPResponse.Status(code: error.status), body: error.jsonData(), headers: headers)
    }

    /// Reads the multipart form as it streams in: text fields, and the `image` (or `image[]`)
    /// part as the subject reference.
    private func parseEdit(_ request: Request) async throws(APIError) -> GenerationRequest {
        guard let contentType = request.headers[.contentType],
            let boundary = MultipartParser.boundary(contentType: contentType)
        else {
            throw APIError(
                .invalidParameters, "invalid params, /v1/images/edits takes multipart/form-data with a boundary",
                field: "image")
        }
        var parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        try await support.forEachChunk(of: request) { chunk throws(APIError) in
            parts += try parser.feed(chunk.readableBytesView)
        }
        try parser.finish()

        if parts.contains(where: { $0.name == "mask" }) {
            throw APIError(
                .invalidParameters,
                "invalid params, mask is not supported: image-01 takes a character reference, not an edit mask",
                field: "mask", reason: .unsupported)
        }
        let images = parts.filter { $0.name == "image" || $0.name == "image[]" }
        guard images.count <= 1 else {
            throw APIError(
                .invalidParameters, "invalid params, only one reference image is supported (got \(images.count))",
                field: "image")
        }
        guard let image = images.first, !image.body.isEmpty else {
            throw APIError(
                .invalidParameters, "invalid params, image is required: the subject reference photo", field: "image")
        }
        var fields: [String: String] = [:]
        for part in parts
        where !part.isFile && part.name != "image" && part.name != "image[]" && fields[part.name] == nil {
            fields[part.name] = String(decoding: part.body, as: UTF8.self)
        }
        return try OpenAIImageRequest.parse(form: fields, reference: image.body, aliases: aliases)
    }
}

/// Unknown routes answer 404 in OpenAI's error shape (OpenAI SDKs raise `NotFoundError` on it);
/// image file URLs keep their plain 404.
struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    let support: RequestSupport
    let engine: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !request.uri.path.hasPrefix("/v1/files/") {
            let notFound = OpenAIImagesController.rendered(
                OpenAIError(
                    status: 404, type: "invalid_request_error",
                    message: "Unknown request URL: \(request.method) \(request.uri.path)", code: "not_found"))
            let headers = support.headers(id: Identifier.make(), engine: engine, result: nil, received: .now)
            return Response(
                status: notFound.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: notFound.body)))
        }
    }
}

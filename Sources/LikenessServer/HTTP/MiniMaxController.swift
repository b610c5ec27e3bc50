import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore

/// The MiniMax-native dialect's answers. Errors answer as MiniMax does: HTTP 200 with a non-zero
/// `base_resp.status_code`, because MiniMax's clients read `base_resp` first and some treat any
/// non-200 as a transport failure.
struct MiniMaxDialect: DialectRendering {
    let name = "minimax"

    func failure(_ error: APIError, id: String) -> Rendered {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Rendered(status: .ok, body: MiniMaxResponse.failure(id: id, error).jsonData(), headers: headers)
    }
}

/// `POST /v1/image_generation`, the MiniMax-native dialect.
struct MiniMaxController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let dialect = MiniMaxDialect()

    func addRoutes(to router: some RouterMethods<LikenessRequestContext>) {
        router.post("/v1/image_generation") { request, context in
            await endpoint.respond(
                request, context: context, dialect: dialect,
                parse: { () async throws(APIError) in
                    Intake(request: try MiniMaxRequest.parse(try await endpoint.support.readBody(request)))
                },
                success: { result, id in
                    let body: MiniMaxResponse =
                        switch result.images {
                        case .stored(let images):
                            .success(
                                id: id, imageURLs: images.map { imageLinks.url(for: $0, request: request) },
                                failedCount: result.blockedCount)
                        case .inline(let images):
                            .success(
                                id: id, imageBase64: images.map { $0.base64EncodedString() },
                                failedCount: result.blockedCount)
                        }
                    return Rendered(status: .ok, body: body.jsonData())
                })
        }
    }
}

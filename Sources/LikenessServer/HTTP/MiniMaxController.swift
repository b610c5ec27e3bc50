import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI

/// `POST /v1/image_generation`, the MiniMax-native dialect.
///
/// Errors answer as MiniMax does: HTTP 200 with a non-zero `base_resp.status_code`, because
/// MiniMax's clients read `base_resp` first and some treat any non-200 as a transport failure.
struct MiniMaxController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/image_generation") { request, _ in
            await endpoint.run(
                request, dialect: "minimax",
                parse: { () async throws(APIError) in
                    try MiniMaxRequest.parse(try await endpoint.support.readBody(request))
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
                    return .init(status: .ok, body: body.jsonData())
                },
                failure: { error, id in
                    var headers: HTTPFields = [:]
                    if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
                    return .init(status: .ok, body: MiniMaxResponse.failure(id: id, error).jsonData(), headers: headers)
                })
        }
    }
}

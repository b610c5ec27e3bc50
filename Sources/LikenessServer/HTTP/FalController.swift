import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// fal.ai's synchronous endpoints, under the `/fal` prefix so that `fal-client` works with
/// `FAL_RUN_HOST=<host:port>/fal`: `POST /fal/fal-ai/minimax/image-01` and
/// `POST /fal/fal-ai/minimax/image-01/subject-reference` answer with the output JSON directly.
/// Auth is `Authorization: Key <key>` (Bearer also works). The queue is `FalQueueController`.
struct FalController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks

    static let prefix = "/fal"

    func addRoutes(to router: Router<some RequestContext>) {
        for app in FalApp.allCases {
            router.post(RouterPath(Self.prefix + "/" + app.rawValue)) { request, _ in
                await endpoint.run(
                    request, dialect: "fal", schemes: ["key", "bearer"],
                    parse: { () async throws(APIError) in
                        try app.parse(json: try await endpoint.support.readBody(request))
                    },
                    success: { result, _ throws(APIError) in
                        guard case .stored(let stored) = result.images else {
                            throw APIError(.internalError, "fal results are always stored images")
                        }
                        let images = stored.map { image in
                            FalImage(
                                url: imageLinks.url(for: image, request: request), fileName: "\(image.id).jpg",
                                fileSize: image.byteCount, width: image.width, height: image.height)
                        }
                        return .init(status: .ok, body: FalResponse.jsonData(images: images))
                    },
                    failure: { error, _ in Self.rendered(error) })
            }
        }
    }

    /// An error in fal's shape; a rate limit or a busy upstream carries `Retry-After`.
    static func rendered(_ error: APIError) -> GenerationEndpoint.Rendered {
        let failure = FalError(error)
        var headers: HTTPFields = [:]
        if failure.status == 429 || failure.status == 503 {
            headers[.retryAfter] = String(error.retryAfterSeconds ?? 1)
        }
        return .init(status: HTTPResponse.Status(code: failure.status), body: failure.body, headers: headers)
    }
}

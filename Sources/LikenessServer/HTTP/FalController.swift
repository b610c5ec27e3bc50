import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// fal.ai's synchronous endpoints, under the `/fal` prefix so that `fal-client` works with
/// `FAL_RUN_HOST=<host:port>/fal`: `POST /fal/fal-ai/minimax/image-01` and
/// `POST /fal/fal-ai/minimax/image-01/subject-reference` answer with the output JSON directly.
/// Auth is `Authorization: Key <key>` (Bearer also works). The queue endpoints are not built yet.
struct FalController {
    let service: GenerationService
    let authenticator: Authenticator
    let imageLinks: ImageLinks
    let support: RequestSupport

    static let prefix = "/fal"

    func addRoutes(to router: Router<some RequestContext>) {
        for app in FalApp.allCases {
            router.post(RouterPath(Self.prefix + "/" + app.rawValue)) { request, _ in
                await run(app, request)
            }
        }
    }

    func run(_ app: FalApp, _ request: Request) async -> Response {
        let received = ContinuousClock.now
        let id = Identifier.make()
        do throws(APIError) {
            let key = try authenticator.authenticate(request.headers[.authorization], schemes: ["key", "bearer"])
            let canonical: GenerationRequest
            do throws(APIError) {
                canonical = try app.parse(json: try await support.readBody(request))
            } catch {
                service.recordRejected(id: id, keyID: key.id, dialect: "fal", error: error)
                throw error
            }
            let result = try await service.generate(canonical, id: id, keyID: key.id, dialect: "fal")
            guard case .stored(let stored) = result.images else {
                throw APIError(.internalError, "fal results are always stored images")
            }
            let images = stored.map { image in
                FalImage(
                    url: imageLinks.url(for: image, request: request), fileName: "\(image.id).jpg",
                    fileSize: image.byteCount, width: image.width, height: image.height)
            }
            let headers = support.headers(id: id, engine: result.engine, result: result, received: received)
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(data: FalResponse.jsonData(images: images))))
        } catch {
            let failure = FalError(error)
            var headers = support.headers(id: id, engine: service.engineName, result: nil, received: received)
            if failure.status == 429 { headers[.retryAfter] = String(error.retryAfterSeconds ?? 1) }
            return Response(
                status: HTTPResponse.Status(code: failure.status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(data: failure.body)))
        }
    }
}

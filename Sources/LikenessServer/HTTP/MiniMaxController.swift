import Foundation
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// `POST /v1/image_generation`, the MiniMax-native dialect.
///
/// Errors answer as MiniMax does: HTTP 200 with a non-zero `base_resp.status_code`, because
/// MiniMax's clients read `base_resp` first and some treat any non-200 as a transport failure.
struct MiniMaxController {
    let service: GenerationService
    let authenticator: Authenticator
    let imageLinks: ImageLinks
    let support: RequestSupport

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/image_generation") { request, _ in
            await generate(request)
        }
    }

    func generate(_ request: Request) async -> Response {
        let received = ContinuousClock.now
        let id = Identifier.make()
        var result: GenerationResult? = nil
        let body: MiniMaxResponse
        do throws(APIError) {
            let key = try authenticator.authenticate(request.headers[.authorization])
            let canonical: GenerationRequest
            do throws(APIError) {
                canonical = try MiniMaxRequest.parse(try await support.readBody(request))
            } catch {
                service.recordRejected(id: id, keyID: key.id, dialect: "minimax", error: error)
                throw error
            }
            let generated = try await service.generate(canonical, id: id, keyID: key.id, dialect: "minimax")
            result = generated
            switch generated.images {
            case .stored(let images):
                body = .success(
                    id: id, imageURLs: images.map { imageLinks.url(for: $0, request: request) },
                    failedCount: generated.blockedCount)
            case .inline(let images):
                body = .success(
                    id: id, imageBase64: images.map { $0.base64EncodedString() }, failedCount: generated.blockedCount)
            }
        } catch {
            body = .failure(id: id, error)
        }
        let encoded = body.jsonData()
        let headers = support.headers(
            id: id, engine: result?.engine ?? service.engineName, result: result, received: received)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: encoded)))
    }
}

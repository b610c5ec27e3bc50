import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// The steps every dialect's generation route takes, in order: authenticate, parse (recording a
/// refusal), generate, then render success or failure in the dialect's own shape. Controllers
/// supply only the parsing and the two renderings.
struct GenerationEndpoint: Sendable {
    let service: GenerationService
    let authenticator: Authenticator
    let support: RequestSupport

    /// A rendered answer: status, body, and any headers beyond the standard ones.
    struct Rendered {
        var status: HTTPResponse.Status
        var body: Data
        var headers: HTTPFields = [:]
    }

    func run(
        _ request: Request, dialect: String, schemes: Set<String> = ["bearer"],
        parse: () async throws(APIError) -> GenerationRequest,
        success: (GenerationResult, _ id: String) throws(APIError) -> Rendered,
        failure: (APIError, _ id: String) -> Rendered
    ) async -> Response {
        let received = ContinuousClock.now
        let id = Identifier.make()
        var result: GenerationResult? = nil
        let rendered: Rendered
        do throws(APIError) {
            let key = try authenticator.authenticate(request.headers[.authorization], schemes: schemes)
            let canonical: GenerationRequest
            do throws(APIError) {
                canonical = try await parse()
            } catch {
                service.recordRejected(id: id, keyID: key.id, dialect: dialect, error: error)
                throw error
            }
            let generated = try await service.generate(canonical, id: id, keyID: key.id, dialect: dialect)
            result = generated
            rendered = try success(generated, id)
        } catch {
            rendered = failure(error, id)
        }
        var headers = support.headers(
            id: id, engine: result?.engine ?? service.engineName, result: result, received: received)
        headers.append(contentsOf: rendered.headers)
        return Response(
            status: rendered.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: rendered.body)))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// The steps every dialect's generation route takes, in order: authenticate and count the
/// request against the caller's rate limits, parse (recording a refusal), generate, then render
/// success or failure in the dialect's own shape. Controllers supply only the parsing and the
/// two renderings.
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
        var id = Identifier.make()
        var result: GenerationResult? = nil
        let rendered: Rendered
        do throws(APIError) {
            let caller = try authenticator.admit(request.headers[.authorization], schemes: schemes)
            let canonical: GenerationRequest
            let idempotencyKey: String?
            do throws(APIError) {
                idempotencyKey = try Self.idempotencyKey(request)
                canonical = try await parse()
            } catch {
                service.recordRejected(id: id, caller: caller, dialect: dialect, error: error)
                throw error
            }
            let generated = try await service.generate(
                canonical, id: id, Submission(caller: caller, dialect: dialect, idempotencyKey: idempotencyKey))
            result = generated
            // A replay answers as the first request did, under its id.
            id = generated.jobID
            rendered = try success(generated, id)
        } catch {
            rendered = failure(error, id)
        }
        var headers = support.headers(
            id: id, engine: result?.engine ?? service.engineName, result: result, received: received)
        headers[.likenessCost] = (result?.cost ?? .zero).usd
        headers.append(contentsOf: rendered.headers)
        return Response(
            status: rendered.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: rendered.body)))
    }

    /// `Idempotency-Key`, when sent: 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return key
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// What the request was charged, in US dollars.
    static let likenessCost = HTTPField.Name("X-Likeness-Cost-USD")!
    /// What a queued request holds from the balance until it ends.
    static let likenessReserved = HTTPField.Name("X-Likeness-Reserved-USD")!
}

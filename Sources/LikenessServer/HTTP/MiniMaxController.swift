import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOFoundationCompat

/// `POST /v1/image_generation`, the MiniMax-native dialect.
///
/// Errors answer as MiniMax does: HTTP 200 with a non-zero `base_resp.status_code`, because
/// MiniMax's clients read `base_resp` first and some treat any non-200 as a transport failure.
struct MiniMaxController {
    let service: GenerationService
    let authenticator: Authenticator
    let imageLinks: ImageLinks
    let maximumBodyBytes: Int

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/v1/image_generation") { request, context in
            await generate(request, context: context)
        }
    }

    func generate(_ request: Request, context: some RequestContext) async -> Response {
        let received = ContinuousClock.now
        let id = Identifier.make()
        var engine: String? = nil
        var engineDuration: Duration? = nil
        let body: MiniMaxResponse
        do throws(APIError) {
            let key = try authenticator.authenticate(request.headers[.authorization])
            let canonical: GenerationRequest
            do throws(APIError) {
                canonical = try MiniMaxRequest.parse(try await readBody(request))
            } catch {
                service.recordRejected(id: id, keyID: key.id, dialect: "minimax", error: error)
                throw error
            }
            let result = try await service.generate(canonical, id: id, keyID: key.id, dialect: "minimax")
            engine = result.engine
            engineDuration = result.engineDuration
            switch result.images {
            case .stored(let images):
                body = .success(
                    id: id, imageURLs: images.map { imageLinks.url(for: $0, request: request) },
                    failedCount: result.blockedCount)
            case .inline(let images):
                body = .success(
                    id: id, imageBase64: images.map { $0.base64EncodedString() }, failedCount: result.blockedCount)
            }
        } catch {
            body = .failure(id: id, error)
        }
        var headers: HTTPFields = [.contentType: "application/json", .traceID: id]
        headers[.likenessEngine] = engine ?? service.engineName
        let encoded = body.jsonData()
        if let engineDuration {
            // Lets clients and benchmarks tell engine time from the server's own.
            headers[.serverTiming] =
                "engine;dur=\(engineDuration.serverTiming), total;dur=\(received.duration(to: .now).serverTiming)"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: encoded)))
    }

    /// The whole body, refused past `maximumBodyBytes`. With a Content-Length the buffer is sized
    /// once, instead of doubling its way up (a 13 MB body would otherwise peak at 24 MB).
    private func readBody(_ request: Request) async throws(APIError) -> Data {
        let tooLarge = APIError(
            .invalidParameters, "invalid params, the request body is larger than \(maximumBodyBytes) bytes")
        let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
        guard declared <= maximumBodyBytes else { throw tooLarge }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(declared)
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= maximumBodyBytes else { throw tooLarge }
                buffer.writeImmutableBuffer(chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.invalidParameters, "invalid params, the request body could not be read")
        }
        return Data(buffer: buffer, byteTransferStrategy: .noCopy)
    }
}

extension HTTPField.Name {
    static let traceID = HTTPField.Name("Trace-Id")!
    static let likenessEngine = HTTPField.Name("X-Likeness-Engine")!
    static let serverTiming = HTTPField.Name("Server-Timing")!
}

extension Duration {
    /// Milliseconds with microsecond precision, as `Server-Timing` writes durations.
    var serverTiming: String {
        String(format: "%.3f", Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore
import NIOCore
import NIOFoundationCompat

/// What every dialect's generation route does the same way: read bodies within limits and
/// label responses with the job id, the engine and its timings.
struct RequestSupport: Sendable {
    let maximumBodyBytes: Int
    /// The engine that serves when no job says otherwise (`X-Likeness-Engine`).
    let engineName: String

    var tooLarge: APIError {
        APIError(.invalidParameters, "invalid params, the request body is larger than \(maximumBodyBytes) bytes")
    }

    /// The whole body, refused past `maximumBodyBytes`. With a Content-Length the buffer is sized
    /// once, instead of doubling its way up (a 13 MB body would otherwise peak at 24 MB).
    func readBody(_ request: Request) async throws(APIError) -> Data {
        let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
        guard declared <= maximumBodyBytes else { throw tooLarge }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(declared)
        try await forEachChunk(of: request) { chunk throws(APIError) in buffer.writeImmutableBuffer(chunk) }
        return Data(buffer: buffer, byteTransferStrategy: .noCopy)
    }

    /// Streams the body chunk by chunk, refusing it once it passes `maximumBodyBytes`.
    func forEachChunk(of request: Request, _ body: (ByteBuffer) throws(APIError) -> Void) async throws(APIError) {
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                guard total <= maximumBodyBytes else { throw tooLarge }
                try body(chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.invalidParameters, "invalid params, the request body could not be read")
        }
    }

    /// `body` as JSON, the way the account and character routes write it (snake_case keys).
    func json(_ body: some Encodable, status: HTTPResponse.Status = .ok) throws(APIError) -> Response {
        do {
            let data = try AccountsWire.encoder.encode(body)
            return Response(
                status: status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: data)))
        } catch {
            throw APIError(.internalError, "the answer could not be encoded")
        }
    }

    /// A multipart form's parts, parsed as the body streams in (each part within its limit).
    /// `route` and `field` name what to fix when the body is not such a form.
    func readParts(_ request: Request, route: String, field: String) async throws(APIError) -> [MultipartPart] {
        guard let contentType = request.headers[.contentType],
            let boundary = MultipartParser.boundary(contentType: contentType)
        else {
            throw APIError(
                .invalidParameters, "invalid params, \(route) takes multipart/form-data with a boundary", field: field)
        }
        var parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        try await forEachChunk(of: request) { chunk throws(APIError) in
            parts += try parser.feed(chunk.readableBytesView)
        }
        try parser.finish()
        return parts
    }

    /// `rendered` with the standard headers: JSON, `Trace-Id` (the request's or job's id) and
    /// `X-Likeness-Engine` (`engine`, or the configured one).
    func response(_ rendered: Rendered, context: LikenessRequestContext) -> Response {
        response(rendered, id: context.requestID)
    }

    func response(_ rendered: Rendered, id: String, engine: String? = nil) -> Response {
        var headers: HTTPFields = [.traceID: id, .likenessEngine: engine ?? engineName]
        // JSON unless the rendering says otherwise (server-sent events).
        if rendered.headers[.contentType] == nil { headers[.contentType] = "application/json" }
        headers.append(contentsOf: rendered.headers)
        return Response(
            status: rendered.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: rendered.body)))
    }

    /// What a job holds from the balance while it runs, and what it was charged once it ended.
    func billingHeaders(of job: JobSnapshot) -> HTTPFields {
        var headers: HTTPFields = [.likenessCost: job.cost.usd]
        if !job.isFinished { headers[.likenessReserved] = job.reserved.usd }
        return headers
    }

    /// For a finished generation, `Server-Timing` (engine time and the handler's) and, when content
    /// safety withheld some images, `X-Likeness-Blocked-Images`.
    func timingHeaders(of result: GenerationResult?, received: ContinuousClock.Instant) -> HTTPFields {
        guard let result else { return [:] }
        // Lets clients and benchmarks tell engine time from the server's own.
        var headers: HTTPFields = [
            .serverTiming:
                "engine;dur=\(result.engineDuration.serverTiming), total;dur=\(received.duration(to: .now).serverTiming)"
        ]
        if result.blockedCount > 0 { headers[.blockedImages] = String(result.blockedCount) }
        if let lowest = result.identity?.lowest {
            headers[.likenessIdentity] = IdentityReport.formatted(IdentityReport.rounded(lowest))
        }
        return headers
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let prefer = HTTPField.Name("Prefer")!
    /// What the request was charged, in US dollars.
    static let likenessCost = HTTPField.Name("X-Likeness-Cost-USD")!
    /// What a queued request holds from the balance until it ends.
    static let likenessReserved = HTTPField.Name("X-Likeness-Reserved-USD")!
    static let traceID = HTTPField.Name("Trace-Id")!
    static let likenessEngine = HTTPField.Name("X-Likeness-Engine")!
    static let serverTiming = HTTPField.Name("Server-Timing")!
    static let blockedImages = HTTPField.Name("X-Likeness-Blocked-Images")!
    /// The lowest identity score of the images delivered (subject reference).
    static let likenessIdentity = HTTPField.Name("X-Likeness-Identity")!
    /// A native failure's kind and field, which `base_resp` has no place for (Likeness's SDK reads
    /// them; MiniMax's clients ignore them).
    static let likenessErrorReason = HTTPField.Name("X-Likeness-Error-Reason")!
    static let likenessErrorField = HTTPField.Name("X-Likeness-Error-Field")!
    /// Requests ahead of a queued native task (its query's answer).
    static let likenessQueuePosition = HTTPField.Name("X-Likeness-Queue-Position")!
}

extension Duration {
    /// Milliseconds with microsecond precision, as `Server-Timing` writes durations.
    var serverTiming: String {
        String(format: "%.3f", Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15)
    }
}

extension Request {
    /// `logs=1` or `logs=true`: a task's answer should carry its log lines (fal's status and the
    /// native task query take it alike).
    var asksForLogs: Bool {
        ["1", "true"].contains(uri.queryParameters.get("logs")?.lowercased() ?? "")
    }
}

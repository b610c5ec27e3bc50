import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationEssentialsCompat

/// The providers a simulator can stand in for.
public enum SimulatedProvider: String, Sendable, CaseIterable {
    /// `POST /v1/image_generation`, MiniMax's native API: failures as HTTP 200 with `base_resp`.
    case minimax
    /// fal's queue API for `fal-ai/minimax/image-01[/subject-reference]`.
    case fal
    /// An OpenAI-compatible image server: `POST /v1/images/generations` and `/v1/images/edits`.
    case openai
}

public struct SimulatorSettings: Sendable {
    public var provider: SimulatedProvider
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// The only credential accepted (`Bearer` for MiniMax and OpenAI, `Key` for fal); nil accepts any.
    public var apiKey: String?
    /// Per-credential requests per minute, refused past it as the provider would (MiniMax: 10).
    public var requestsPerMinute: Int?
    /// The sliding window the limit is counted over: 60 s as providers count it, or shorter
    /// (with the limit scaled to it) so that a test of a few seconds meets a strict limit.
    public var rateWindow: Duration
    /// Added to every generation (for fal: the time a request spends in progress).
    public var latency: Duration

    public init(
        provider: SimulatedProvider, host: String = "127.0.0.1", port: Int = 0, apiKey: String? = nil,
        requestsPerMinute: Int? = nil, rateWindow: Duration = .seconds(60), latency: Duration = .zero
    ) {
        self.provider = provider
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.requestsPerMinute = requestsPerMinute
        self.rateWindow = rateWindow
        self.latency = latency
    }

    /// Requests allowed per credential within one `rateWindow`.
    var requestsPerWindow: Int? {
        requestsPerMinute.map { max(1, Int(Double($0) * rateWindow.seconds / 60)) }
    }
}

/// A simulator of one provider: its documented contract, faults on demand
/// (`SimulatedFault`), and a control API under `/simulator`:
/// - `POST /simulator/faults` appends to the fault plan; `DELETE /simulator/faults` clears it.
/// - `GET /simulator/requests` reports what arrived: `{"count", "rate_limited", "authorizations",
///   "status_polls", "peak_in_flight", "cancelled"}`.
/// - `GET /simulator/files/{W}x{H}/{name}` serves result images; `/simulator/expired/...` answers
///   403 as an expired signed URL does.
public func buildSimulator(_ settings: SimulatorSettings, state: SimulatorState = SimulatorState())
    -> some ApplicationProtocol
{
    let router = Router()
    let context = SimulatorContext(settings: settings, state: state)
    context.addControlRoutes(to: router)
    switch settings.provider {
    case .minimax: context.addMiniMaxRoutes(to: router)
    case .fal: context.addFalRoutes(to: router)
    case .openai: context.addOpenAIRoutes(to: router)
    }
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(settings.host, port: settings.port), serverName: "Likeness-simulator"))
}

/// What every simulator route shares.
struct SimulatorContext: Sendable {
    let settings: SimulatorSettings
    let state: SimulatorState

    func addControlRoutes(to router: Router<BasicRequestContext>) {
        router.post("/simulator/faults") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            do {
                let object = try JSONValue.parseObject(Data(buffer: body))
                for entry in try FieldReader(object).array("faults") ?? [] {
                    guard case .object(let fields) = entry else {
                        throw APIError.invalid("faults", "must hold objects")
                    }
                    let fault = try SimulatedFault(json: fields)
                    state.inject(fault, count: Int(try FieldReader(fields).integer("count") ?? 1))
                }
            } catch let error as APIError {
                return Self.json(.badRequest, ["error": .string(error.message)])
            }
            return Self.json(.ok, ["pending": .integer(Int64(state.pendingFaults))])
        }
        router.delete("/simulator/faults") { _, _ -> Response in
            state.clearFaults()
            return Self.json(.ok, ["pending": .integer(0)])
        }
        router.get("/simulator/requests") { _, _ -> Response in
            let received = state.received
            return Self.json(
                .ok,
                [
                    "count": .integer(Int64(received.count)),
                    "rate_limited": .integer(Int64(received.filter(\.rateLimited).count)),
                    "authorizations": .array(received.map { .string($0.authorization ?? "") }),
                    "status_polls": .integer(Int64(state.statusPolls)),
                    "peak_in_flight": .integer(Int64(state.peakInFlight)),
                    "cancelled": .array(state.cancelledRequests.map(JSONValue.string)),
                    // Seconds from the first request to each, to measure the rate a client kept.
                    "arrival_seconds": .array(
                        received.map { .number((received.first?.at ?? $0.at).duration(to: $0.at).seconds) }),
                ])
        }
        router.get("/simulator/files/:size/:name") { _, context -> Response in
            guard let size = context.parameters.get("size").flatMap(Self.pixelSize) else {
                return Response(status: .notFound)
            }
            let jpeg = try await state.image(size)
            return Response(
                status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
        }
        router.get("/simulator/subjects/:name") { _, context -> Response in
            guard let id = context.parameters.get("name")?.split(separator: ".").first,
                let jpeg = state.subjectImage(id: String(id))
            else { return Response(status: .notFound) }
            return Response(
                status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
        }
        router.get("/simulator/expired/**") { _, _ -> Response in
            Response(
                status: .forbidden, headers: [.contentType: "application/xml"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")))
        }
    }

    /// How a generation request is to be answered, once admitted.
    struct Admission {
        /// The whole answer, when the fault or the limit decided it.
        var response: Response?
        /// The result URLs are to answer 403, as expired signed URLs do.
        var expireURLs = false
        /// Images to withhold from the answer (MiniMax's `failed_count`).
        var withheld = 0
        /// The people the images are to show (`SimulatedFault.subject`).
        var subjects: [Data] = []
    }

    /// Records the request and applies the account's rate limit and the next fault. A non-nil
    /// response is the whole answer; otherwise the route answers normally, as the rest of the
    /// admission says.
    func admit(
        _ request: Request, body: ByteBuffer, credentialScheme: String,
        refuse: (_ code: StatusCode, _ message: String) -> Response
    ) async throws -> Admission {
        let authorization = request.headers[.authorization]
        let arrival = state.arrive(
            path: request.uri.path, authorization: authorization, body: Data(buffer: body),
            limit: settings.requestsPerWindow.map { ($0, settings.rateWindow) })
        if let key = settings.apiKey, authorization != "\(credentialScheme) \(key)" {
            return Admission(response: refuse(.authenticationFailed, "authentication failed: invalid API key"))
        }
        if arrival.rateLimited {
            return Admission(response: refuse(.rateLimited, "rate limit exceeded(RPM)"))
        }
        if settings.latency > .zero { try await Task.sleep(for: settings.latency) }
        switch arrival.fault {
        case nil, .failingPolls:
            return Admission()
        case .withheldImages(let count):
            return Admission(withheld: count)
        case .subject(let photos):
            return Admission(subjects: photos)
        case .latency(let milliseconds):
            try await Task.sleep(for: .milliseconds(milliseconds))
            return Admission()
        case .httpStatus(let status, let retryAfter):
            var headers: HTTPFields = [.contentType: "text/plain"]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            return Admission(
                response: Response(
                    status: .init(code: status), headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: "simulated HTTP \(status)"))))
        case .code(let code):
            return Admission(response: refuse(StatusCode(rawValue: code) ?? .unknownError, "simulated error \(code)"))
        case .malformedJSON:
            return Admission(
                response: Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway</body></html>"))))
        case .truncatedBody:
            return Admission(
                response: Self.cutOff(
                    after: 40,
                    of: Data(
                        #"{"data":{"image_urls":["http://127.0.0.1/simulator/files/x"]},"base_resp":{"status_code":0}}"#
                            .utf8)))
        case .connectionReset:
            return Admission(response: Self.cutOff(after: 0, of: Data("{}".utf8)))
        case .expiredResultURLs:
            return Admission(expireURLs: true)
        }
    }

    /// The `scheme://host` the caller used, for result URLs.
    static func origin(of request: Request) -> String {
        "http://\(request.head.authority ?? "127.0.0.1")"
    }

    static func imageURL(origin: String, size: PixelSize, index: Int, expired: Bool) -> String {
        "\(origin)/simulator/\(expired ? "expired" : "files")/\(size)/\(UUID().uuidString.lowercased())-\(index).jpg"
    }

    static func pixelSize(_ text: String) -> PixelSize? {
        let sides = text.split(separator: "x").compactMap { Int($0) }
        guard sides.count == 2, (64...4096).contains(sides[0]), (64...4096).contains(sides[1]) else { return nil }
        return PixelSize(width: sides[0], height: sides[1])
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: JSONValue], headers: HTTPFields = [:])
        -> Response
    {
        let data = (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data()
        return json(status, data, headers: headers)
    }

    static func json(_ status: HTTPResponse.Status, _ data: Data, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A response that promises `body` (by its Content-Length) and closes the connection after
    /// `count` bytes of it.
    static func cutOff(after count: Int, of body: Data) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: String(body.count)],
            body: ResponseBody { writer in
                if count > 0 { try await writer.write(ByteBuffer(bytes: body.prefix(count))) }
                throw SimulatedDisconnect()
            })
    }
}

/// Thrown inside a response body to close the connection mid-answer.
struct SimulatedDisconnect: Error {}

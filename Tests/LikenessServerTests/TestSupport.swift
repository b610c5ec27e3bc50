import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization
import Testing

@testable import LikenessServer
@testable import LikenessService

/// A Likeness application on a fresh data directory, with one valid key.
struct Harness {
    var configuration: LikenessConfiguration
    let directory: DataDirectory
    let key: String

    init(_ configure: (inout LikenessConfiguration) -> Void = { _ in }) throws {
        let root = temporaryDirectory("likeness-server")
        var configuration = try LikenessConfiguration(
            reader: ConfigReader(
                provider: InMemoryProvider(values: ["likeness.dataDir": .init(.string(root.path), isSecret: false)])))
        configuration.port = 0
        // Face checks only where a test asks for them (`IdentityTests`): other tests' references are
        // plain pictures.
        configuration.identity = .off
        configure(&configuration)
        self.configuration = configuration
        let (directory, issued) = try prepareDataDirectory(configuration)
        self.directory = directory
        self.key = try #require(issued).secret
    }

    /// `engine` nil: the engines of `configuration.routing` serve.
    func test<Value: Sendable>(
        engine: (any ImageEngine)? = PreviewEngine(), fetcher: (any ReferenceFetching)? = nil,
        clock: WallClock = .system, logger: Logger? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let application = try buildApplication(
            configuration: configuration, dataDirectory: directory, engine: engine, fetcher: fetcher, clock: clock,
            logger: logger)
        return try await application.test(.router, body)
    }
}

/// A clock that stands still until a test moves it.
final class ManualClock: Sendable {
    private let current = Mutex(Date())

    var wallClock: WallClock { WallClock { self.now } }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A key on an account of its own.
struct Customer {
    var accountID: String
    var key: String
    var keyID: String
}

extension Harness {
    /// The operator's unmetered account, which owns `key`.
    func houseAccountID() throws -> String {
        guard case .valid(_, let account) = try directory.store.checkKey(secret: key) else {
            Issue.record("the harness key is not valid")
            throw CancellationError()
        }
        return account.id
    }

    /// A new account with one key; `credit` is topped up with no fee. Limits are off unless given.
    func customer(
        _ name: String = "customer", billing: AccountBilling = .prepaid, credit: MicroDollars? = nil,
        limits: UsageLimits = .unlimited, keyLimits: UsageLimits = .unlimited
    ) throws -> Customer {
        let store = directory.store
        let account = try store.createAccount(name: name, billing: billing, limits: limits)
        if let credit, credit > .zero {
            _ = try store.topUp(accountID: account.id, paid: credit, fee: .zero, note: "test credit")
        }
        let issued = try store.createKey(name: name, accountID: account.id, limits: keyLimits)
        return Customer(accountID: account.id, key: issued.secret, keyID: issued.key.id)
    }
}

/// The MiniMax-native response as a client reads it.
struct NativeReply: Decodable {
    struct BaseResponse: Decodable {
        var status_code: Int
        var status_msg: String
    }
    struct Payload: Decodable {
        var image_urls: [String]?
        var image_base64: [String]?
    }
    struct Metadata: Decodable {
        var success_count: String
        var failed_count: String
    }
    var id: String?
    var data: Payload?
    var metadata: Metadata?
    var base_resp: BaseResponse
}

extension TestClientProtocol {
    /// POSTs a native request; `fields` is a JSON object literal.
    func generate(
        _ fields: [String: Any], key: String?, check: @escaping (TestResponse, NativeReply) throws -> Void
    ) async throws {
        let body = try JSONSerialization.data(withJSONObject: fields)
        try await generate(raw: body, key: key, check: check)
    }

    func generate(
        raw body: Data, key: String?, authorization: String? = nil,
        check: @escaping (TestResponse, NativeReply) throws -> Void
    ) async throws {
        let response = try await post(
            "/v1/image_generation", body: body, authorization: authorization ?? key.map { "Bearer \($0)" })
        #expect(response.status == .ok)
        try check(response, try JSONDecoder().decode(NativeReply.self, from: Data(buffer: response.body)))
    }

    /// POSTs a body (JSON unless `contentType` says otherwise): the one POST helper of these tests.
    func post(
        _ path: String, body: Data, authorization: String?, contentType: String = "application/json",
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let authorization { headers[.authorization] = authorization }
        headers.append(contentsOf: extra)
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(data: body)) { $0 }
    }

    /// GETs an image URL the server handed out (host ignored: the router test has none).
    func download(_ url: String) async throws -> TestResponse {
        let components = try #require(URLComponents(string: url))
        let uri = components.path + (components.query.map { "?" + $0 } ?? "")
        return try await execute(uri: uri, method: .get)
    }
}

/// Waits until the job has finished (a worker runs it in the background).
func waitUntilFinished(_ id: String, in store: SQLStore, timeout: Duration = .seconds(30)) async throws {
    let finished = try await eventually(timeout: timeout) { try store.job(id: id)?.status.isFinished == true }
    if !finished { Issue.record("job \(id) did not finish within \(timeout)") }
}

func jpegReference(width: Int = 400, height: Int = 500, colour: RGB = RGB(255, 0, 255)) throws -> Data {
    try RasterImage.panel(width: width, height: height, colour: colour, alpha: 255).encoded(as: .jpeg(quality: 90))
}

func dataURL(_ bytes: Data, type: String = "image/jpeg") -> String {
    "data:\(type);base64,\(bytes.base64EncodedString())"
}

/// Wraps the preview engine and counts calls, to show which requests never reach an engine.
final class CountingEngine: ImageEngine {
    let name = "preview"
    let calls = Mutex(0)

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws -> EngineOutput
    {
        calls.withLock { $0 += 1 }
        return try await PreviewEngine().generate(job, progress: progress)
    }
}

/// A small HTTP server on 127.0.0.1 that serves reference images and misbehaves on request.
func withReferenceServer<Value: Sendable>(
    _ body: @escaping @Sendable (_ baseURL: String) async throws -> Value
) async throws -> Value {
    let reference = try jpegReference()
    let router = Router()
    router.get("/face.jpg") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(data: reference)))
    }
    router.get("/not-an-image") { _, _ in "just text" }
    router.get("/missing") { _, _ -> Response in throw HTTPError(.notFound) }
    router.get("/loop") { _, _ in Response(status: .found, headers: [.location: "/loop"]) }
    router.get("/to-file") { _, _ in Response(status: .found, headers: [.location: "file:///etc/passwd"]) }
    router.get("/redirect/{target}") { request, context in
        let target = context.parameters.get("target") ?? ""
        let port = request.head.authority?.split(separator: ":").last ?? ""
        let location = target == "other-loopback" ? "http://127.0.0.2:\(port)/face.jpg" : "/face.jpg"
        return Response(status: .found, headers: [.location: location])
    }
    router.get("/huge") { _, _ in
        // Streams 11 MB with no Content-Length: the limit must hold while streaming.
        Response(
            status: .ok, headers: [.contentType: "image/jpeg"],
            body: .init { writer in
                let chunk = ByteBuffer(repeating: 0xFF, count: 1024 * 1024)
                for _ in 0..<11 { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }
    router.get("/slow") { _, _ -> Response in
        try await Task.sleep(for: .seconds(5))
        return Response(status: .ok)
    }
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await application.test(.live) { client in
        try await body("http://127.0.0.1:\(try #require(client.port))")
    }
}

import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessImaging
import LikenessUpstream
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One upstream's HTTP side: requests with a deadline and a body limit, every transport failure
/// turned into a retryable `UpstreamFailure`, and result downloads checked to be images.
///
/// Upstream base URLs are the operator's configuration, so they are trusted to be reachable
/// (a provider or a simulator on loopback); what comes back is still treated as untrusted.
public struct UpstreamHTTP: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data

        /// `Retry-After` (seconds) or `retry-after-ms`, as providers send them.
        public var retryAfter: Duration? {
            if let milliseconds = headers.first(name: "retry-after-ms").flatMap(Double.init) {
                return .milliseconds(Int64(milliseconds))
            }
            return headers.first(name: "Retry-After").flatMap(Double.init).map { .milliseconds(Int64($0 * 1000)) }
        }
    }

    let engine: String
    let client: HTTPClient
    let timeout: Duration
    /// Large enough for nine base64 images at 2048×2048.
    let maximumBodyBytes: Int

    public init(engine: String, client: HTTPClient, timeout: Duration, maximumBodyBytes: Int = 96 * 1024 * 1024) {
        self.engine = engine
        self.client = client
        self.timeout = timeout
        self.maximumBodyBytes = maximumBodyBytes
    }

    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil
    ) async throws(UpstreamFailure) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "Likeness")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let collected = try await response.body.collect(upTo: maximumBodyBytes)
            return Response(
                status: Int(response.status.code), headers: response.headers, body: Data(buffer: collected))
        } catch is CancellationError {
            throw UpstreamFailure(.fail, APIError(.timeout, "cancelled"))
        } catch let error as NIOTooManyBytesError {
            throw .transient(engine, "the answer is larger than \(maximumBodyBytes) bytes (\(error))")
        } catch {
            if Task.isCancelled { throw UpstreamFailure(.fail, APIError(.timeout, "cancelled")) }
            throw .transient(engine, Self.describe(error))
        }
    }

    /// Downloads a result image and checks it: JPEG stays as it is, any other image format the
    /// decoder accepts is re-encoded as JPEG, anything else fails. A URL that answers 403, 404
    /// or 410 has expired (MiniMax's signed URLs do after 24 hours): a transient failure, so the
    /// router asks for the images again.
    public func downloadImage(_ url: String) async throws(UpstreamFailure) -> EngineImage {
        let response = try await send(.GET, url)
        guard response.status == 200 else {
            throw .transient(engine, "the result URL answered HTTP \(response.status); it may have expired")
        }
        return try await checkedImage(response.body)
    }

    /// Image bytes from an upstream, checked like any untrusted image; see `downloadImage`.
    public func checkedImage(_ bytes: Data) async throws(UpstreamFailure) -> EngineImage {
        do {
            return try await RenderThreads.run {
                let header = try ImageHeader(probing: bytes)
                try DecodeLimits().check(header)
                let size = PixelSize(width: header.width, height: header.height)
                guard header.format != .jpeg else { return EngineImage(jpeg: bytes, size: size) }
                let jpeg = try RasterImage(decoding: bytes).encoded(as: .jpeg(quality: 92))
                return EngineImage(jpeg: jpeg, size: size)
            }
        } catch {
            throw .transient(engine, "a result is not a usable image (\(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            "no answer in time"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            "the connection closed before a complete answer"
        case let error as HTTPClientError: "\(error)"
        default: "\(error)"
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

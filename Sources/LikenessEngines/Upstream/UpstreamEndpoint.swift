import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessUpstream

/// Where an upstream engine sends its requests, and how it treats the images it gets back.
public struct UpstreamEndpoint: Sendable {
    /// The engine's name in the routing configuration (reported as `X-Likeness-Engine`).
    public var name: String
    /// No trailing slash: `https://api.minimax.io`, `https://queue.fal.run`, `http://host:port/v1`.
    public var baseURL: String
    public var apiKey: String?
    /// One HTTP request to the provider, the body included.
    public var requestTimeout: Duration
    public var results: ResultDelivery

    public init(
        name: String, baseURL: String, apiKey: String?, requestTimeout: Duration = .seconds(120),
        results: ResultDelivery = .rehost
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.requestTimeout = requestTimeout
        self.results = results
    }

    func http(_ client: HTTPClient) -> UpstreamHTTP {
        UpstreamHTTP(engine: name, client: client, timeout: requestTimeout)
    }
}

/// What happens to an upstream's result URLs.
public enum ResultDelivery: String, Sendable, Hashable, CaseIterable {
    /// Downloaded into Likeness's store and served under its own signed URLs (the default:
    /// provider URLs expire, and some need the operator's credentials).
    case rehost
    /// The provider's URLs are handed to the caller as they are. Used only when the caller asked
    /// for URLs, no AIGC watermark and the provider's JPEG; anything else is re-hosted.
    case passthrough
}

extension ResultDelivery {
    /// Whether this request's images may stay at the provider.
    func passesThrough(_ job: EngineJob) -> Bool {
        self == .passthrough && job.request.responseFormat == .url && !job.request.aigcWatermark
            && !job.request.output.changesEngineOutput
    }
}

extension UpstreamHTTP {
    /// The result images: passed through as URLs, or downloaded and checked, all at once.
    func images(at urls: [String], for job: EngineJob, delivery: ResultDelivery) async throws -> [EngineImage] {
        if delivery.passesThrough(job) {
            return urls.map { EngineImage(remoteURL: $0, size: job.request.size) }
        }
        return try await withThrowingTaskGroup(of: (Int, EngineImage).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask { (index, try await downloadImage(url)) }
            }
            var images = [EngineImage?](repeating: nil, count: urls.count)
            for try await (index, image) in group { images[index] = image }
            return images.compactMap { $0 }
        }
    }
}

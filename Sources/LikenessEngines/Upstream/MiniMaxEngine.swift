import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessUpstream
import NIOHTTP1

/// The real image-01 at MiniMax (global `https://api.minimax.io` or mainland
/// `https://api.minimaxi.com`), through its native API.
///
/// MiniMax fails with HTTP 200 and a non-zero `base_resp.status_code`, so `base_resp` is read
/// first whatever the HTTP status; each code is sorted by whose fault it is
/// (`UpstreamFailure.miniMax`). The `Trace-Id` of every answer goes into the job's log.
public struct MiniMaxEngine: ImageEngine {
    public static let globalBaseURL = "https://api.minimax.io"
    public static let mainlandBaseURL = "https://api.minimaxi.com"

    public var name: String { endpoint.name }
    let endpoint: UpstreamEndpoint
    let http: UpstreamHTTP

    public init(endpoint: UpstreamEndpoint, client: HTTPClient) {
        self.endpoint = endpoint
        self.http = endpoint.http(client)
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let body = MiniMaxUpstream.requestBody(job.request, referenceDataURL: job.referenceDataURL)
        var headers = [("Content-Type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        let response = try await http.send(.POST, endpoint.baseURL + MiniMaxUpstream.path, headers: headers, body: body)
        let trace = response.headers.first(name: "Trace-Id")
        progress(
            EngineProgress(
                message: "\(name) answered HTTP \(response.status)" + (trace.map { ", Trace-Id \($0)" } ?? ""),
                completedImages: 0))
        let traced = trace.map { " [Trace-Id \($0)]" } ?? ""

        let answer: MiniMaxUpstream.Answer
        do {
            answer = try MiniMaxUpstream.readAnswer(response.body)
        } catch {
            guard response.status == 200 else {
                throw UpstreamFailure.http(name, status: response.status, message: nil, retryAfter: response.retryAfter)
            }
            throw UpstreamFailure.transient(name, "\(error)\(traced)")
        }
        guard answer.statusCode == 0 else {
            throw UpstreamFailure.miniMax(
                name, code: answer.statusCode, message: answer.statusMessage + traced, retryAfter: response.retryAfter)
        }
        guard response.status == 200 else {
            throw UpstreamFailure.http(name, status: response.status, message: nil, retryAfter: response.retryAfter)
        }
        if answer.imageURLs.isEmpty {
            guard answer.failedCount > 0 else {
                throw UpstreamFailure.transient(name, "an answer with no images\(traced)")
            }
            throw UpstreamFailure.callerFault(.sensitiveOutput, "every image was withheld by content safety")
        }
        let images = try await http.images(
            at: Array(answer.imageURLs.prefix(job.request.count)), for: job, delivery: endpoint.results)
        return EngineOutput(images: images, blockedCount: answer.failedCount)
    }
}

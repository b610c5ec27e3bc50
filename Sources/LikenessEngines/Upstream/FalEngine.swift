import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessUpstream
import NIOHTTP1

/// image-01 at fal (`https://queue.fal.run`), through fal's queue: submit, poll the status
/// URL, fetch the result, all with `Authorization: Key`.
///
/// Once a request is submitted it is never submitted again because a poll failed: polls are
/// retried in place (up to `maximumPollFailures` in a row), so a flaky link cannot make fal
/// generate, and charge for, the same images twice. A cancelled job cancels its fal request.
public struct FalEngine: ImageEngine {
    public static let queueBaseURL = "https://queue.fal.run"

    public var name: String { endpoint.name }
    let endpoint: UpstreamEndpoint
    let http: UpstreamHTTP
    let pollInterval: Duration
    /// The whole request at fal, from submit to result.
    let deadline: Duration
    let maximumPollFailures = 5

    public init(
        endpoint: UpstreamEndpoint, client: HTTPClient, pollInterval: Duration = .milliseconds(500),
        deadline: Duration = .seconds(300)
    ) {
        self.endpoint = endpoint
        self.http = endpoint.http(client)
        self.pollInterval = pollInterval
        self.deadline = deadline
    }

    private var headers: [(String, String)] {
        var headers = [("Content-Type", "application/json")]
        if let key = endpoint.apiKey { headers.append(("Authorization", "Key \(key)")) }
        return headers
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let body: Data
        do {
            body = try FalUpstream.requestBody(job.request, referenceDataURL: job.referenceDataURL)
        } catch {
            throw UpstreamFailure(.nextEngine, error, account: .answered)  // this request, not the account
        }
        let app = FalUpstream.app(for: job.request)
        let submitted = try await submit(app: app, body: body)
        progress(EngineProgress(message: "\(name) queued it as \(submitted.requestID)", completedImages: 0))
        do {
            try await waitUntilCompleted(submitted, progress: progress)
            let result = try await http.send(.GET, submitted.responseURL, headers: headers)
            guard result.status == 200 else {
                throw UpstreamFailure.http(
                    name, status: result.status, message: FalUpstream.readErrorMessage(result.body),
                    retryAfter: result.retryAfter)
            }
            let urls: [String]
            do {
                urls = try FalUpstream.readImageURLs(result.body)
            } catch {
                throw UpstreamFailure.transient(name, "\(error)")
            }
            guard !urls.isEmpty else { throw UpstreamFailure.transient(name, "a result with no images") }
            let images = try await http.images(
                at: Array(urls.prefix(job.request.count)), for: job, delivery: endpoint.results)
            return EngineOutput(images: images, blockedCount: max(0, job.request.count - images.count))
        } catch {
            if Task.isCancelled { await cancel(submitted) }
            throw error
        }
    }

    private func submit(app: FalUpstream.App, body: Data) async throws -> FalUpstream.Submitted {
        let response = try await http.send(.POST, "\(endpoint.baseURL)/\(app.rawValue)", headers: headers, body: body)
        guard (200..<300).contains(response.status) else {
            throw UpstreamFailure.http(
                name, status: response.status, message: FalUpstream.readErrorMessage(response.body),
                retryAfter: response.retryAfter)
        }
        do {
            return try FalUpstream.readSubmitted(response.body)
        } catch {
            throw UpstreamFailure.transient(name, "\(error)")
        }
    }

    private func waitUntilCompleted(
        _ submitted: FalUpstream.Submitted, progress: @escaping @Sendable (EngineProgress) -> Void
    ) async throws {
        let started = ContinuousClock.now
        var failuresInARow = 0
        var lastPosition: Int? = nil
        while true {
            guard started.duration(to: .now) < deadline else {
                await cancel(submitted)
                throw UpstreamFailure.transient(name, "no result within \(deadline)")
            }
            let status: FalUpstream.Status
            do {
                let response = try await http.send(.GET, submitted.statusURL, headers: headers)
                guard (200..<300).contains(response.status) else {
                    throw UpstreamFailure.http(
                        name, status: response.status, message: FalUpstream.readErrorMessage(response.body),
                        retryAfter: response.retryAfter)
                }
                status = try FalUpstream.readStatus(response.body)
                failuresInARow = 0
            } catch let failure as UpstreamFailure where failure.disposition != .retry {
                throw failure
            } catch {
                try Task.checkCancellation()
                failuresInARow += 1
                guard failuresInARow < maximumPollFailures else {
                    throw UpstreamFailure.transient(name, "status polls failed \(failuresInARow) times: \(error)")
                }
                try await Task.sleep(for: pollInterval * failuresInARow)
                continue
            }
            switch status {
            case .completed:
                return
            case .queued(let position):
                if position != lastPosition, let position {
                    progress(EngineProgress(message: "\(name) queue position \(position)", completedImages: 0))
                    lastPosition = position
                }
            case .inProgress:
                break
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Best effort, and not itself cancellable: the job is already being cancelled.
    private func cancel(_ submitted: FalUpstream.Submitted) async {
        guard let url = submitted.cancelURL else { return }
        let http = http
        let headers = headers
        await Task.detached { _ = try? await http.send(.PUT, url, headers: headers) }.value
    }
}

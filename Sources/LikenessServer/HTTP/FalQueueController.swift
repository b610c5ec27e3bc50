import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// fal's queue API under `/fal/queue`, so that `fal-client` works with
/// `FAL_QUEUE_RUN_HOST=<host:port>/fal/queue`:
///
/// - `POST /fal/queue/{app}` submits (`?fal_webhook=<url>`, `X-Fal-Queue-Priority: normal|low`,
///   `X-Fal-Request-Timeout: <seconds to start>`);
/// - `GET …/requests/{id}/status` (`?logs=1`), `GET …/requests/{id}/status/stream` (server-sent
///   events until completion), `GET …/requests/{id}` (the result), `PUT …/requests/{id}/cancel`,
///   under `fal-ai/minimax` and under each full app id.
///
/// A request is visible only to the keys of the account that submitted it; any other key gets 404.
struct FalQueueController {
    let service: GenerationService
    let authenticator: Authenticator
    let support: RequestSupport
    let imageLinks: ImageLinks

    static let prefix = "/fal/queue"

    func addRoutes(to router: Router<some RequestContext>) {
        for app in FalApp.allCases {
            router.post(RouterPath(Self.prefix + "/" + app.rawValue)) { request, _ in
                await submit(request, app: app)
            }
        }
        for app in [FalQueue.requestsApp] + FalApp.allCases.map(\.rawValue) {
            let base = Self.prefix + "/" + app + "/requests/{id}"
            router.get(RouterPath(base + "/status")) { request, context in
                respond(request, context, app: app) { job throws(APIError) in try status(of: job, request: request) }
            }
            router.get(RouterPath(base + "/status/stream")) { request, context in
                respond(request, context, app: app) { job in statusStream(of: job, request: request) }
            }
            router.get(RouterPath(base)) { request, context in
                respond(request, context, app: app) { job in result(of: job, request: request) }
            }
            router.put(RouterPath(base + "/cancel")) { request, context in
                respond(request, context, app: app) { job throws(APIError) in try cancel(job) }
            }
        }
    }

    // MARK: Submit

    private func submit(_ request: Request, app: FalApp) async -> Response {
        let id = Identifier.make()
        do throws(APIError) {
            let caller = try authenticator.admit(request.headers[.authorization], schemes: ["key", "bearer"])
            let submission: Submission
            let canonical: GenerationRequest
            do throws(APIError) {
                submission = try Self.submission(of: request, app: app, caller: caller, origin: origin(of: request))
                canonical = try app.parse(json: try await support.readBody(request))
            } catch {
                service.recordRejected(id: id, caller: caller, dialect: "fal", error: error)
                throw error
            }
            // A replay (same Idempotency-Key) answers with the first request's id.
            let (job, _) = try service.submit(canonical, id: id, submission)
            let body = FalQueue.submitted(
                requestID: job.id, requestURL: requestURL(job.id, request: request),
                queuePosition: service.queuePosition(id: job.id) ?? 0)
            return response(.ok, body, job: job)
        } catch {
            return failure(error, id: id)
        }
    }

    /// The queue options a submit carries outside its body.
    static func submission(of request: Request, app: FalApp, caller: Caller, origin: String) throws(APIError)
        -> Submission
    {
        var submission = Submission(
            caller: caller, dialect: "fal", idempotencyKey: try GenerationEndpoint.idempotencyKey(request),
            app: app.rawValue, origin: origin)
        if let webhook = request.uri.queryParameters.get("fal_webhook") {
            guard let url = URL(string: webhook), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host(percentEncoded: false)?.isEmpty == false
            else {
                throw APIError.invalid("fal_webhook", "must be an http or https URL")
            }
            submission.webhookURL = webhook
        }
        switch request.headers[.falQueuePriority]?.lowercased() {
        case nil, "normal": submission.priority = .normal
        case "low": submission.priority = .low
        case let other?: throw APIError.invalid("X-Fal-Queue-Priority", "must be normal or low (got \(other))")
        }
        if let timeout = request.headers[.falRequestTimeout] {
            guard let seconds = Double(timeout), seconds > 0, seconds.isFinite else {
                throw APIError.invalid("X-Fal-Request-Timeout", "must be a positive number of seconds")
            }
            submission.startTimeout = .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        return submission
    }

    // MARK: Requests

    /// Authenticates, finds the caller's job under `app`, and renders `body`'s answer; fal-shaped
    /// errors otherwise.
    private func respond(
        _ request: Request, _ context: some RequestContext, app: String,
        _ body: (JobRecord) throws(APIError) -> Response
    ) -> Response {
        let id = context.parameters.get("id") ?? ""
        do throws(APIError) {
            let caller = try authenticator.authenticate(request.headers[.authorization], schemes: ["key", "bearer"])
            guard Identifier.isValid(id), let job = try service.job(id: id), job.dialect == "fal",
                job.accountID == caller.account.id, app == FalQueue.requestsApp || app == job.app
            else {
                return response(.notFound, FalQueue.cancelStatus("NOT_FOUND"), id: id)
            }
            return try body(job)
        } catch {
            return failure(error, id: id)
        }
    }

    private func status(of job: JobRecord, request: Request) throws(APIError) -> Response {
        let withLogs = Self.wantsLogs(request)
        let (status, body) = statusBody(of: job, request: request, withLogs: withLogs)
        // fal answers 202 until the request completes; fal-client takes either.
        return response(status.isCompleted ? .ok : .accepted, body, job: job)
    }

    private func statusBody(of job: JobRecord, request: Request, withLogs: Bool) -> (FalQueue.Status, Data) {
        let status = Self.status(of: job, position: { service.queuePosition(id: job.id) ?? 0 })
        let logs =
            withLogs
            ? service.logs(jobID: job.id).map { line in
                FalQueue.LogLine(message: line.message, level: line.level, source: line.source, timestamp: line.at)
            } : nil
        return (
            status,
            FalQueue.status(status, requestID: job.id, requestURL: requestURL(job.id, request: request), logs: logs)
        )
    }

    static func status(of job: JobRecord, position: () -> Int) -> FalQueue.Status {
        switch job.status {
        case .queued: return .inQueue(position: position())
        case .running: return .inProgress
        case .succeeded: return .completed(inferenceSeconds: job.engineSeconds, error: nil, errorType: nil)
        case .failed, .cancelled:
            let failure = job.failure.map(APIError.init)
            return .completed(
                inferenceSeconds: job.engineSeconds, error: failure?.message,
                errorType: failure.map(Self.errorType))
        }
    }

    /// A short machine-readable kind for a failed request's status.
    static func errorType(_ error: APIError) -> String {
        if error.reason == .cancelled { return "request_cancelled" }
        switch error.code {
        case .invalidParameters: return "validation_error"
        case .sensitivePrompt, .sensitiveOutput: return "content_policy_violation"
        case .timeout: return "request_timeout"
        case .rateLimited, .connectionLimit, .usageLimitExceeded: return "rate_limited"
        default: return "internal_error"
        }
    }

    /// Server-sent events: the status now, then again whenever it changes, until it completes.
    private func statusStream(of job: JobRecord, request: Request) -> Response {
        let withLogs = Self.wantsLogs(request)
        let body = ResponseBody { [service] writer in
            let changed = WorkSignal(maximumPending: 1)
            let notices = service.events.subscribe(to: job.id)
            let relay = Task {
                for await _ in notices { changed.signal() }
                changed.signal()
            }
            defer { relay.cancel() }
            var last = Data()
            while true {
                guard let current = try service.job(id: job.id) else { break }
                let (status, data) = statusBody(of: current, request: request, withLogs: withLogs)
                if data != last {
                    var event = ByteBuffer(string: "data: ")
                    event.writeBytes(data)
                    event.writeString("\n\n")
                    try await writer.write(event)
                    last = data
                }
                if status.isCompleted { break }
                // Notices cover this job's own changes; the timeout catches queue moves ahead of it.
                await changed.wait(atMost: .seconds(1))
            }
            try await writer.finish(nil)
        }
        var headers = standardHeaders(id: job.id)
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: body)
    }

    private func result(of job: JobRecord, request: Request) -> Response {
        guard job.status.isFinished else {
            return response(.badRequest, FalQueue.detail("the request is still in progress"), id: job.id)
        }
        switch service.result(of: job) {
        case .success(let result):
            guard case .stored(let stored) = result.images else { return failure(APIError(.internalError), id: job.id) }
            let images = stored.map { image in
                FalImage(
                    url: imageLinks.url(for: image, request: request), fileName: "\(image.id).jpg",
                    fileSize: image.byteCount, width: image.width, height: image.height)
            }
            return response(.ok, FalResponse.jsonData(images: images), job: job)
        case .failure(let error):
            return failure(error, id: job.id)
        }
    }

    private func cancel(_ job: JobRecord) throws(APIError) -> Response {
        switch try service.cancel(job) {
        case .cancelled, .requested:
            return response(.accepted, FalQueue.cancelStatus("CANCELLATION_REQUESTED"), id: job.id)
        case .alreadyFinished:
            return response(.badRequest, FalQueue.cancelStatus("ALREADY_COMPLETED"), id: job.id)
        case .notFound:
            return response(.notFound, FalQueue.cancelStatus("NOT_FOUND"), id: job.id)
        }
    }

    // MARK: Rendering

    /// `logs=1` or `logs=true` asks for the log lines.
    static func wantsLogs(_ request: Request) -> Bool {
        ["1", "true"].contains(request.uri.queryParameters.get("logs")?.lowercased() ?? "")
    }

    private func origin(of request: Request) -> String { imageLinks.origin(of: request) }

    /// Where a request is polled, fetched and cancelled: the short app id, as fal's clients expect.
    private func requestURL(_ id: String, request: Request) -> String {
        origin(of: request) + Self.prefix + "/" + FalQueue.requestsApp + "/requests/" + id
    }

    private func standardHeaders(id: String) -> HTTPFields {
        [.contentType: "application/json", .traceID: id, .likenessEngine: service.engineName]
    }

    private func response(_ status: HTTPResponse.Status, _ body: Data, id: String) -> Response {
        Response(status: status, headers: standardHeaders(id: id), body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    /// An answer about a job, with what it holds from the balance while it runs and what it
    /// was charged once it has ended.
    private func response(_ status: HTTPResponse.Status, _ body: Data, job: JobRecord) -> Response {
        var headers = standardHeaders(id: job.id)
        headers[.likenessCost] = (job.cost ?? .zero).usd
        if !job.status.isFinished { headers[.likenessReserved] = job.reserved.usd }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    private func failure(_ error: APIError, id: String) -> Response {
        let rendered = FalController.rendered(error)
        var headers = standardHeaders(id: id)
        headers[.likenessCost] = MicroDollars.zero.usd
        headers.append(contentsOf: rendered.headers)
        return Response(
            status: rendered.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: rendered.body)))
    }
}

extension HTTPField.Name {
    static let falQueuePriority = HTTPField.Name("X-Fal-Queue-Priority")!
    static let falRequestTimeout = HTTPField.Name("X-Fal-Request-Timeout")!
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
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
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let dialect = FalDialect()

    static let prefix = "/fal/queue"

    var service: GenerationService { endpoint.service }
    var support: RequestSupport { endpoint.support }

    /// The submissions, one per app, which count against the caller's requests a minute.
    var submissions: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        for app in FalApp.allCases {
            routes.post(RouterPath(Self.prefix + "/" + app.rawValue)) { await submit($0, context: $1, app: app) }
        }
        return routes
    }

    /// Following a request, which does not: under `fal-ai/minimax` and under each full app id.
    var requests: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        for app in [FalQueue.requestsApp] + FalApp.allCases.map(\.rawValue) {
            let base = Self.prefix + "/" + app + "/requests/{id}"
            routes.get(RouterPath(base + "/status")) { try await status($0, context: $1, app: app) }
            routes.get(RouterPath(base + "/status/stream")) { try await statusStream($0, context: $1, app: app) }
            routes.get(RouterPath(base)) { try await result($0, context: $1, app: app) }
            routes.put(RouterPath(base + "/cancel")) { try await cancel($0, context: $1, app: app) }
        }
        return routes
    }

    func status(_ request: Request, context: LikenessRequestContext, app: String) async throws -> Response {
        try await respond(context, app: app) { job throws(APIError) in try await status(of: job, request: request) }
    }

    func statusStream(_ request: Request, context: LikenessRequestContext, app: String) async throws -> Response {
        try await respond(context, app: app) { job in statusStream(of: job, request: request) }
    }

    func result(_ request: Request, context: LikenessRequestContext, app: String) async throws -> Response {
        try await respond(context, app: app) { job in await result(of: job, request: request) }
    }

    func cancel(_ request: Request, context: LikenessRequestContext, app: String) async throws -> Response {
        try await respond(context, app: app) { job throws(APIError) in try await cancel(job) }
    }

    // MARK: Submit

    private func submit(_ request: Request, context: LikenessRequestContext, app: FalApp) async -> Response {
        await endpoint.enqueue(
            request, context: context, dialect: dialect,
            parse: { () async throws(APIError) in
                let options = try Self.options(of: request, app: app, origin: imageLinks.origin(of: request))
                return Intake(request: try app.parse(json: try await support.readBody(request)), options: options)
            },
            success: { job, position in
                Rendered(
                    status: .ok,
                    body: FalQueue.submitted(
                        requestID: job.id, requestURL: requestURL(job.id, request: request), queuePosition: position))
            })
    }

    /// The queue options a submit carries outside its body.
    static func options(of request: Request, app: FalApp, origin: String) throws(APIError) -> QueueOptions {
        var options = QueueOptions(app: app.rawValue, origin: origin)
        if let webhook = request.uri.queryParameters.get("fal_webhook") {
            guard let url = URL(string: webhook), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host(percentEncoded: false)?.isEmpty == false
            else {
                throw APIError.invalid("fal_webhook", "must be an http or https URL")
            }
            options.webhookURL = webhook
        }
        switch request.headers[.falQueuePriority]?.lowercased() {
        case nil, "normal": options.priority = .normal
        case "low": options.priority = .low
        case let other?: throw APIError.invalid("X-Fal-Queue-Priority", "must be normal or low (got \(other))")
        }
        if let timeout = request.headers[.falRequestTimeout] {
            guard let seconds = Double(timeout), seconds > 0, seconds.isFinite else {
                throw APIError.invalid("X-Fal-Request-Timeout", "must be a positive number of seconds")
            }
            options.startTimeout = .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        return options
    }

    // MARK: Requests

    /// Finds the caller's job under `app` and renders `body`'s answer (a refusal is thrown, for
    /// the group's `DialectErrorMiddleware` to answer in fal's shape).
    private func respond(
        _ context: LikenessRequestContext, app: String, _ body: (JobSnapshot) async throws(APIError) -> Response
    ) async throws(APIError) -> Response {
        let id = try context.parameter("id")
        guard
            let job = try await service.visibleJob(
                id: id, to: try context.requireCaller(), dialect: dialect.id,
                app: app == FalQueue.requestsApp ? nil : app)
        else {
            return response(.notFound, FalQueue.cancelStatus("NOT_FOUND"), id: id)
        }
        return try await body(job)
    }

    private func status(of job: JobSnapshot, request: Request) async throws(APIError) -> Response {
        let (status, body) = try await statusBody(of: job, request: request, withLogs: request.asksForLogs)
        // fal answers 202 until the request completes; fal-client takes either.
        return response(status.isCompleted ? .ok : .accepted, body, job: job)
    }

    private func statusBody(of job: JobSnapshot, request: Request, withLogs: Bool) async throws(APIError) -> (
        FalQueue.Status, Data
    ) {
        let position = job.state == .queued ? try await service.queuePosition(id: job.id) ?? 0 : 0
        let status = FalDialect.status(of: job, position: position)
        let logs =
            withLogs
            ? try await service.logs(jobID: job.id).map { line in
                FalQueue.LogLine(
                    message: line.message, level: line.level.rawValue, source: line.source.rawValue, timestamp: line.at)
            } : nil
        return (
            status,
            FalQueue.status(status, requestID: job.id, requestURL: requestURL(job.id, request: request), logs: logs)
        )
    }

    /// Server-sent events: the status now, then again whenever it changes, until it completes.
    private func statusStream(of job: JobSnapshot, request: Request) -> Response {
        let withLogs = request.asksForLogs
        let body = ResponseBody { [service] writer in
            let changed = WorkSignal(maximumPending: 1)
            let notices = service.notices(of: job.id)
            let relay = Task {
                for await _ in notices { changed.signal() }
                changed.signal()
            }
            defer { relay.cancel() }
            var last = Data()
            while true {
                guard let current = try await service.snapshot(id: job.id) else { break }
                let (status, data) = try await statusBody(of: current, request: request, withLogs: withLogs)
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
        var response = support.response(Rendered(status: .ok, body: Data()), id: job.id)
        response.headers[.contentType] = "text/event-stream"
        response.headers[.cacheControl] = "no-cache"
        response.body = body
        return response
    }

    private func result(of job: JobSnapshot, request: Request) async -> Response {
        guard job.isFinished else {
            return response(.badRequest, FalQueue.detail("the request is still in progress"), id: job.id)
        }
        do throws(APIError) {
            let output = try FalDialect.output(
                try await service.result(of: job).get(), links: imageLinks, origin: imageLinks.origin(of: request))
            return response(.ok, output, job: job)
        } catch {
            var failure = dialect.failure(error, id: job.id)
            failure.headers.append(contentsOf: support.billingHeaders(of: job))
            return support.response(failure, id: job.id)
        }
    }

    private func cancel(_ job: JobSnapshot) async throws(APIError) -> Response {
        switch try await service.cancel(job) {
        case .requested:
            return response(.accepted, FalQueue.cancelStatus("CANCELLATION_REQUESTED"), id: job.id)
        case .alreadyFinished:
            return response(.badRequest, FalQueue.cancelStatus("ALREADY_COMPLETED"), id: job.id)
        case .notFound:
            return response(.notFound, FalQueue.cancelStatus("NOT_FOUND"), id: job.id)
        }
    }

    // MARK: Rendering

    /// Where a request is polled, fetched and cancelled: the short app id, as fal's clients expect.
    private func requestURL(_ id: String, request: Request) -> String {
        imageLinks.origin(of: request) + Self.prefix + "/" + FalQueue.requestsApp + "/requests/" + id
    }

    private func response(_ status: HTTPResponse.Status, _ body: Data, id: String) -> Response {
        support.response(Rendered(status: status, body: body), id: id)
    }

    /// An answer about a job, with what it holds from the balance while it runs and what it
    /// was charged once it has ended.
    private func response(_ status: HTTPResponse.Status, _ body: Data, job: JobSnapshot) -> Response {
        support.response(Rendered(status: status, body: body, headers: support.billingHeaders(of: job)), id: job.id)
    }
}

extension HTTPField.Name {
    static let falQueuePriority = HTTPField.Name("X-Fal-Queue-Priority")!
    static let falRequestTimeout = HTTPField.Name("X-Fal-Request-Timeout")!
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService

/// The MiniMax-native dialect's answers. Errors answer as MiniMax does: HTTP 200 with a non-zero
/// `base_resp.status_code`, because MiniMax's clients read `base_resp` first and some treat any
/// non-200 as a transport failure.
struct MiniMaxDialect: DialectRendering {
    let id = Dialect.minimax

    func failure(_ error: APIError, id: String) -> Rendered {
        Rendered(status: .ok, body: MiniMaxResponse.failure(id: id, error).jsonData(), headers: Self.headers(of: error))
    }

    /// `Retry-After`, and Likeness's reason and field headers.
    static func headers(of error: APIError) -> HTTPFields {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        if let reason = error.reason { headers[.likenessErrorReason] = reason.rawValue }
        if let field = error.field { headers[.likenessErrorField] = field }
        return headers
    }
}

/// `POST /v1/image_generation`, the MiniMax-native dialect; with `"async": true` (or `Prefer:
/// respond-async`) it answers at once with a `task_id`, which `GET /v1/query/image_generation`
/// reports on until it answers as the synchronous call would have.
struct MiniMaxController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let dialect = MiniMaxDialect()

    var service: GenerationService { endpoint.service }

    /// The submission, which counts against the caller's requests a minute.
    var submissions: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/v1/image_generation", use: generate)
        return routes
    }

    /// Following a task (its query and cancel), which does not, as with fal's queue: polling
    /// never uses up the limit.
    var tasks: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/query/image_generation", use: query)
        routes.delete("/v1/query/image_generation", use: cancel)
        return routes
    }

    @Sendable func generate(_ request: Request, context: LikenessRequestContext) async -> Response {
        await endpoint.respond(
            request, context: context, dialect: dialect,
            parse: { () async throws(APIError) in
                let (generation, async) = try MiniMaxRequest.parseSubmission(
                    try await endpoint.support.readBody(request))
                return Intake(
                    request: generation,
                    options: GenerationEndpoint.options(async, origin: imageLinks.origin(of: request)),
                    respondAsync: async.requested || GenerationEndpoint.prefersAsync(request))
            },
            success: { result, id in
                Rendered(status: .ok, body: answer(result, id: id, request: request).jsonData())
            },
            accepted: { job in
                Rendered(status: .accepted, body: MiniMaxResponse.accepted(taskID: job.id).jsonData())
            })
    }

    @Sendable func query(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let job = try await task(request, context)
        guard job.isFinished else {
            var body = MiniMaxResponse.accepted(taskID: job.id).task(job.id, status: MiniMaxTasks.status(of: job))
            if request.asksForLogs {
                body.logs = try await service.logs(jobID: job.id).map { "\($0.source.rawValue): \($0.message)" }
            }
            var rendered = Rendered(status: .ok, body: body.jsonData())
            // Likeness's addition, in a header so the body stays MiniMax's: requests ahead.
            if let position = try await service.queuePosition(id: job.id) {
                rendered.headers[.likenessQueuePosition] = String(position)
            }
            return endpoint.support.response(rendered, context: context)
        }
        let outcome = await service.taskResult(of: job).map { answer($0, id: job.id, request: request) }
        var rendered = Rendered(status: .ok, body: MiniMaxTasks.body(taskID: job.id, outcome))
        rendered.headers = endpoint.support.billingHeaders(of: job)
        if case .failure(let error) = outcome {
            rendered.headers.append(contentsOf: MiniMaxDialect.headers(of: error))
        }
        return endpoint.support.response(rendered, id: job.id)
    }

    /// Likeness's addition (MiniMax has no cancel): a queued task never runs; a running one is
    /// asked to stop. Either way it ends as a `Fail` whose message says it was cancelled.
    @Sendable func cancel(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let job = try await task(request, context)
        switch try await service.cancel(job) {
        case .requested:
            let body = MiniMaxResponse.accepted(taskID: job.id).task(job.id, status: "Cancelling")
            return endpoint.support.response(Rendered(status: .ok, body: body.jsonData()), context: context)
        case .alreadyFinished:
            throw APIError(
                .invalidParameters, "invalid params, task_id \(job.id) has already finished", field: "task_id")
        case .notFound:
            throw Self.noSuchTask(job.id)
        }
    }

    /// The caller's native task named by `task_id`.
    private func task(_ request: Request, _ context: LikenessRequestContext) async throws(APIError) -> JobSnapshot {
        guard let taskID = request.uri.queryParameters.get("task_id") else { throw APIError.missing("task_id") }
        guard let job = try await service.visibleJob(id: taskID, to: try context.requireCaller(), dialect: dialect.id)
        else { throw Self.noSuchTask(taskID) }
        return job
    }

    static func noSuchTask(_ taskID: String) -> APIError {
        APIError(
            .invalidParameters, "invalid params, task_id \(taskID) is not a task of this key's account",
            field: "task_id", reason: .notFound)
    }

    /// The synchronous answer to a finished generation.
    func answer(_ result: GenerationResult, id: String, request: Request) -> MiniMaxResponse {
        switch result.images {
        case .stored(let images):
            .success(
                id: id, imageURLs: images.map { imageLinks.url(for: $0, request: request) },
                failedCount: result.blockedCount, identity: result.identity)
        case .inline(let images):
            .success(
                id: id, imageBase64: images.map { $0.base64EncodedString() }, failedCount: result.blockedCount,
                identity: result.identity)
        }
    }
}

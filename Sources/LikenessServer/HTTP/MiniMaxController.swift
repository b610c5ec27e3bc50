import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore

/// The MiniMax-native dialect's answers. Errors answer as MiniMax does: HTTP 200 with a non-zero
/// `base_resp.status_code`, because MiniMax's clients read `base_resp` first and some treat any
/// non-200 as a transport failure.
struct MiniMaxDialect: DialectRendering {
    let name = "minimax"

    func failure(_ error: APIError, id: String) -> Rendered {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Rendered(status: .ok, body: MiniMaxResponse.failure(id: id, error).jsonData(), headers: headers)
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

    func addRoutes(to router: some RouterMethods<LikenessRequestContext>) {
        router.post("/v1/image_generation") { request, context in
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
        router.get("/v1/query/image_generation") { request, context in
            do throws(APIError) {
                guard let taskID = request.uri.queryParameters.get("task_id") else { throw APIError.missing("task_id") }
                guard
                    let job = try await service.visibleJob(
                        id: taskID, to: try context.requireCaller(), dialect: dialect.name)
                else {
                    throw APIError(
                        .invalidParameters, "invalid params, task_id \(taskID) is not a task of this key's account",
                        field: "task_id", reason: .notFound)
                }
                guard job.isFinished else {
                    let body = MiniMaxResponse.accepted(taskID: job.id).task(
                        job.id, status: MiniMaxTasks.status(of: job))
                    return endpoint.support.response(Rendered(status: .ok, body: body.jsonData()), context: context)
                }
                let outcome = await service.taskResult(of: job).map { answer($0, id: job.id, request: request) }
                var rendered = Rendered(status: .ok, body: MiniMaxTasks.body(taskID: job.id, outcome))
                rendered.headers = endpoint.support.billingHeaders(of: job)
                return endpoint.support.response(rendered, id: job.id)
            } catch {
                return endpoint.support.response(dialect.failure(error, id: context.requestID), context: context)
            }
        }
    }

    /// The synchronous answer to a finished generation.
    func answer(_ result: GenerationResult, id: String, request: Request) -> MiniMaxResponse {
        switch result.images {
        case .stored(let images):
            .success(
                id: id, imageURLs: images.map { imageLinks.url(for: $0, request: request) },
                failedCount: result.blockedCount)
        case .inline(let images):
            .success(id: id, imageBase64: images.map { $0.base64EncodedString() }, failedCount: result.blockedCount)
        }
    }
}

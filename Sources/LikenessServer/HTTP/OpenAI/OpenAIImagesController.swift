import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService

/// The OpenAI-compatible dialect's answers: `OpenAIError`'s shape and HTTP statuses. The account
/// and admin routes answer in it too.
struct OpenAIDialect: DialectRendering {
    let id = Dialect.openai

    func failure(_ error: APIError, id: String) -> Rendered {
        Self.rendered(OpenAIError(error))
    }

    static func rendered(_ error: OpenAIError) -> Rendered {
        var headers: HTTPFields = [:]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Rendered(status: HTTPResponse.Status(code: error.status), body: error.jsonData(), headers: headers)
    }
}

/// `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart): the
/// OpenAI-compatible dialect, as the official SDKs and gateways such as amux call it.
struct OpenAIImagesController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let aliases: ModelAliases
    let dialect = OpenAIDialect()

    var support: RequestSupport { endpoint.support }

    var service: GenerationService { endpoint.service }

    /// The submissions, which count against the caller's requests a minute.
    var submissions: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/v1/images/generations", use: generate)
        routes.post("/v1/images/edits", use: edit)
        return routes
    }

    /// Reading a task, which does not count against the limit.
    var tasks: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/images/generations/{id}", use: task)
        return routes
    }

    @Sendable func generate(_ request: Request, context: LikenessRequestContext) async -> Response {
        await respond(to: request, context: context, kind: .generation) { () async throws(APIError) in
            try OpenAIImageRequest.parseSubmission(json: try await support.readBody(request), aliases: aliases)
        }
    }

    @Sendable func edit(_ request: Request, context: LikenessRequestContext) async -> Response {
        await respond(to: request, context: context, kind: .edit) { () async throws(APIError) in
            // Today's clients may send the edit as JSON, the reference as `images[].image_url`.
            if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
                return try OpenAIImageRequest.parse(editJSON: try await support.readBody(request), aliases: aliases)
            }
            return try OpenAIImageRequest.parse(
                parts: try await support.readParts(request, route: "/v1/images/edits", field: "image"), aliases: aliases
            )
        }
    }

    /// An asynchronous generation: its status, then the synchronous answer's `data` or `error`.
    @Sendable func task(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let id = try context.parameter("id")
        guard let job = try await service.visibleJob(id: id, to: try context.requireCaller(), dialect: dialect.id)
        else {
            throw APIError(.invalidParameters, "no image generation task \(id)", reason: .notFound)
        }
        guard job.isFinished else {
            let body = OpenAIImageTask.jsonData(id: job.id, status: OpenAITasks.status(of: job), created: job.createdAt)
            return support.response(Rendered(status: .ok, body: body), context: context)
        }
        let outcome = await service.taskResult(of: job).map { ($0.format, images($0, request), $0.identity) }
        var rendered = Rendered(status: .ok, body: OpenAITasks.body(taskID: job.id, created: job.createdAt, outcome))
        rendered.headers = support.billingHeaders(of: job)
        return support.response(rendered, id: job.id)
    }

    /// Submits the parsed request and answers as it asked: the images as JSON, server-sent
    /// events (`stream`), or at once with a task (`async`, for generations).
    private func respond(
        to request: Request, context: LikenessRequestContext, kind: OpenAIImageStream.Kind,
        parse: () async throws(APIError) -> OpenAIImageRequest.Submission
    ) async -> Response {
        var stream: (size: PixelSize, created: Date)? = nil
        return await endpoint.respond(
            request, context: context, dialect: dialect,
            parse: { () async throws(APIError) in
                let submission = try await parse()
                if submission.stream { stream = (submission.request.size, Date()) }
                return Intake(
                    request: submission.request,
                    options: GenerationEndpoint.options(submission.async, origin: imageLinks.origin(of: request)),
                    respondAsync: kind == .generation
                        && (submission.async.requested || GenerationEndpoint.prefersAsync(request)))
            },
            success: { result, _ in
                let images = images(result, request)
                guard let stream, case .base64(let encoded) = images else {
                    return Rendered(
                        status: .ok,
                        body: OpenAIImagesResponse.jsonData(
                            created: Date(), images: images, format: result.format, identity: result.identity))
                }
                return Rendered(
                    status: .ok,
                    body: OpenAIImageStream.completedEvents(
                        kind, base64: encoded, format: result.format, created: stream.created, size: stream.size,
                        identity: result.identity),
                    headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"])
            },
            accepted: { job in
                Rendered(
                    status: .accepted,
                    body: OpenAIImageTask.jsonData(id: job.id, status: .queued, created: job.createdAt))
            })
    }

    func images(_ result: GenerationResult, _ request: Request) -> OpenAIImagesResponse.Images {
        switch result.images {
        case .stored(let stored): .urls(stored.map { imageLinks.url(for: $0, request: request) })
        case .inline(let jpegs): .base64(jpegs.map { $0.base64EncodedString() })
        }
    }
}

import Foundation
import Hummingbird
import LikenessCore
import LikenessService
import LikenessStore

/// Requests as their history shows them, whichever dialect they came in:
///
///     GET /v1/generations         the caller's account's, newest first; ?limit&after&from&to
///                                 &status&model&dialect&character_id
///     GET /v1/generations/{id}    one of them, with its log
///     GET /v1/admin/jobs          every account's, for an admin key; also ?account&engine&error_code
///     GET /v1/admin/jobs/{id}     any one, with its log
///
/// Errors are in OpenAI's shape; another account's request is not found. Images carry signed
/// URLs and thumbnails, absent once expired (`expired: true`).
struct GenerationsController: Sendable {
    let generation: GenerationService
    let support: RequestSupport
    let links: ImageLinks

    static let pageLimit = 1...100

    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/generations", use: list)
        routes.get("/v1/generations/{id}", use: show)
        return routes
    }

    /// Under `/v1/admin`, behind the admin check.
    var adminRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("jobs", use: listEveryAccount)
        routes.get("jobs/{id}", use: showAny)
        return routes
    }

    @Sendable func list(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = try Self.query(request, operator: false)
        let found = try await generation.history(of: caller, matching: query)
        return try page(found, limit: query.limit - 1, request: request)
    }

    @Sendable func listEveryAccount(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let query = try Self.query(request, operator: true)
        let found = try await generation.jobs(matching: query)
        return try page(found, limit: query.limit - 1, request: request)
    }

    @Sendable func show(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try await detail(request, context: context, asOperator: false)
    }

    @Sendable func showAny(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try await detail(request, context: context, asOperator: true)
    }

    private func detail(_ request: Request, context: LikenessRequestContext, asOperator: Bool) async throws
        -> Response
    {
        let id = try context.parameter("id")
        guard
            let (entry, logs) = try await generation.generation(
                id: id, visibleTo: try context.requireCaller(), asOperator: asOperator)
        else { throw APIError(.invalidParameters, "no such generation: \(id)", reason: .notFound) }
        var detail = body(of: entry, origin: links.origin(of: request))
        detail.logs = logs.map {
            GenerationLogBody(
                at: ($0.at.timeIntervalSince1970 * 1000).rounded() / 1000, level: $0.level.rawValue,
                source: $0.source.rawValue, message: $0.message)
        }
        return try support.json(detail)
    }

    /// One more than a page was read, to know whether there is another.
    private func page(_ found: [GenerationEntry], limit: Int, request: Request) throws -> Response {
        let origin = links.origin(of: request)
        return try support.json(
            GenerationListBody(
                data: found.prefix(limit).map { body(of: $0, origin: origin) }, hasMore: found.count > limit))
    }

    /// The filters a page takes; `operator` adds the ones across accounts.
    static func query(_ request: Request, operator: Bool) throws(APIError) -> JobQuery {
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? {
            parameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        var query = JobQuery(limit: try pageLimit(text("limit")) + 1)
        if let after = text("after") {
            guard Identifier.isValid(after) else { throw APIError.invalid("after", "must be a generation's id") }
            query.after = after
        }
        if let status = text("status") {
            guard let known = JobStatus(rawValue: status) else {
                throw APIError.invalid("status", "must be queued, running, succeeded, failed or cancelled")
            }
            query.status = known
        }
        if let model = text("model") {
            guard ImageModel(rawValue: model) != nil else {
                throw APIError.invalid("model", "must be one of \(ImageModel.allCases.map(\.rawValue))")
            }
            query.model = model
        }
        if let dialect = text("dialect") {
            guard let known = Dialect(rawValue: dialect) else {
                throw APIError.invalid("dialect", "must be minimax, openai, fal or mcp")
            }
            query.dialect = known
        }
        if let character = text("character_id") {
            guard CharacterID(character) != nil else {
                throw APIError.invalid("character_id", "must be a character id (chr_ and 32 hex digits)")
            }
            query.characterID = character
        }
        if text("from") != nil || text("to") != nil {
            let period = try ReportPeriod(
                from: text("from"), to: text("to"), defaultFrom: .distantPast, defaultTo: .distantFuture)
            query.createdFrom = period.from
            query.createdBefore = period.to
        }
        guard `operator` else { return query }
        if let account = text("account") {
            guard account.hasPrefix("acct_"), account.count <= 64,
                account.utf8.allSatisfy({ $0 == 95 || (48...57).contains($0) || (97...122).contains($0) })
            else { throw APIError.invalid("account", "must be an account id (acct_…)") }
            query.accountID = account
        }
        if let engine = text("engine") {
            guard engine.count <= 200, engine.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { throw APIError.invalid("engine", "must be an engine's name") }
            query.engine = engine
        }
        if let code = text("error_code") {
            guard let number = Int(code), number > 0 else {
                throw APIError.invalid("error_code", "must be a catalogue code, like 1026")
            }
            query.errorCode = number
        }
        return query
    }

    private static func pageLimit(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 20 }
        guard let limit = Int(text), pageLimit.contains(limit) else {
            throw APIError.invalid("limit", "must be an integer in \(pageLimit.lowerBound)...\(pageLimit.upperBound)")
        }
        return limit
    }

    func body(of entry: GenerationEntry, origin: String) -> GenerationBody {
        let job = entry.job
        func milliseconds(_ from: Date?, _ to: Date?) -> Int? {
            guard let from, let to else { return nil }
            return max(0, Int((to.timeIntervalSince(from) * 1000).rounded()))
        }
        func seconds(_ date: Date?) -> Int? { date.map { Int($0.timeIntervalSince1970) } }
        let images = entry.images.enumerated().map { index, recorded in
            GenerationImageBody(
                index: index, url: recorded.image.map { links.url(for: $0, origin: origin) },
                thumbnailUrl: recorded.image.flatMap { links.thumbnailURL(for: $0, origin: origin) },
                width: recorded.image?.width, height: recorded.image?.height,
                seed: recorded.seed.map { Int64(bitPattern: $0) }, identityScore: recorded.identityScore,
                expired: recorded.image == nil)
        }
        return GenerationBody(
            id: job.id, accountId: job.accountID, createdAt: Int(job.createdAt.timeIntervalSince1970),
            status: job.status.rawValue, dialect: job.dialect.rawValue, app: job.app, model: job.model,
            engine: job.engine, parameters: entry.request.map(Self.parameters), images: images,
            withheld: job.failedCount, costUsd: job.cost ?? job.reserved, byok: job.byok,
            error: job.failure.map { GenerationErrorBody(code: $0.code, message: $0.message, field: $0.field) },
            timings: GenerationTimingsBody(
                startedAt: seconds(job.startedAt), finishedAt: seconds(job.finishedAt),
                queueMs: milliseconds(job.createdAt, job.startedAt),
                engineMs: job.engineSeconds.map { Int(($0 * 1000).rounded()) },
                totalMs: milliseconds(job.createdAt, job.finishedAt)),
            identityThreshold: job.identity?.threshold, identityNote: job.identity?.note)
    }

    static func parameters(_ request: RecordedRequest) -> GenerationParametersBody {
        let reference = request.referenceKind.map { kind in
            switch kind {
            case .character: GenerationReferenceBody(type: kind.rawValue, characterId: request.reference)
            case .upload: GenerationReferenceBody(type: kind.rawValue, uploadId: request.reference)
            case .url: GenerationReferenceBody(type: kind.rawValue, url: request.reference)
            case .inline: GenerationReferenceBody(type: kind.rawValue)
            }
        }
        return GenerationParametersBody(
            model: request.model, prompt: request.prompt, aspectRatio: request.aspectRatio, width: request.width,
            height: request.height, n: request.count, seed: request.seed, responseFormat: request.responseFormat,
            promptOptimizer: request.promptOptimizer, aigcWatermark: request.aigcWatermark,
            style: zip(request.styleType, request.styleWeight).map {
                GenerationStyleBody(styleType: $0, styleWeight: $1)
            },
            subjectReference: reference, identityThreshold: request.identityThreshold,
            outputFormat: request.outputFormat)
    }
}

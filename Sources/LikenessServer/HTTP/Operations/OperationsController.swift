import Foundation
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessService
import NIOCore

/// What operators and tools read: `/health` (liveness), `/ready` (readiness), `/metrics`,
/// `/openapi.json` and fal's per-app document, `/llms.txt`.
struct OperationsController: Sendable {
    let service: GenerationService
    let metrics: ServerMetrics
    /// The configured upstream routes; nil when the preview engine (or a test's engine) serves.
    let upstreams: EngineRouter?
    let engineName: String
    let contract: Data
    let support: RequestSupport

    init(
        service: GenerationService, metrics: ServerMetrics, upstreams: EngineRouter?, engineName: String,
        aliases: ModelAliases, support: RequestSupport
    ) {
        self.service = service
        self.metrics = metrics
        self.upstreams = upstreams
        self.engineName = engineName
        contract = OpenAPIDocument.json(aliases: aliases)
        self.support = support
    }

    /// Open to anyone: the probes, the contract and the guide for agents.
    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/health", use: health)
        routes.get("/ready", use: ready)
        routes.get("/openapi.json", use: openAPI)
        // fal publishes each app's document at this path.
        routes.get("/api/openapi/queue/openapi.json", use: falOpenAPI)
        routes.get("/llms.txt", use: llmsText)
        return routes
    }

    /// `/metrics`: behind an admin key by default, open when `LIKENESS_METRICS_ACCESS=open`.
    var metricsRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/metrics") { _, _ in await scrape() }
        return routes
    }

    /// `/v1/admin/metrics`, for the console's live view: always behind an admin key.
    var adminRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("metrics", use: metricsReading)
        return routes
    }

    @Sendable func metricsReading(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        await refreshGauges()
        return try support.json(metrics.reading(at: Date()))
    }

    @Sendable func health(_ request: Request, context: LikenessRequestContext) async throws -> HealthReport {
        let replicas = service.fleet.shared ? await service.liveReplicas() : nil
        return HealthReport(
            engine: engineName, upstreams: upstreams?.status(),
            replica: service.fleet.shared ? service.fleet.replica.id : nil, replicas: replicas)
    }

    /// For a load balancer: 503 while starting, stopping, or without a store, with the reason.
    @Sendable func ready(_ request: Request, context: LikenessRequestContext) async throws
        -> EditedResponse<ReadyReport>
    {
        let readiness = await service.readiness()
        return EditedResponse(status: readiness.isReady ? .ok : .serviceUnavailable, response: ReadyReport(readiness))
    }

    @Sendable func openAPI(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        support.response(Rendered(status: .ok, body: contract), context: context)
    }

    @Sendable func falOpenAPI(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        guard let app = request.uri.queryParameters.get("endpoint_id").flatMap(FalApp.init(rawValue:)) else {
            let known = FalApp.allCases.map(\.rawValue).joined(separator: ", ")
            return support.response(
                Rendered(status: .notFound, body: FalQueue.detail("endpoint_id must be one of: \(known)")),
                context: context)
        }
        return support.response(Rendered(status: .ok, body: OpenAPIDocument.falJSON(app: app)), context: context)
    }

    @Sendable func llmsText(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: LLMsText.text)))
    }

    /// The exposition, with the gauges read now, so they are as fresh as the scrape.
    @Sendable func scrape() async -> Response {
        await refreshGauges()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
}

extension OperationsController {
    /// The gauges read at scrape time: the queue's depth and each upstream's state.
    func refreshGauges() async {
        await service.recordQueueDepth()
        if let upstreams { metrics.upstreams(upstreams.status()) }
    }
}

/// `GET /ready`: `{"status", "reason"?, "workers", "queued_jobs"?}`.
struct ReadyReport: ResponseEncodable {
    var status: String
    var reason: String?
    var workers: Int
    var queuedJobs: Int?

    enum CodingKeys: String, CodingKey {
        case status, reason, workers
        case queuedJobs = "queued_jobs"
    }

    init(_ readiness: Readiness) {
        (status, reason, workers, queuedJobs) = (
            readiness.status, readiness.reason, readiness.workers, readiness.queuedJobs
        )
    }
}

/// `GET /health`: always 200 while the process serves. `status` is `degraded` when some model
/// has no upstream engine in placement; `routes` and `engines` show each pool's members.
struct HealthReport: ResponseEncodable {
    var status: String
    var engine: String
    /// Each model's route: tiers in order, each a pool of engine names.
    var routes: [String: [[String]]]? = nil
    var engines: [String: UpstreamState]? = nil
    var libvips: String
    /// In a fleet: this replica's id, and every replica seen within a lease.
    var replica: String? = nil
    var replicas: [FleetMember]? = nil

    struct UpstreamState: Codable {
        /// `in`, `out`, or `probing` (the cool-down is over; the next request tries it).
        var state: String
        var reason: String?
        var probeInSeconds: Double?
        var consecutiveFailures: Int
        /// Starts its rate allows at once now; absent without a rate limit.
        var tokens: Int?
        var inFlight: Int
        var maxConcurrent: Int
        var requestsPerMinute: Int?
        var weight: Int

        enum CodingKeys: String, CodingKey {
            case state, reason, tokens, weight
            case probeInSeconds = "probe_in_seconds"
            case consecutiveFailures = "consecutive_failures"
            case inFlight = "in_flight"
            case maxConcurrent = "max_concurrent"
            case requestsPerMinute = "requests_per_minute"
        }
    }

    init(
        engine: String, upstreams: [ImageModel: [[EngineRouter.MemberStatus]]]?, replica: String? = nil,
        replicas: [FleetMember]? = nil
    ) {
        self.engine = engine
        self.replica = replica
        self.replicas = replicas
        libvips = Imaging.libraryVersion
        guard let upstreams else {
            status = "ok"
            return
        }
        var engines: [String: UpstreamState] = [:]
        for member in upstreams.values.joined().joined() {
            engines[member.name] = UpstreamState(
                state: member.health.state.rawValue, reason: member.health.reason,
                probeInSeconds: member.health.probeIn?.seconds, consecutiveFailures: member.health.consecutiveFailures,
                tokens: member.pacer.tokens, inFlight: member.pacer.inFlight,
                maxConcurrent: member.limits.maximumConcurrent, requestsPerMinute: member.limits.requestsPerMinute,
                weight: member.weight)
        }
        let stranded = upstreams.values.contains { tiers in
            tiers.joined().allSatisfy { $0.health.state == .out }
        }
        status = stranded ? "degraded" : "ok"
        routes = Dictionary(uniqueKeysWithValues: upstreams.map { ($0.key.rawValue, $0.value.map { $0.map(\.name) }) })
        self.engines = engines
    }
}

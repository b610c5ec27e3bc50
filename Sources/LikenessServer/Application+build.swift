import Configuration
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessService
import LikenessStore
import Logging
import ServiceLifecycle

/// Opens the data directory (and the fleet's PostgreSQL database, when configured) and makes
/// sure a first API key exists.
///
/// On a store with no keys it creates the operator's unmetered "house" account and its admin
/// key: `configuration.firstAPIKey`, or a generated one, also written to `<data-dir>/api-key`
/// (mode 0600). Returns the key when it was created now, so the caller can print it once.
/// `lockForServing` claims the directory for this process first (see
/// `DataDirectory.lockForServing`); a fleet's replicas share their store, so they take no lock.
public func prepareDataDirectory(_ configuration: LikenessConfiguration, lockForServing: Bool = false) throws
    -> (DataDirectory, IssuedAPIKey?)
{
    let directory = try openDataDirectory(configuration)
    if lockForServing && !directory.isShared { try directory.lockForServing() }
    guard let issued = try directory.store.createFirstAdminKey(secret: configuration.firstAPIKey) else {
        return (directory, nil)
    }
    if configuration.firstAPIKey == nil {
        try DataDirectory.writePrivate(Data((issued.secret + "\n").utf8), to: directory.apiKeyFile)
    }
    return (directory, issued)
}

/// The data directory, on the fleet's PostgreSQL database when `LIKENESS_DATABASE_URL` names
/// one (migrated to the current schema either way).
public func openDataDirectory(_ configuration: LikenessConfiguration) throws -> DataDirectory {
    let root = URL(filePath: configuration.dataDirectory, directoryHint: .isDirectory)
    guard let database = configuration.database else { return try DataDirectory(root: root) }
    let postgres = PostgreSQLDatabase(
        configuration: try PostgreSQLDatabase.configuration(url: database.url, password: database.password),
        connections: database.connections, logger: Logger(label: "likeness.postgres"))
    return try DataDirectory(root: root, postgres: postgres)
}

/// Builds the Likeness application: every route, on one data directory and one engine.
///
/// Before it serves (`beforeServerStarts`), it recovers from an unclean stop: jobs left running
/// are queued again (or failed, past `queue.maxAttempts`), the books are reconciled, and partial
/// or unreferenced image files are removed; the queue's workers wait until that is done.
/// `engine` replaces the configured engines (tests pass their own); without it, the routes of
/// `configuration.routing` serve, or the preview engine when there are none.
public func buildApplication(
    configuration: LikenessConfiguration,
    dataDirectory: DataDirectory,
    engine givenEngine: (any ImageEngine)? = nil,
    fetcher: (any ReferenceFetching)? = nil,
    clock: WallClock = .system,
    logger: Logger? = nil
) throws -> some ApplicationProtocol {
    try assembleApplication(
        configuration: configuration, dataDirectory: dataDirectory, engine: givenEngine, fetcher: fetcher, clock: clock,
        logger: logger
    ).application
}

/// `buildApplication`, with the routes the router registered (`METHOD /path`), which the
/// contract test compares with the OpenAPI document.
func assembleApplication(
    configuration: LikenessConfiguration,
    dataDirectory: DataDirectory,
    engine givenEngine: (any ImageEngine)?,
    fetcher: (any ReferenceFetching)?,
    clock: WallClock,
    logger: Logger?
) throws -> (application: Application<RouterResponder<LikenessRequestContext>>, routes: [String]) {
    var logger = logger ?? Logger(label: "likeness")
    logger.logLevel = configuration.logLevel
    try Imaging.ensureStarted()

    // This application's own series: two applications in one process (tests) count apart.
    let metrics = ServerMetrics(
        recording: configuration.metrics.access != .off || configuration.metrics.listener != nil)
    // Upstream engines and BYOK engines share one client, stopped last (see `services`).
    let client = RoutingSettings.makeClient()
    let store = dataDirectory.store
    // Every store call runs on these threads, never on the cooperative pool.
    let storeCalls = StoreCalls(
        threads: configuration.database.map { StoreThreads(sharing: $0.connections) } ?? StoreThreads(),
        logger: logger)
    // In a fleet, each upstream account's rate is kept in the shared database.
    let pacing = dataDirectory.isShared ? SharedPacing(fleet: store, store: storeCalls, clock: clock) : nil
    let engine: any ImageEngine
    var upstreams: EngineRouter? = nil
    if let givenEngine {
        engine = givenEngine
    } else if let routing = configuration.routing {
        let router = routing.makeRouter(client: client, logger: logger, metrics: metrics.factory, pacing: pacing)
        (engine, upstreams) = (router, router)
        for (model, tiers) in routing.routes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let route = tiers.map { $0.joined(separator: "|") }.joined(separator: ",")
            logger.info("route", metadata: ["model": "\(model.rawValue)", "engines": "\(route)"])
        }
    } else {
        engine = PreviewEngine()
    }

    let secret = try dataDirectory.signingSecret()
    let signer = URLSigner(secret: secret)
    let byok = BYOKEngines(
        accounts: store, vault: CredentialVault(serverSecret: secret), client: client,
        settings: configuration.billing, store: storeCalls, pacing: pacing)
    // In a fleet, this replica tells the others what it changed in the shared queue.
    let replica = ReplicaIdentity(host: "\(configuration.host):\(configuration.port)")
    let fleetNotices = dataDirectory.isShared ? PostgresNotices(replica: replica.id) : nil
    // Images in the bucket when one is configured (shared by a fleet), else in the data directory.
    let bucket = configuration.objectStorage.map { S3BlobStore(settings: $0, client: client, logger: logger) }
    let blobs: any BlobStore = bucket ?? dataDirectory.blobs
    var imageLinks = ImageLinks(
        signer: signer, publicURL: configuration.publicURL, scheme: configuration.tls == nil ? "http" : "https")
    if let bucket, bucket.settings.links == .presigned {
        imageLinks.presigned = { image in
            bucket.presignedURL(id: image.id, format: image.format, expiresAt: image.expiresAt)
        }
    }
    let recentKeys = RecentKeys(lifetime: configuration.billing.keyCacheLifetime)
    let accounts = AccountsService(
        accounts: store, keys: store, webhookSecrets: store, billing: configuration.billing, serverSecret: secret,
        store: storeCalls, recentKeys: recentKeys)
    let service = GenerationService(
        engine: engine, jobs: store, images: store, blobs: blobs,
        fetcher: fetcher ?? GuardedHTTPFetcher(settings: configuration.fetch, refused: metrics.referenceFetchRefused),
        promptPolicy: configuration.promptPolicy, imageLifetime: configuration.imageURLLifetime,
        queue: configuration.queue, workers: configuration.maximumConcurrentJobs,
        webhooks: DialectWebhookRendering(links: imageLinks), billing: accounts.billing, byok: byok,
        store: storeCalls, metrics: metrics, clock: clock, logger: logger, replica: replica,
        shared: dataDirectory.isShared, leaseDuration: configuration.database?.lease ?? .seconds(30),
        broadcast: fleetNotices ?? NoOtherReplicas(), fleet: dataDirectory.isShared ? store : nil,
        identity: IdentityCheck.load(configuration.identity, logger: logger))

    let support = RequestSupport(maximumBodyBytes: configuration.maximumBodyBytes, engineName: engine.name)
    let authenticator = Authenticator(
        keys: store,
        // Alone, the limits are counted in memory; in a fleet, in the database they share.
        limiter: dataDirectory.isShared
            ? SharedRateLimiter(fleet: store, store: storeCalls, clock: clock) : RateLimiter(),
        billing: accounts.billing, store: storeCalls, recentKeys: recentKeys)
    let router = Router(context: LikenessRequestContext.self)
    router.middlewares.add(
        ObservabilityMiddleware(metrics: metrics, accessLevel: configuration.accessLogLevel, logger: logger))
    router.middlewares.add(NotFoundMiddleware(support: support))
    let endpoint = GenerationEndpoint(service: service, support: support)

    /// A group (under `path`) whose routes need a key (in `schemes`), with refusals in `dialect`'s
    /// shape. A dialect's generation routes also label every answer with its cost.
    func authenticated(
        under path: RouterPath = "", _ dialect: any DialectRendering, schemes: Set<String> = ["bearer"],
        generation: Bool = false
    ) -> RouterGroup<LikenessRequestContext> {
        let group = router.group(path)
        if generation { group.add(middleware: CostHeaderMiddleware()) }
        return group.add(
            middleware: AuthenticationMiddleware(
                authenticator: authenticator, schemes: schemes, dialect: dialect, support: support))
    }
    /// Generation routes are also counted against the caller's requests a minute.
    func rateLimited(_ group: RouterGroup<LikenessRequestContext>, _ dialect: any DialectRendering) -> RouterGroup<
        LikenessRequestContext
    > {
        group.group().add(
            middleware: RateLimitMiddleware(authenticator: authenticator, dialect: dialect, support: support))
    }

    let minimax = MiniMaxDialect()
    let minimaxGroup = authenticated(minimax, generation: true)
    MiniMaxController(endpoint: endpoint, imageLinks: imageLinks)
        .addRoutes(to: minimaxGroup, submissions: rateLimited(minimaxGroup, minimax))
    let openAI = OpenAIDialect()
    let openAIGroup = authenticated(openAI, generation: true)
    OpenAIImagesController(endpoint: endpoint, imageLinks: imageLinks, aliases: configuration.modelAliases)
        .addRoutes(to: openAIGroup, submissions: rateLimited(openAIGroup, openAI))
    let fal = FalDialect()
    let falGroup = authenticated(fal, schemes: FalDialect.schemes, generation: true)
    FalController(endpoint: endpoint, imageLinks: imageLinks).addRoutes(to: rateLimited(falGroup, fal))
    FalQueueController(endpoint: endpoint, imageLinks: imageLinks)
        .addRoutes(to: falGroup, submissions: rateLimited(falGroup, fal))
    // Agents: the MCP tools, on the same service, rate limited per generation call.
    MCPController(
        toolbox: MCPToolbox(service: service, imageLinks: imageLinks, authenticator: authenticator),
        support: support, logger: logger
    ).addRoutes(to: authenticated(MCPDialect()))
    ConsoleController().addRoutes(to: router)
    FilesController(images: store, blobs: blobs, signer: signer, store: storeCalls, clock: clock)
        .addRoutes(to: router)
    let routeNames =
        upstreams?.routes.mapValues { tiers in tiers.map { $0.members.map(\.name) } }
        ?? Dictionary(uniqueKeysWithValues: ImageModel.allCases.map { ($0, [[engine.name]]) })
    ModelsController(aliases: configuration.modelAliases, engines: routeNames, accounts: accounts, support: support)
        .addRoutes(to: authenticated(openAI))
    let callerAccounts = AccountsController(accounts: accounts, support: support)
    // Each dialect's clients read their balance with the header they already send.
    callerAccounts.addRoutes(to: authenticated(openAI, schemes: ["bearer", "key"]))
    AdminController(caller: callerAccounts).addRoutes(
        to: authenticated(under: "/v1/admin", openAI, schemes: ["bearer", "key"])
            .add(middleware: AdminOnlyMiddleware(dialect: openAI, support: support)))
    let operations = OperationsController(
        service: service, metrics: metrics, upstreams: upstreams, engineName: engine.name,
        aliases: configuration.modelAliases, support: support)
    operations.addRoutes(
        to: router, metrics: configuration.metrics.access,
        admin: authenticated(openAI).add(middleware: AdminOnlyMiddleware(dialect: openAI, support: support)))

    let janitor = ImageJanitor(
        images: store, blobs: blobs, interval: configuration.janitorInterval, store: storeCalls)
    let workers = JobWorkers(service: service, count: configuration.maximumConcurrentJobs)
    let webhooks = WebhookDispatcher(
        deliveries: store, settings: configuration.webhooks, signal: service.webhookSignal, store: storeCalls,
        metrics: metrics)
    var services: [any Service] = [HTTPClientService(client: client)]
    if let fleetNotices, let postgres = store.postgres {
        // Before the workers, so stopped after them: leases stay renewed while running jobs are put back.
        services.append(
            FleetKeeper(service: service, fleet: store, database: postgres, notices: fleetNotices, logger: logger))
    }
    services += [janitor, workers, webhooks]
    if let listener = configuration.metrics.listener {
        services.append(MetricsListener(listener: listener, scrape: operations.scrape, logger: logger))
    }
    var application = Application(
        router: router,
        server: try serverBuilder(configuration.tls),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "Likeness"),
        // Stopped in reverse order: the upstream HTTP client last, after the workers have put
        // their running jobs back in the queue (stopped first, it would fail those jobs).
        services: services,
        logger: logger)
    application.beforeServerStarts { [logger] in
        // Files no record points to are swept only where this process alone writes them: a
        // fleet's other replicas may be writing files they have not recorded yet.
        let sweeping = bucket == nil && !dataDirectory.isShared ? dataDirectory.blobs : nil
        if let bucket {
            do {
                try await bucket.checkBucket()
            } catch {
                logger.critical(
                    "the image bucket cannot be used", metadata: ["bucket": "\(bucket.settings)", "error": "\(error)"])
                throw error
            }
        }
        try await recoverFromUncleanStop(service: service, store: store, sweeping: sweeping, logger: logger)
        service.startup.open()
    }
    return (application, router.routes.map { "\($0.method) \($0.path)" })
}

/// Puts back what a previous process left behind: jobs it was running (queued again, or failed
/// past `queue.maxAttempts`, which settles them), books that disagree with their ledger, and
/// image and input files no record refers to. Queued jobs keep their reservations and simply wait.
func recoverFromUncleanStop(service: GenerationService, store: SQLStore, sweeping blobs: FileBlobStore?, logger: Logger)
    async throws
{
    let recovered = try await service.recoverInterruptedJobs()
    let books = try store.reconcileAccounts()
    if !books.isClean {
        logger.error(
            "reconciled the ledger at startup",
            metadata: [
                "settled_jobs": "\(books.settledJobs.joined(separator: ","))",
                "corrected_accounts": "\(books.correctedAccounts.joined(separator: ","))",
            ])
    }
    let removedFiles = try blobs?.sweep(keeping: store.imageIDs(), inputsOf: store.jobIDsWithInputs()) ?? 0
    if recovered.requeued + recovered.failed + removedFiles > 0 {
        logger.notice(
            "recovered from an unclean stop",
            metadata: [
                "requeued_jobs": "\(recovered.requeued)", "failed_jobs": "\(recovered.failed)",
                "removed_files": "\(removedFiles)",
            ])
    }
}

/// Plain HTTP/1.1, or HTTPS with the configured identity.
func serverBuilder(_ tls: TLSFiles?) throws -> HTTPServerBuilder {
    guard let tls else { return .http1() }
    let certificates = try NIOSSLCertificate.fromPEMFile(tls.certificate)
    let privateKey = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
    let configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    return try .tls(tlsConfiguration: configuration)
}

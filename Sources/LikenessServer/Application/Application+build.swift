import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
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
    // One connection more than the store's threads: the fleet's listener holds one for as long as it listens.
    let postgres = PostgreSQLDatabase(
        configuration: try PostgreSQLDatabase.configuration(url: database.url, password: database.password),
        connections: database.connections + 1, logger: Logger(label: "likeness.postgres"))
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
/// contract test compares with the OpenAPI document. The parts, in order: storage, engines, the
/// core services, the router, and the background services.
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
    // Upstream engines, BYOK engines and the bucket share one client, stopped last (see `services`).
    let client = RoutingSettings.makeClient()
    let storage = try ServerStorage(configuration, directory: dataDirectory, client: client, logger: logger)
    let engines = ServerEngines(
        configuration, storage: storage, given: givenEngine, client: client, metrics: metrics, clock: clock,
        logger: logger)
    let core = ServerCore(
        configuration, storage: storage, engines: engines, fetcher: fetcher, metrics: metrics, clock: clock,
        logger: logger)
    let routes = ServerRoutes(
        configuration, storage: storage, engines: engines, core: core, metrics: metrics, clock: clock, logger: logger)

    let runner = core.generation.runner
    let store = storage.store
    var services: [any Service] = [HTTPClientService(client: client)]
    if let postgres = store.postgres { services.append(postgres) }
    if let fleetNotices = core.fleetNotices, let postgres = store.postgres {
        // Before the workers, so stopped after them: leases stay renewed while running jobs are put back.
        services.append(
            FleetKeeper(runner: runner, fleet: store, database: postgres, notices: fleetNotices, logger: logger))
    }
    services += [
        ImageJanitor(
            images: store, blobs: storage.blobs, interval: configuration.janitorInterval, store: storage.calls,
            uploads: core.uploads),
        JobWorkers(runner: runner),
        WebhookDispatcher(
            deliveries: store, settings: configuration.webhooks, signal: runner.book.webhookSignal,
            store: storage.calls, metrics: metrics, signingKeys: core.webhookSigningKeys),
    ]
    if let listener = configuration.metrics.listener {
        services.append(MetricsListener(listener: listener, scrape: routes.operations.scrape, logger: logger))
    }
    var application = Application(
        router: routes.router,
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
        let sweeping = storage.bucket == nil && !storage.isShared ? dataDirectory.blobs : nil
        if let bucket = storage.bucket {
            do {
                try await bucket.checkBucket()
            } catch {
                logger.critical(
                    "the image bucket cannot be used", metadata: ["bucket": "\(bucket.settings)", "error": "\(error)"])
                throw error
            }
        }
        try await recoverFromUncleanStop(runner: runner, store: store, sweeping: sweeping, logger: logger)
        runner.startup.open()
    }
    return (application, routes.router.routes.map { "\($0.method) \($0.path)" })
}

/// Puts back what a previous process left behind: jobs it was running (queued again, or failed
/// past `queue.maxAttempts`, which settles them), books that disagree with their ledger, and
/// image and input files no record refers to. Queued jobs keep their reservations and simply wait.
func recoverFromUncleanStop(runner: JobRunner, store: SQLStore, sweeping blobs: FileBlobStore?, logger: Logger)
    async throws
{
    let recovered = try await runner.recoverInterruptedJobs()
    let books = try store.reconcileAccounts()
    if !books.isClean {
        logger.error(
            "reconciled the ledger at startup",
            metadata: [
                "settled_jobs": "\(books.settledJobs.joined(separator: ","))",
                "corrected_accounts": "\(books.correctedAccounts.joined(separator: ","))",
            ])
    }
    let removedFiles =
        try blobs?.sweep(
            keeping: store.imageIDs(), inputsOf: store.jobIDsWithInputs(), photos: store.characterPhotoIDs(),
            uploads: store.uploadIDs()) ?? 0
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

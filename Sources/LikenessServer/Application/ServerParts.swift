import AsyncHTTPClient
import Foundation
import Hummingbird
import LikenessCore
import LikenessEngines
import LikenessService
import LikenessStore
import Logging

/// Where this application keeps its state: the store and the threads its calls run on, the
/// images (the bucket when one is configured, shared by a fleet; else the data directory), and
/// the signing secret with the links it signs.
struct ServerStorage {
    let directory: DataDirectory
    let store: SQLStore
    /// Every store call runs on these threads, never on the cooperative pool.
    let calls: StoreCalls
    let bucket: S3BlobStore?
    let blobs: any BlobStore
    let secret: Data
    let signer: URLSigner
    let imageLinks: ImageLinks

    init(_ configuration: LikenessConfiguration, directory: DataDirectory, client: HTTPClient, logger: Logger) throws {
        self.directory = directory
        store = directory.store
        calls = StoreCalls(
            threads: configuration.database.map { StoreThreads(sharing: $0.connections) } ?? StoreThreads(),
            logger: logger)
        bucket = configuration.objectStorage.map { S3BlobStore(settings: $0, client: client, logger: logger) }
        blobs = bucket ?? directory.blobs
        secret = try directory.signingSecret()
        signer = URLSigner(secret: secret)
        var links = ImageLinks(
            signer: signer, publicURL: configuration.publicURL, scheme: configuration.tls == nil ? "http" : "https")
        if let bucket, bucket.settings.links == .presigned {
            links.presigned = { image in
                bucket.presignedURL(id: image.id, format: image.format, expiresAt: image.expiresAt)
            }
        }
        imageLinks = links
    }

    var isShared: Bool { directory.isShared }
}

/// What makes the images: the given engine (tests), the configured upstream routes, or the
/// preview engine; and the engines on BYOK accounts' own keys. Upstream and BYOK engines share
/// one HTTP client, stopped last.
struct ServerEngines {
    let engine: any ImageEngine
    /// The configured upstream routes; nil when the preview engine (or a given one) serves.
    let upstreams: EngineRouter?
    let byok: BYOKEngines

    init(
        _ configuration: LikenessConfiguration, storage: ServerStorage, given: (any ImageEngine)?, client: HTTPClient,
        metrics: ServerMetrics, clock: WallClock, logger: Logger
    ) {
        // In a fleet, each upstream account's rate is kept in the shared database.
        let pacing =
            storage.isShared ? SharedPacing(fleet: storage.store, store: storage.calls, clock: clock) : nil
        if let given {
            (engine, upstreams) = (given, nil)
        } else if let routing = configuration.routing {
            let router = routing.makeRouter(client: client, logger: logger, metrics: metrics.factory, pacing: pacing)
            (engine, upstreams) = (router, router)
            for (model, tiers) in routing.routes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let route = tiers.map { $0.joined(separator: "|") }.joined(separator: ",")
                logger.info("route", metadata: ["model": "\(model.rawValue)", "engines": "\(route)"])
            }
        } else {
            (engine, upstreams) = (PreviewEngine(), nil)
        }
        byok = BYOKEngines(
            accounts: storage.store, vault: CredentialVault(serverSecret: storage.secret), client: client,
            settings: configuration.billing, store: storage.calls, pacing: pacing)
    }

    /// Each model's engines by tier, as `/v1/models` shows them.
    var routeNames: [ImageModel: [[String]]] {
        upstreams?.routes.mapValues { tiers in tiers.map { $0.members.map(\.name) } }
            ?? Dictionary(uniqueKeysWithValues: ImageModel.allCases.map { ($0, [[engine.name]]) })
    }
}

/// The core services the routes call: accounts and money, key checks, and generation (its
/// admission, runner and book), with this replica's part in a fleet.
struct ServerCore {
    let accounts: AccountsService
    let authenticator: Authenticator
    let generation: GenerationService
    /// Stored characters: their photos, faces and thumbnails.
    let characters: CharacterService
    /// Files uploaded to be used as references.
    let uploads: UploadService
    /// In a fleet: how this replica hears the others.
    let fleetNotices: PostgresNotices?
    /// The ED25519 keys that sign fal-dialect webhooks.
    let webhookSigningKeys: WebhookSigningKeys

    init(
        _ configuration: LikenessConfiguration, storage: ServerStorage, engines: ServerEngines,
        fetcher: (any ReferenceFetching)?, metrics: ServerMetrics, clock: WallClock, logger: Logger
    ) {
        let store = storage.store
        let recentKeys = RecentKeys(lifetime: configuration.billing.keyCacheLifetime)
        accounts = AccountsService(
            accounts: store, keys: store, webhookSecrets: store, billing: configuration.billing,
            serverSecret: storage.secret, store: storage.calls, blobs: storage.blobs, recentKeys: recentKeys)
        authenticator = Authenticator(
            keys: store,
            // Alone, the limits are counted in memory; in a fleet, in the database they share.
            limiter: storage.isShared
                ? SharedRateLimiter(fleet: store, store: storage.calls, clock: clock) : RateLimiter(),
            billing: accounts.billing, store: storage.calls, recentKeys: recentKeys)

        webhookSigningKeys = WebhookSigningKeys(
            settings: store, serverSecret: storage.secret,
            retention: configuration.webhooks.retiredKeyRetention ?? configuration.webhooks.retryWindow,
            store: storage.calls)

        let replica = ReplicaIdentity(host: "\(configuration.host):\(configuration.port)")
        fleetNotices = storage.isShared ? PostgresNotices(replica: replica.id) : nil
        let fleet = FleetRole(
            replica: replica, register: storage.isShared ? store : nil,
            leaseDuration: configuration.database?.lease ?? .seconds(30),
            broadcast: fleetNotices ?? NoOtherReplicas())
        let book = JobBook(
            storage: JobStorage(jobs: store, images: store, blobs: storage.blobs, store: storage.calls),
            webhooks: DialectWebhookRendering(links: storage.imageLinks), fleet: fleet,
            workers: configuration.maximumConcurrentJobs, metrics: metrics, clock: clock, logger: logger)
        let intake = ReferenceIntake(
            fetcher: fetcher
                ?? GuardedHTTPFetcher(settings: configuration.fetch, refused: metrics.referenceFetchRefused))
        characters = CharacterService(
            settings: configuration.characters, repository: store, blobs: storage.blobs, store: storage.calls,
            intake: intake, identity: IdentityCheck.load(configuration.identity, logger: logger),
            serverSecret: storage.secret, clock: clock, logger: logger)
        uploads = UploadService(
            settings: configuration.uploads, repository: store, blobs: storage.blobs, store: storage.calls,
            intake: intake, serverSecret: storage.secret, clock: clock, logger: logger)
        let runner = JobRunner(
            settings: RunnerSettings(
                workers: configuration.maximumConcurrentJobs, maximumAttempts: configuration.queue.maximumAttempts,
                imageLifetime: configuration.imageURLLifetime),
            engines: JobEngines(operated: engines.engine, byok: engines.byok), characters: characters, book: book)
        generation = GenerationService(
            admission: AdmissionSettings(
                promptPolicy: configuration.promptPolicy, maximumQueuedJobs: configuration.queue.maximumQueuedJobs),
            billing: accounts.billing, runner: runner, uploads: uploads,
            synchronousStartLimit: configuration.queue.synchronousStartLimit)
    }
}

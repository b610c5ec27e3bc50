import Hummingbird
import LikenessCore
import LikenessEngines
import LikenessService
import Logging

/// Every route, by group: each dialect's generation routes (authenticated, rate limited, their
/// cost on every answer, refusals in the dialect's shape), MCP, the console, image files, models,
/// the caller's account, the admin API, and the operators' routes.
struct ServerRoutes {
    let router: Router<LikenessRequestContext>
    let operations: OperationsController

    init(
        _ configuration: LikenessConfiguration, storage: ServerStorage, engines: ServerEngines, core: ServerCore,
        metrics: ServerMetrics, clock: WallClock, logger: Logger
    ) {
        let support = RequestSupport(maximumBodyBytes: configuration.maximumBodyBytes, engineName: engines.engine.name)
        let router = Router(context: LikenessRequestContext.self)
        router.middlewares.add(
            ObservabilityMiddleware(metrics: metrics, accessLevel: configuration.accessLogLevel, logger: logger))
        router.middlewares.add(NotFoundMiddleware(support: support))
        let groups = RouteGroups(router: router, authenticator: core.authenticator, support: support)
        let links = storage.imageLinks
        let endpoint = GenerationEndpoint(service: core.generation, support: support, links: links)

        let minimax = MiniMaxDialect()
        let minimaxGroup = groups.authenticated(minimax, generation: true)
        let minimaxRoutes = MiniMaxController(endpoint: endpoint, imageLinks: links)
        minimaxGroup.addRoutes(minimaxRoutes.tasks)
        groups.rateLimited(minimaxGroup).addRoutes(minimaxRoutes.submissions)
        let openAI = OpenAIDialect()
        let openAIGroup = groups.authenticated(openAI, generation: true)
        let openAIRoutes = OpenAIImagesController(
            endpoint: endpoint, imageLinks: links, aliases: configuration.modelAliases)
        openAIGroup.addRoutes(openAIRoutes.tasks)
        groups.rateLimited(openAIGroup).addRoutes(openAIRoutes.submissions)
        let fal = FalDialect()
        let falGroup = groups.authenticated(fal, schemes: FalDialect.schemes, generation: true)
        groups.rateLimited(falGroup).addRoutes(FalController(endpoint: endpoint, imageLinks: links).routes)
        let uploads = UploadsController(
            uploads: core.uploads, support: support, links: links, signer: storage.signer, clock: clock)
        groups.rateLimited(groups.authenticated(fal, schemes: FalDialect.schemes, area: .files, noStore: true))
            .addRoutes(uploads.falRoutes)
        groups.open(.files).addRoutes(uploads.signedRoutes)
        let falQueue = FalQueueController(endpoint: endpoint, imageLinks: links)
        falGroup.addRoutes(falQueue.requests)
        groups.rateLimited(falGroup).addRoutes(falQueue.submissions)
        // Agents: the MCP tools, on the same service, rate limited per generation call.
        groups.authenticated(MCPDialect()).addRoutes(
            MCPController(
                toolbox: MCPToolbox(service: core.generation, imageLinks: links, authenticator: core.authenticator),
                support: support, logger: logger
            ).routes)

        groups.open(.operations).addRoutes(ConsoleController().routes)
        groups.open(.files).addRoutes(
            FilesController(
                images: storage.store, blobs: storage.blobs, signer: storage.signer, store: storage.calls,
                clock: clock, generation: core.generation
            ).routes)
        groups.authenticated(openAI).addRoutes(
            ModelsController(
                aliases: configuration.modelAliases, engines: engines.routeNames, accounts: core.accounts,
                support: support
            ).routes)
        let callerAccounts = AccountsController(accounts: core.accounts, support: support)
        // Each dialect's clients read their balance with the header they already send.
        groups.authenticated(openAI, schemes: ["bearer", "key"], area: .account, noStore: true).addRoutes(
            callerAccounts.routes)
        groups.admin(
            groups.authenticated(under: "/v1/admin", openAI, schemes: ["bearer", "key"], area: .admin, noStore: true)
        )
        .addRoutes(AdminController(caller: callerAccounts).routes)
        let characters = CharactersController(
            characters: core.characters, generation: core.generation, support: support, links: links)
        let characterGroup = groups.authenticated(
            openAI, schemes: ["bearer", "key"], area: .characters, noStore: true)
        characterGroup.addRoutes(characters.routes)
        groups.rateLimited(characterGroup).addRoutes(characters.creation)
        groups.rateLimited(groups.authenticated(openAI, schemes: ["bearer", "key"], area: .files, noStore: true))
            .addRoutes(uploads.openAIRoutes)
        let history = GenerationsController(generation: core.generation, support: support, links: links)
        groups.authenticated(openAI, schemes: ["bearer", "key"], area: .account, noStore: true).addRoutes(
            history.routes)
        let webhookKeys = WebhookKeysController(keys: core.webhookSigningKeys)
        groups.open(.operations).addRoutes(webhookKeys.publicRoutes)
        groups.admin(
            groups.authenticated(under: "/v1/admin", openAI, schemes: ["bearer", "key"], area: .admin, noStore: true)
        )
        .addRoutes(webhookKeys.adminRoutes)
        operations = OperationsController(
            service: core.generation, metrics: metrics, upstreams: engines.upstreams,
            engineName: engines.engine.name, aliases: configuration.modelAliases, support: support)
        groups.open(.operations).addRoutes(operations.routes)
        let operatorGroup = groups.admin(
            groups.authenticated(under: "/v1/admin", openAI, schemes: ["bearer", "key"], area: .admin, noStore: true))
        operatorGroup.addRoutes(history.adminRoutes)
        operatorGroup.addRoutes(operations.adminRoutes)
        switch configuration.metrics.access {
        case .admin: groups.admin(groups.authenticated(openAI, area: .operations)).addRoutes(operations.metricsRoutes)
        case .open: groups.open(.operations).addRoutes(operations.metricsRoutes)
        case .off: break
        }
        self.router = router
    }
}

/// How a group of routes is guarded: by a key (in the schemes its clients send), by the key's
/// requests a minute, by the admin role; each refusal in the group's dialect.
struct RouteGroups {
    let router: Router<LikenessRequestContext>
    let authenticator: Authenticator
    let support: RequestSupport

    /// A group (under `path`) whose routes need a key (in `schemes`), labelled `area` (by default
    /// the dialect's) and with every refusal in `dialect`'s shape. A dialect's generation routes also label every answer with its cost;
    /// answers about an account are never cached.
    func authenticated(
        under path: RouterPath = "", _ dialect: any DialectRendering, schemes: Set<String> = ["bearer"],
        area: APIArea? = nil, generation: Bool = false, noStore: Bool = false
    ) -> RouterGroup<LikenessRequestContext> {
        let group = router.group(path).add(middleware: AreaMiddleware(area: area ?? APIArea(dialect.id)))
        if generation { group.add(middleware: CostHeaderMiddleware()) }
        if noStore { group.add(middleware: NoStoreMiddleware()) }
        return group.add(middleware: DialectErrorMiddleware(dialect: dialect, support: support))
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator, schemes: schemes))
    }

    /// A group anyone may call (the console, image files, the operators' probes), labelled `area`.
    func open(_ area: APIArea) -> RouterGroup<LikenessRequestContext> {
        router.group().add(middleware: AreaMiddleware(area: area))
    }

    /// Generation routes are also counted against the caller's requests a minute.
    func rateLimited(_ group: RouterGroup<LikenessRequestContext>) -> RouterGroup<LikenessRequestContext> {
        group.group().add(middleware: RateLimitMiddleware(authenticator: authenticator))
    }

    /// Only admin keys, refused in the group's shape.
    func admin(_ group: RouterGroup<LikenessRequestContext>) -> RouterGroup<LikenessRequestContext> {
        group.group().add(middleware: AdminOnlyMiddleware())
    }
}

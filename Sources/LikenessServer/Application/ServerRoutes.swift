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
        let endpoint = GenerationEndpoint(service: core.generation, support: support)
        let links = storage.imageLinks

        let minimax = MiniMaxDialect()
        let minimaxGroup = groups.authenticated(minimax, generation: true)
        MiniMaxController(endpoint: endpoint, imageLinks: links)
            .addRoutes(to: minimaxGroup, submissions: groups.rateLimited(minimaxGroup, minimax))
        let openAI = OpenAIDialect()
        let openAIGroup = groups.authenticated(openAI, generation: true)
        OpenAIImagesController(endpoint: endpoint, imageLinks: links, aliases: configuration.modelAliases)
            .addRoutes(to: openAIGroup, submissions: groups.rateLimited(openAIGroup, openAI))
        let fal = FalDialect()
        let falGroup = groups.authenticated(fal, schemes: FalDialect.schemes, generation: true)
        FalController(endpoint: endpoint, imageLinks: links).addRoutes(to: groups.rateLimited(falGroup, fal))
        FalQueueController(endpoint: endpoint, imageLinks: links)
            .addRoutes(to: falGroup, submissions: groups.rateLimited(falGroup, fal))
        // Agents: the MCP tools, on the same service, rate limited per generation call.
        MCPController(
            toolbox: MCPToolbox(service: core.generation, imageLinks: links, authenticator: core.authenticator),
            support: support, logger: logger
        ).addRoutes(to: groups.authenticated(MCPDialect()))

        ConsoleController().addRoutes(to: router)
        FilesController(
            images: storage.store, blobs: storage.blobs, signer: storage.signer, store: storage.calls, clock: clock
        ).addRoutes(to: router)
        ModelsController(
            aliases: configuration.modelAliases, engines: engines.routeNames, accounts: core.accounts,
            support: support
        ).addRoutes(to: groups.authenticated(openAI))
        let callerAccounts = AccountsController(accounts: core.accounts, support: support)
        // Each dialect's clients read their balance with the header they already send.
        callerAccounts.addRoutes(to: groups.authenticated(openAI, schemes: ["bearer", "key"]))
        AdminController(caller: callerAccounts).addRoutes(
            to: groups.admin(groups.authenticated(under: "/v1/admin", openAI, schemes: ["bearer", "key"])))
        operations = OperationsController(
            service: core.generation, metrics: metrics, upstreams: engines.upstreams,
            engineName: engines.engine.name, aliases: configuration.modelAliases, support: support)
        operations.addRoutes(
            to: router, metrics: configuration.metrics.access, admin: groups.admin(groups.authenticated(openAI)))
        self.router = router
    }
}

/// How a group of routes is guarded: by a key (in the schemes its clients send), by the key's
/// requests a minute, by the admin role; each refusal in the group's dialect.
struct RouteGroups {
    let router: Router<LikenessRequestContext>
    let authenticator: Authenticator
    let support: RequestSupport

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
    func rateLimited(_ group: RouterGroup<LikenessRequestContext>, _ dialect: any DialectRendering)
        -> RouterGroup<LikenessRequestContext>
    {
        group.group().add(
            middleware: RateLimitMiddleware(authenticator: authenticator, dialect: dialect, support: support))
    }

    /// Only admin keys, refused in the OpenAI shape (the admin API's).
    func admin(_ group: RouterGroup<LikenessRequestContext>) -> RouterGroup<LikenessRequestContext> {
        group.add(middleware: AdminOnlyMiddleware(dialect: OpenAIDialect(), support: support))
    }
}

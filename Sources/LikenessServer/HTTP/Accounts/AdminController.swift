import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore

/// The operator's API under `/v1/admin`, for keys with the admin role (`AdminOnlyMiddleware`
/// answers 403 to others):
///
///     GET    /v1/admin/accounts                     every account
///     POST   /v1/admin/accounts                     {name, billing?, requests_per_minute?, concurrent_jobs?}
///     GET    /v1/admin/accounts/{id}
///     PATCH  /v1/admin/accounts/{id}                {requests_per_minute?, concurrent_jobs?, queue_weight?}
///     DELETE /v1/admin/accounts/{id}                deletes its data; the row and ledger stay
///     POST   /v1/admin/accounts/{id}/credits        {amount_usd, waive_fee?, kind?: "adjustment", note?}
///     GET    /v1/admin/accounts/{id}/ledger         ?from&to (as usage)
///     GET    /v1/admin/accounts/{id}/usage          as GET /v1/usage
///     GET    /v1/admin/accounts/{id}/keys
///     POST   /v1/admin/accounts/{id}/keys           {name?, role?, expires_at?, requests_per_minute?, concurrent_jobs?}
///     DELETE /v1/admin/keys/{id}                    revokes
///     GET    /v1/admin/queue                        each account's jobs waiting and running, its weight
///     PUT    /v1/admin/accounts/{id}/minimax-key    {api_key, region?}
///     DELETE /v1/admin/accounts/{id}/minimax-key
///
/// It only translates: every rule is `AccountsService`'s.
struct AdminController: Sendable {
    let caller: AccountsController

    var service: AccountsService { caller.accounts }

    /// The routes under `/v1/admin`, for a group behind authentication and the admin check.
    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("accounts", use: listAccounts)
        routes.post("accounts", use: createAccount)
        routes.get("accounts/{id}", use: showAccount)
        routes.patch("accounts/{id}", use: updateLimits)
        routes.delete("accounts/{id}", use: deleteAccount)
        routes.post("accounts/{id}/credits", use: addCredit)
        routes.get("accounts/{id}/ledger", use: showLedger)
        routes.get("accounts/{id}/usage", use: showUsage)
        routes.get("accounts/{id}/keys", use: listKeys)
        routes.post("accounts/{id}/keys", use: createKey)
        routes.delete("keys/{id}", use: revokeKey)
        routes.get("queue", use: showQueue)
        routes.put("accounts/{id}/minimax-key", use: attachMiniMaxKey)
        routes.delete("accounts/{id}/minimax-key", use: detachMiniMaxKey)
        return routes
    }

    @Sendable func listAccounts(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        var bodies: [AccountBody] = []
        for account in try await service.listAccounts() { bodies.append(try await body(account)) }
        return try caller.json(ListBody(data: bodies))
    }

    @Sendable func createAccount(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let create = try await caller.decode(CreateAccountBody.self, from: request)
        let account = try await service.createAccount(
            name: create.name, billing: create.billing,
            limits: UsageLimits(requestsPerMinute: create.requestsPerMinute, concurrentJobs: create.concurrentJobs))
        return try caller.json(try await body(account))
    }

    @Sendable func showAccount(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try caller.json(try await body(try await service.account(try context.parameter("id"))))
    }

    @Sendable func updateLimits(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let update = try await caller.decode(UpdateLimitsBody.self, from: request)
        let account = try await service.updateLimits(
            try context.parameter("id"),
            UsageLimits(requestsPerMinute: update.requestsPerMinute, concurrentJobs: update.concurrentJobs),
            queueWeight: update.queueWeight)
        return try caller.json(try await body(account))
    }

    @Sendable func deleteAccount(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let deleted = try await service.deleteAccount(try context.parameter("id"), by: try context.requireCaller().key)
        return try caller.json(
            DeletedAccountBody(
                id: deleted.account.id, refundedUsd: deleted.refunded, requests: deleted.jobIDs.count,
                images: deleted.images.count, characters: deleted.characterIDs.count, uploads: deleted.uploadIDs.count,
                revokedKeys: deleted.revokedKeys))
    }

    @Sendable func addCredit(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let credit = try await caller.decode(CreditBody.self, from: request)
        let kind: AccountsService.Credit
        switch credit.kind ?? "top_up" {
        case "top_up": kind = .topUp(waiveFee: credit.waiveFee == true)
        case "adjustment": kind = .adjustment
        default: throw APIError.invalid("kind", "must be top_up or adjustment")
        }
        let entries = try await service.addCredit(
            credit.amountUsd, as: kind, to: try context.parameter("id"), note: credit.note)
        return try caller.json(ListBody(data: entries.map(Self.row)))
    }

    @Sendable func showLedger(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let period = try ReportPeriod(
            from: query.get("from"), to: query.get("to"), defaultFrom: .distantPast, defaultTo: .distantFuture)
        let entries = try await service.ledger(
            try context.parameter("id"), period: period, limit: AccountsController.csvRowLimit)
        return try caller.json(ListBody(data: entries.map(Self.row)))
    }

    @Sendable func showUsage(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try await caller.usage(of: try await service.account(try context.parameter("id")).id, request: request)
    }

    @Sendable func listKeys(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let keys = try await service.listKeys(accountID: try context.parameter("id"))
        return try caller.json(ListBody(data: keys.map(KeyBody.init)))
    }

    @Sendable func createKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let accountID = try context.parameter("id")
        let create = try await caller.decode(CreateKeyBody.self, from: request)
        let issued = try await service.createKey(
            accountID: accountID, name: create.name, role: create.role, expiresAt: create.expiresAt,
            limits: UsageLimits(requestsPerMinute: create.requestsPerMinute, concurrentJobs: create.concurrentJobs))
        return try caller.json(KeyBody(issued))
    }

    @Sendable func showQueue(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let shares = try await service.queueShares()
        return try caller.json(
            QueueSharesBody(
                accounts: shares.map {
                    .init(
                        accountId: $0.accountID, name: $0.name, queueWeight: $0.weight, queued: $0.queued,
                        running: $0.running)
                }))
    }

    @Sendable func revokeKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try caller.json(KeyBody(try await service.revokeKey(try context.parameter("id"))))
    }

    @Sendable func attachMiniMaxKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let key = try await caller.decode(MiniMaxKeyBody.self, from: request)
        let account = try await service.attachMiniMaxKey(
            key.apiKey, region: key.region, to: try context.parameter("id"))
        return try caller.json(try await caller.balance(of: account))
    }

    @Sendable func detachMiniMaxKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let account = try await service.account(try context.parameter("id"))
        return try caller.json(try await caller.balance(of: try await service.detachMiniMaxKey(from: account.id)))
    }

    // MARK: Rendering

    private func body(_ account: Account) async throws(APIError) -> AccountBody {
        AccountBody(
            id: account.id, name: account.name, billing: account.billing.rawValue, balanceUsd: account.balance,
            reservedUsd: try await service.reserved(account.id), requestsPerMinute: account.limits.requestsPerMinute,
            concurrentJobs: account.limits.concurrentJobs, byok: AccountsController.byokStatus(account),
            createdAt: account.createdAt,
            topUpFeePercent: MicroDollars(service.billing.settings.topUpFeeBasisPoints * 10_000).usd,
            deletedAt: account.deletedAt, queueWeight: account.queueWeight ?? 1)
    }

    static func row(_ entry: LedgerEntry) -> LedgerRow {
        LedgerRow(
            seq: entry.sequence, kind: entry.kind.rawValue, amountUsd: entry.amount,
            balanceAfterUsd: entry.balanceAfter, requestId: entry.requestID, note: entry.note,
            createdAt: entry.createdAt)
    }
}

extension KeyBody {
    /// A key as the account and admin APIs describe it; never its secret.
    init(_ key: APIKey) {
        self.init(
            id: key.id, name: key.name, accountId: key.accountID, role: key.role.rawValue, prefix: key.displayPrefix,
            createdAt: key.createdAt, expiresAt: key.expiresAt, revokedAt: key.revokedAt, lastUsedAt: key.lastUsedAt,
            requestsPerMinute: key.limits.requestsPerMinute, concurrentJobs: key.limits.concurrentJobs)
    }

    /// A key just made: with its secret and webhook secret, shown this once.
    init(_ issued: IssuedAPIKey) {
        self.init(issued.key)
        secret = issued.secret
        webhookSecret = issued.webhookSecret
    }
}

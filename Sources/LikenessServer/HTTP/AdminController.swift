import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore

/// The operator's API under `/v1/admin`, for keys with the admin role (403 for others):
///
///     GET    /v1/admin/accounts                     every account
///     POST   /v1/admin/accounts                     {name, billing?, requests_per_minute?, concurrent_jobs?}
///     GET    /v1/admin/accounts/{id}
///     PATCH  /v1/admin/accounts/{id}                {requests_per_minute?, concurrent_jobs?}
///     POST   /v1/admin/accounts/{id}/credits        {amount_usd, waive_fee?, kind?: "adjustment", note?}
///     GET    /v1/admin/accounts/{id}/ledger         ?from&to (as usage)
///     GET    /v1/admin/accounts/{id}/usage          as GET /v1/usage
///     GET    /v1/admin/accounts/{id}/keys
///     POST   /v1/admin/accounts/{id}/keys           {name?, role?, expires_at?, requests_per_minute?, concurrent_jobs?}
///     DELETE /v1/admin/keys/{id}                    revokes
///     PUT    /v1/admin/accounts/{id}/minimax-key    {api_key, region?}
///     DELETE /v1/admin/accounts/{id}/minimax-key
struct AdminController: Sendable {
    let accounts: AccountsController

    var store: any AccountRepository { accounts.accounts }
    var keys: any APIKeyRepository { accounts.keys }

    static func notFound(_ message: String) -> APIError {
        APIError(.invalidParameters, message, reason: .notFound)
    }

    func addRoutes(to router: Router<some RequestContext>) {
        let base = "/v1/admin/accounts"
        router.get(RouterPath(base)) { request, _ in
            await admin(request) { () throws(APIError) in
                let all = try accounts.store { try store.listAccounts() }
                return try accounts.json(ListBody(data: try all.map { account throws(APIError) in try body(account) }))
            }
        }
        router.post(RouterPath(base)) { request, _ in
            await admin(request) { () async throws(APIError) in
                let create = try await accounts.decode(CreateAccountBody.self, from: request)
                return try accounts.json(try body(try createAccount(create)))
            }
        }
        router.get(RouterPath(base + "/{id}")) { request, context in
            await admin(request) { () throws(APIError) in
                try accounts.json(try body(try accounts.account(context.parameters.get("id") ?? "")))
            }
        }
        router.patch(RouterPath(base + "/{id}")) { request, context in
            await admin(request) { () async throws(APIError) in
                let update = try await accounts.decode(UpdateLimitsBody.self, from: request)
                try Self.checkLimits(update.requestsPerMinute, update.concurrentJobs)
                let id = context.parameters.get("id") ?? ""
                let limits = UsageLimits(
                    requestsPerMinute: update.requestsPerMinute, concurrentJobs: update.concurrentJobs)
                guard let account = try accounts.store({ try store.updateLimits(accountID: id, limits) }) else {
                    throw Self.notFound("no account with id \(id)")
                }
                return try accounts.json(try body(account))
            }
        }
        router.post(RouterPath(base + "/{id}/credits")) { request, context in
            await admin(request) { () async throws(APIError) in
                let credit = try await accounts.decode(CreditBody.self, from: request)
                return try addCredit(credit, to: try accounts.account(context.parameters.get("id") ?? ""))
            }
        }
        router.get(RouterPath(base + "/{id}/ledger")) { request, context in
            await admin(request) { () throws(APIError) in
                let account = try accounts.account(context.parameters.get("id") ?? "")
                let query = request.uri.queryParameters
                let period = try ReportPeriod(
                    from: query.get("from"), to: query.get("to"), defaultFrom: .distantPast, defaultTo: .distantFuture)
                let entries = try accounts.store {
                    try store.ledger(
                        accountID: account.id, from: period.from, to: period.to, limit: AccountsController.csvRowLimit)
                }
                return try accounts.json(ListBody(data: entries.map(Self.row)))
            }
        }
        router.get(RouterPath(base + "/{id}/usage")) { request, context in
            await admin(request) { () throws(APIError) in
                try accounts.usage(of: try accounts.account(context.parameters.get("id") ?? "").id, request: request)
            }
        }
        router.get(RouterPath(base + "/{id}/keys")) { request, context in
            await admin(request) { () throws(APIError) in
                let account = try accounts.account(context.parameters.get("id") ?? "")
                let list = try accounts.store { try keys.listKeys(accountID: account.id) }
                return try accounts.json(ListBody(data: list.map { Self.body($0) }))
            }
        }
        router.post(RouterPath(base + "/{id}/keys")) { request, context in
            await admin(request) { () async throws(APIError) in
                let account = try accounts.account(context.parameters.get("id") ?? "")
                let create = try await accounts.decode(CreateKeyBody.self, from: request)
                return try accounts.json(try createKey(create, for: account))
            }
        }
        router.delete("/v1/admin/keys/{id}") { request, context in
            await admin(request) { () throws(APIError) in
                let id = context.parameters.get("id") ?? ""
                guard try accounts.store({ try keys.revokeKey(id: id) }),
                    let key = try accounts.store({ try keys.key(id: id) })
                else { throw Self.notFound("no active key with id \(id)") }
                return try accounts.json(Self.body(key))
            }
        }
        router.put(RouterPath(base + "/{id}/minimax-key")) { request, context in
            await admin(request) { () async throws(APIError) in
                let account = try accounts.account(context.parameters.get("id") ?? "")
                let key = try await accounts.decode(MiniMaxKeyBody.self, from: request)
                return try accounts.attachMiniMaxKey(key, to: account.id)
            }
        }
        router.delete(RouterPath(base + "/{id}/minimax-key")) { request, context in
            await admin(request) { () throws(APIError) in
                try accounts.detachMiniMaxKey(from: try accounts.account(context.parameters.get("id") ?? "").id)
            }
        }
    }

    /// Runs `body` for an admin key; 401 without a valid key, 403 without the admin role.
    private func admin(_ request: Request, _ body: () async throws(APIError) -> Response) async -> Response {
        await accounts.answer { () async throws(APIError) in
            let caller = try accounts.caller(of: request)
            guard caller.isAdmin else {
                throw APIError(.invalidAPIKey, "this key may not use the admin API", reason: .forbidden)
            }
            return try await body()
        }
    }

    // MARK: Operations

    private func createAccount(_ create: CreateAccountBody) throws(APIError) -> Account {
        let name = create.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1 to 200 characters") }
        guard let billing = AccountBilling(rawValue: create.billing ?? "prepaid") else {
            throw APIError.invalid("billing", "must be prepaid or unmetered")
        }
        try Self.checkLimits(create.requestsPerMinute, create.concurrentJobs)
        return try accounts.store {
            try store.createAccount(
                name: name, billing: billing,
                limits: UsageLimits(requestsPerMinute: create.requestsPerMinute, concurrentJobs: create.concurrentJobs))
        }
    }

    private func createKey(_ create: CreateKeyBody, for account: Account) throws(APIError) -> KeyBody {
        guard let role = KeyRole(rawValue: create.role ?? "user") else {
            throw APIError.invalid("role", "must be user or admin")
        }
        if let expiry = create.expiresAt, expiry <= Date() {
            throw APIError.invalid("expires_at", "must be in the future")
        }
        try Self.checkLimits(create.requestsPerMinute, create.concurrentJobs)
        let issued = try accounts.store {
            try keys.createKey(
                name: create.name ?? "unnamed", accountID: account.id, role: role, secret: nil,
                expiresAt: create.expiresAt,
                limits: UsageLimits(requestsPerMinute: create.requestsPerMinute, concurrentJobs: create.concurrentJobs))
        }
        var body = Self.body(issued.key)
        body.secret = issued.secret
        body.webhookSecret = issued.webhookSecret
        return body
    }

    private func addCredit(_ credit: CreditBody, to account: Account) throws(APIError) -> Response {
        let entries: [LedgerEntry]
        switch credit.kind ?? "top_up" {
        case "top_up":
            guard credit.amountUsd > .zero else { throw APIError.invalid("amount_usd", "must be more than 0") }
            let fee = credit.waiveFee == true ? .zero : accounts.billing.topUpFee(credit.amountUsd)
            entries = try accounts.store {
                try store.topUp(accountID: account.id, paid: credit.amountUsd, fee: fee, note: credit.note)
            }
        case "adjustment":
            guard credit.amountUsd != .zero else { throw APIError.invalid("amount_usd", "must not be 0") }
            do {
                entries = [try store.adjust(accountID: account.id, by: credit.amountUsd, note: credit.note)]
            } catch {
                throw APIError.invalid("amount_usd", "\(error)")
            }
        default:
            throw APIError.invalid("kind", "must be top_up or adjustment")
        }
        return try accounts.json(ListBody(data: entries.map(Self.row)))
    }

    static func checkLimits(_ requestsPerMinute: Int?, _ concurrentJobs: Int?) throws(APIError) {
        if let requestsPerMinute, requestsPerMinute < 0 {
            throw APIError.invalid("requests_per_minute", "must be 0 (unlimited) or more")
        }
        if let concurrentJobs, concurrentJobs < 0 {
            throw APIError.invalid("concurrent_jobs", "must be 0 (unlimited) or more")
        }
    }

    // MARK: Rendering

    private func body(_ account: Account) throws(APIError) -> AccountBody {
        AccountBody(
            id: account.id, name: account.name, billing: account.billing.rawValue, balanceUsd: account.balance,
            reservedUsd: try accounts.store { try store.reserved(accountID: account.id) },
            requestsPerMinute: account.limits.requestsPerMinute, concurrentJobs: account.limits.concurrentJobs,
            byok: accounts.byokStatus(account), createdAt: account.createdAt)
    }

    static func body(_ key: APIKey) -> KeyBody {
        KeyBody(
            id: key.id, name: key.name, accountId: key.accountID, role: key.role.rawValue, prefix: key.displayPrefix,
            createdAt: key.createdAt, expiresAt: key.expiresAt, revokedAt: key.revokedAt, lastUsedAt: key.lastUsedAt,
            requestsPerMinute: key.limits.requestsPerMinute, concurrentJobs: key.limits.concurrentJobs)
    }

    static func row(_ entry: LedgerEntry) -> LedgerRow {
        LedgerRow(
            seq: entry.sequence, kind: entry.kind.rawValue, amountUsd: entry.amount,
            balanceAfterUsd: entry.balanceAfter,
            requestId: entry.requestID, note: entry.note, createdAt: entry.createdAt)
    }
}

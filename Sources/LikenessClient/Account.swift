import Foundation
import LikenessCore

/// The calling key's account: balance, usage and its own MiniMax key. Likeness only.
extension LikenessClient {
    public func balance() async throws(LikenessError) -> BalanceBody {
        try await account(.get, "/v1/balance", as: BalanceBody.self)
    }

    /// Requests between two days (UTC, both included); by default the last 30 days.
    public func usage(from: Date? = nil, to: Date? = nil, limit: Int? = nil) async throws(LikenessError)
        -> UsageBody
    {
        try await account(.get, "/v1/usage", query: Self.period(from, to, limit), as: UsageBody.self)
    }

    /// Attaches the account's own MiniMax key (BYOK): its requests then run on it, at no charge.
    public func attachMiniMaxKey(_ key: String, region: String = "global") async throws(LikenessError) -> BYOKStatus {
        try await account(
            .put, "/v1/account/minimax-key", body: MiniMaxKeyBody(apiKey: key, region: region), as: BYOKStatus.self)
    }

    public func detachMiniMaxKey() async throws(LikenessError) -> BYOKStatus {
        try await account(.delete, "/v1/account/minimax-key", as: BYOKStatus.self)
    }

    /// The account's keys (no secrets).
    public func keys() async throws(LikenessError) -> [KeyBody] {
        try await account(.get, "/v1/keys", as: ListBody<KeyBody>.self).data
    }

    /// A new user key for this account; its `secret` is in the answer once, and never again.
    public func createKey(_ body: CreateKeyBody) async throws(LikenessError) -> KeyBody {
        try await account(.post, "/v1/keys", body: body, as: KeyBody.self)
    }

    /// Revokes another key of this account (not the one this client uses).
    public func revokeKey(id: String) async throws(LikenessError) -> KeyBody {
        try await account(.delete, "/v1/keys/\(id)", as: KeyBody.self)
    }

    /// The operator's calls, for an admin key.
    public var admin: Admin { Admin(client: self) }

    static func period(_ from: Date?, _ to: Date?, _ limit: Int?) -> [URLQueryItem] {
        let day = Date.ISO8601FormatStyle().year().month().day()
        var query: [URLQueryItem] = []
        if let from { query.append(URLQueryItem(name: "from", value: from.formatted(day))) }
        if let to { query.append(URLQueryItem(name: "to", value: to.formatted(day))) }
        if let limit { query.append(URLQueryItem(name: "limit", value: String(limit))) }
        return query
    }
}

/// Accounts, credits, keys and limits: what an operator does, over the admin API.
public struct Admin: Sendable {
    let client: LikenessClient

    public func accounts() async throws(LikenessError) -> [AccountBody] {
        try await client.account(.get, "/v1/admin/accounts", as: ListBody<AccountBody>.self).data
    }

    public func account(id: String) async throws(LikenessError) -> AccountBody {
        try await client.account(.get, "/v1/admin/accounts/\(id)", as: AccountBody.self)
    }

    public func createAccount(_ body: CreateAccountBody) async throws(LikenessError) -> AccountBody {
        try await client.account(.post, "/v1/admin/accounts", body: body, as: AccountBody.self)
    }

    public func updateLimits(accountID: String, _ body: UpdateLimitsBody) async throws(LikenessError) -> AccountBody {
        try await client.account(.patch, "/v1/admin/accounts/\(accountID)", body: body, as: AccountBody.self)
    }

    /// Adds credit (a top-up, less the configured fee unless waived): the ledger rows it wrote.
    public func credit(accountID: String, _ body: CreditBody) async throws(LikenessError) -> [LedgerRow] {
        try await client.account(
            .post, "/v1/admin/accounts/\(accountID)/credits", body: body, as: ListBody<LedgerRow>.self
        ).data
    }

    public func ledger(accountID: String) async throws(LikenessError) -> [LedgerRow] {
        try await client.account(.get, "/v1/admin/accounts/\(accountID)/ledger", as: ListBody<LedgerRow>.self).data
    }

    public func usage(accountID: String, from: Date? = nil, to: Date? = nil) async throws(LikenessError) -> UsageBody {
        try await client.account(
            .get, "/v1/admin/accounts/\(accountID)/usage", query: LikenessClient.period(from, to, nil),
            as: UsageBody.self)
    }

    public func keys(accountID: String) async throws(LikenessError) -> [KeyBody] {
        try await client.account(.get, "/v1/admin/accounts/\(accountID)/keys", as: ListBody<KeyBody>.self).data
    }

    /// A new key; its secret is in the answer once, and never again.
    public func createKey(accountID: String, _ body: CreateKeyBody) async throws(LikenessError) -> KeyBody {
        try await client.account(.post, "/v1/admin/accounts/\(accountID)/keys", body: body, as: KeyBody.self)
    }

    public func revokeKey(id: String) async throws(LikenessError) -> KeyBody {
        try await client.account(.delete, "/v1/admin/keys/\(id)", as: KeyBody.self)
    }
}

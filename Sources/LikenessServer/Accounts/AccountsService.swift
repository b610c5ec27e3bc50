import Foundation
import LikenessAPI
import LikenessStore
import Logging

/// Every rule about accounts, keys and money, in one place: prices, the top-up fee, limits, key
/// roles and expiry, credits and corrections, BYOK keys. The admin API, the caller's own routes
/// and the `likeness` operator commands all go through it, so each refuses the same things with
/// the same messages. It sees the state only through the repository protocols, whichever store
/// implements them.
public struct AccountsService: Sendable {
    let accounts: any AccountRepository
    let keys: any APIKeyRepository
    let webhookSecrets: any WebhookRepository
    public let billing: BillingSettings
    let vault: CredentialVault
    let logger: Logger

    public init(
        accounts: any AccountRepository, keys: any APIKeyRepository, webhookSecrets: any WebhookRepository,
        billing: BillingSettings, serverSecret: Data, logger: Logger
    ) {
        self.accounts = accounts
        self.keys = keys
        self.webhookSecrets = webhookSecrets
        self.billing = billing
        self.vault = CredentialVault(serverSecret: serverSecret)
        self.logger = logger
    }

    // MARK: Accounts

    public func createAccount(name: String, billing: String?, limits: UsageLimits) throws(APIError) -> Account {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1 to 200 characters") }
        guard let billing = AccountBilling(rawValue: billing ?? AccountBilling.prepaid.rawValue) else {
            throw APIError.invalid("billing", "must be prepaid or unmetered")
        }
        try Self.check(limits)
        return try store { try accounts.createAccount(name: name, billing: billing, limits: limits) }
    }

    public func account(_ id: String) throws(APIError) -> Account {
        guard let account = try store({ try accounts.account(id: id) }) else {
            throw Self.notFound("no account with id \(id)")
        }
        return account
    }

    public func listAccounts() throws(APIError) -> [Account] {
        try store { try accounts.listAccounts() }
    }

    /// What the account's unfinished requests hold from its balance.
    public func reserved(_ accountID: String) throws(APIError) -> MicroDollars {
        try store { try accounts.reserved(accountID: accountID) }
    }

    /// Sets an account's own limits (nil: the server's default; 0: unlimited).
    public func updateLimits(_ accountID: String, _ limits: UsageLimits) throws(APIError) -> Account {
        try Self.check(limits)
        guard let account = try store({ try accounts.updateLimits(accountID: accountID, limits) }) else {
            throw Self.notFound("no account with id \(accountID)")
        }
        return account
    }

    /// The limits that apply to the account: its own, else the server's.
    public func effectiveLimits(of account: Account) -> UsageLimits {
        billing.limits(for: account)
    }

    /// Each model's price per delivered image for this account: nothing for unmetered accounts
    /// and for accounts on their own MiniMax key.
    public func prices(for account: Account) -> [ImageModel: MicroDollars] {
        Dictionary(uniqueKeysWithValues: ImageModel.allCases.map { ($0, billing.price($0, for: account)) })
    }

    // MARK: Money

    public enum Credit: Sendable, Hashable {
        /// A payment: credited less the platform fee unless it is waived.
        case topUp(waiveFee: Bool)
        /// A correction either way, with no fee; refused below zero.
        case adjustment
    }

    /// Records a payment or a correction and returns the ledger rows it wrote.
    public func addCredit(_ amount: MicroDollars, as credit: Credit, to accountID: String, note: String?)
        throws(APIError) -> [LedgerEntry]
    {
        let account = try account(accountID)
        switch credit {
        case .topUp(let waiveFee):
            guard amount > .zero else { throw APIError.invalid("amount_usd", "must be more than 0") }
            let fee = waiveFee ? .zero : billing.topUpFee(amount)
            return try store { try accounts.topUp(accountID: account.id, paid: amount, fee: fee, note: note) }
        case .adjustment:
            guard amount != .zero else { throw APIError.invalid("amount_usd", "must not be 0") }
            do {
                return [try accounts.adjust(accountID: account.id, by: amount, note: note)]
            } catch let error as StoreError where error.kind == .refused {
                throw APIError.invalid("amount_usd", error.message)
            } catch {
                throw storeFailure(error)
            }
        }
    }

    public func ledger(_ accountID: String, period: ReportPeriod, limit: Int) throws(APIError) -> [LedgerEntry] {
        let account = try account(accountID)
        return try store { try accounts.ledger(accountID: account.id, from: period.from, to: period.to, limit: limit) }
    }

    public func usage(_ accountID: String, period: ReportPeriod, limit: Int) throws(APIError) -> [UsageRow] {
        try store { try accounts.usage(accountID: accountID, from: period.from, to: period.to, limit: limit) }
    }

    public func usageTotals(_ accountID: String, period: ReportPeriod) throws(APIError) -> UsageTotals {
        try store { try accounts.usageTotals(accountID: accountID, from: period.from, to: period.to) }
    }

    // MARK: Keys

    /// Issues a key on an account. `role` is `user` (default) or `admin`; `expiresAt` must be in
    /// the future. The secret is in the answer and nowhere else.
    public func createKey(
        accountID: String, name: String?, role: String?, expiresAt: Date?, limits: UsageLimits, now: Date = Date()
    ) throws(APIError) -> IssuedAPIKey {
        let account = try account(accountID)
        guard let role = KeyRole(rawValue: role ?? KeyRole.user.rawValue) else {
            throw APIError.invalid("role", "must be user or admin")
        }
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unnamed"
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1 to 200 characters") }
        if let expiresAt, expiresAt <= now { throw APIError.invalid("expires_at", "must be in the future") }
        try Self.check(limits)
        return try store {
            try keys.createKey(
                name: name, accountID: account.id, role: role, secret: nil, expiresAt: expiresAt, limits: limits)
        }
    }

    public func listKeys(accountID: String?) throws(APIError) -> [APIKey] {
        if let accountID { _ = try account(accountID) }
        return try store { try keys.listKeys(accountID: accountID) }
    }

    /// Revokes an active key: its requests fail with 2049 from now on.
    public func revokeKey(_ id: String) throws(APIError) -> APIKey {
        guard try store({ try keys.revokeKey(id: id) }), let key = try store({ try keys.key(id: id) }) else {
            throw Self.notFound("no active key with id \(id)")
        }
        return key
    }

    /// The secret that signs the webhooks of a key's jobs.
    public func webhookSecret(keyID: String) throws(APIError) -> String {
        guard let secret = try store({ try webhookSecrets.webhookSigningSecret(keyID: keyID) }) else {
            throw Self.notFound("no key with id \(keyID)")
        }
        return secret
    }

    // MARK: Bring your own key

    /// Seals and attaches the account's own MiniMax key (`region` global or cn); its requests
    /// then go to MiniMax on that key and cost nothing here.
    public func attachMiniMaxKey(_ apiKey: String, region: String?, to accountID: String) throws(APIError) -> Account {
        let key = apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (8...4096).contains(key.utf8.count), !key.contains(where: \.isWhitespace) else {
            throw APIError.invalid("api_key", "must be a MiniMax API key")
        }
        let region = region ?? "global"
        guard region == "global" || region == "cn" else { throw APIError.invalid("region", "must be global or cn") }
        let sealed: Data
        do {
            sealed = try vault.seal(key, accountID: accountID)
        } catch {
            throw APIError(.systemError, "the key could not be sealed")
        }
        guard try store({ try accounts.setMiniMaxKey(accountID: accountID, sealed: sealed, region: region) }) else {
            throw Self.notFound("no account with id \(accountID)")
        }
        return try account(accountID)
    }

    public func detachMiniMaxKey(from accountID: String) throws(APIError) -> Account {
        _ = try store { try accounts.setMiniMaxKey(accountID: accountID, sealed: nil, region: nil) }
        return try account(accountID)
    }

    // MARK: Rules

    static func check(_ limits: UsageLimits) throws(APIError) {
        if let requestsPerMinute = limits.requestsPerMinute, requestsPerMinute < 0 {
            throw APIError.invalid("requests_per_minute", "must be 0 (unlimited) or more")
        }
        if let concurrentJobs = limits.concurrentJobs, concurrentJobs < 0 {
            throw APIError.invalid("concurrent_jobs", "must be 0 (unlimited) or more")
        }
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.invalidParameters, message, reason: .notFound)
    }

    /// A store call: a failure is logged and answered as a system error (1033), never as a
    /// wrong answer.
    func store<Value>(_ body: () throws -> Value) throws(APIError) -> Value {
        do {
            return try body()
        } catch {
            throw storeFailure(error)
        }
    }

    private func storeFailure(_ error: any Error) -> APIError {
        logger.error("account store failure", metadata: ["error": "\(error)"])
        return APIError(.systemError, "the account store failed")
    }
}

extension BillingSettings {
    /// What one delivered image costs `account`: nothing when it is unmetered or on its own
    /// MiniMax key. The one price rule, for reservations and for what accounts are shown.
    func price(_ model: ImageModel, for account: Account) -> MicroDollars {
        account.hasMiniMaxKey || account.billing == .unmetered ? .zero : price(model)
    }
}

extension AccountsService {
    /// The service over a data directory's store, as the operator commands use it (also while a
    /// server runs on the same directory).
    public init(dataDirectory: DataDirectory, configuration: LikenessConfiguration, logger: Logger) throws {
        let store = dataDirectory.store
        self.init(
            accounts: store, keys: store, webhookSecrets: store, billing: configuration.billing,
            serverSecret: try dataDirectory.signingSecret(), logger: logger)
    }
}

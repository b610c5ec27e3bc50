import Foundation
import LikenessCore
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
    /// Prices, reservations, fees and limits: the rules admission and authentication use too.
    package let billing: Billing
    let vault: CredentialVault
    let store: StoreCalls
    /// Where a deleted account's images, photos and uploads are (the bucket in a fleet).
    let blobs: any BlobStore
    /// The keys authentication trusts for a while: forgotten whenever a key or an account changes.
    let recentKeys: RecentKeys

    package init(
        accounts: any AccountRepository, keys: any APIKeyRepository, webhookSecrets: any WebhookRepository,
        billing: BillingSettings, serverSecret: Data, store: StoreCalls, blobs: any BlobStore,
        recentKeys: RecentKeys = RecentKeys(lifetime: .zero)
    ) {
        self.blobs = blobs
        self.recentKeys = recentKeys
        self.accounts = accounts
        self.keys = keys
        self.webhookSecrets = webhookSecrets
        self.billing = Billing(billing)
        self.vault = CredentialVault(serverSecret: serverSecret)
        self.store = store
    }

    // MARK: Accounts

    public func createAccount(name: String, billing: String?, limits: UsageLimits) async throws(APIError) -> Account {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1 to 200 characters") }
        guard let billing = AccountBilling(rawValue: billing ?? AccountBilling.prepaid.rawValue) else {
            throw APIError.invalid("billing", "must be prepaid or unmetered")
        }
        try Self.check(limits)
        return try await store.write("create an account") { [accounts] in
            try accounts.createAccount(name: name, billing: billing, limits: limits)
        }
    }

    public func account(_ id: String) async throws(APIError) -> Account {
        guard let account = try await store.read("read an account", { [accounts] in try accounts.account(id: id) })
        else {
            throw Self.notFound("no account with id \(id)")
        }
        return account
    }

    /// An account that may still change: a deleted one is kept only as the books.
    func openAccount(_ id: String) async throws(APIError) -> Account {
        let account = try await account(id)
        guard !account.isDeleted else { throw APIError.invalid("id", "the account \(id) is deleted") }
        return account
    }

    public func listAccounts() async throws(APIError) -> [Account] {
        try await store.read("list the accounts") { [accounts] in try accounts.listAccounts() }
    }

    /// Deletes an account's personal data and closes it (`AccountRepository.deleteAccount`):
    /// its characters, uploads, requests and their images go, rows first and then every object,
    /// its keys are revoked and its balance is given back; its row and ledger stay as the books.
    /// Refused for the caller's own account and while any of its requests is unfinished.
    public func deleteAccount(_ id: String, by caller: APIKey?, now: Date = Date()) async throws(APIError)
        -> DeletedAccount
    {
        if let caller, caller.accountID == id {
            throw APIError.invalid("id", "is the account making this request; delete it with another admin key")
        }
        let deleted: DeletedAccount?
        do {
            deleted = try await store.writeRaw { [accounts] in try accounts.deleteAccount(id: id, at: now) }
        } catch let error as StoreError where error.kind == .refused {
            throw APIError.invalid("id", error.message)
        } catch {
            throw store.failure("delete an account", error)
        }
        guard let deleted else { throw Self.notFound("no account with id \(id)") }
        recentKeys.forgetAll()
        // The rows are gone, so nothing can name these objects any more; a crash part way leaves
        // orphans for the sweep, never a row without its object.
        for image in deleted.images { await blobs.delete(id: image.id, format: image.format) }
        for object in deleted.characterPhotoIDs.flatMap(PrivateObject.characterObjects) {
            await blobs.deletePrivate(object)
        }
        for uploadID in deleted.uploadIDs { await blobs.deletePrivate(.upload(id: uploadID)) }
        for jobID in deleted.jobIDs { await blobs.deletePrivate(.jobInput(jobID: jobID)) }
        store.logger.notice(
            "deleted an account",
            metadata: [
                "account": "\(id)", "requests": "\(deleted.jobIDs.count)", "images": "\(deleted.images.count)",
                "characters": "\(deleted.characterIDs.count)", "uploads": "\(deleted.uploadIDs.count)",
            ])
        return deleted
    }

    /// Each account's part of the queue now, with its weight: what fair sharing works from.
    public func queueShares() async throws(APIError) -> [QueueShare] {
        try await store.read("read the queue's shares") { [accounts] in try accounts.queueShares() }
    }

    /// What the account's unfinished requests hold from its balance.
    public func reserved(_ accountID: String) async throws(APIError) -> MicroDollars {
        try await store.read("read an account's reservations") { [accounts] in
            try accounts.reserved(accountID: accountID)
        }
    }

    /// Sets an account's own limits (nil: the server's default; 0: unlimited) and, when given,
    /// its queue weight: its share of the workers against other accounts' waiting jobs.
    public func updateLimits(_ accountID: String, _ limits: UsageLimits, queueWeight: Int? = nil)
        async throws(APIError) -> Account
    {
        try Self.check(limits)
        if let queueWeight, !SQLStore.queueWeights.contains(queueWeight) {
            throw APIError.invalid(
                "queue_weight", "must be \(SQLStore.queueWeights.lowerBound) to \(SQLStore.queueWeights.upperBound)")
        }
        _ = try await openAccount(accountID)
        guard
            let account = try await store.write(
                "set an account's limits",
                { [accounts] in
                    if let queueWeight { _ = try accounts.setQueueWeight(accountID: accountID, queueWeight) }
                    return try accounts.updateLimits(accountID: accountID, limits)
                })
        else {
            throw Self.notFound("no account with id \(accountID)")
        }
        recentKeys.forgetAll()
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
        async throws(APIError) -> [LedgerEntry]
    {
        let account = try await openAccount(accountID)
        switch credit {
        case .topUp(let waiveFee):
            guard amount > .zero else { throw APIError.invalid("amount_usd", "must be more than 0") }
            let fee = waiveFee ? .zero : billing.topUpFee(amount)
            return try await store.write("record a top-up") { [accounts] in
                try accounts.topUp(accountID: account.id, paid: amount, fee: fee, note: note)
            }
        case .adjustment:
            guard amount != .zero else { throw APIError.invalid("amount_usd", "must not be 0") }
            do {
                return [
                    try await store.writeRaw { [accounts] in
                        try accounts.adjust(accountID: account.id, by: amount, note: note)
                    }
                ]
            } catch let error as StoreError where error.kind == .refused {
                throw APIError.invalid("amount_usd", error.message)
            } catch {
                throw store.failure("record an adjustment", error)
            }
        }
    }

    public func ledger(_ accountID: String, period: ReportPeriod, limit: Int) async throws(APIError) -> [LedgerEntry] {
        let account = try await account(accountID)
        return try await store.read("read a ledger") { [accounts] in
            try accounts.ledger(accountID: account.id, from: period.from, to: period.to, limit: limit)
        }
    }

    public func usage(_ accountID: String, period: ReportPeriod, limit: Int) async throws(APIError) -> [UsageRow] {
        try await store.read("read usage") { [accounts] in
            try accounts.usage(accountID: accountID, from: period.from, to: period.to, limit: limit)
        }
    }

    public func usageTotals(_ accountID: String, period: ReportPeriod) async throws(APIError) -> UsageTotals {
        try await store.read("read usage totals") { [accounts] in
            try accounts.usageTotals(accountID: accountID, from: period.from, to: period.to)
        }
    }

    // MARK: Keys

    /// Issues a key on an account. `role` is `user` (default) or `admin`; `expiresAt` must be in
    /// the future. The secret is in the answer and nowhere else.
    public func createKey(
        accountID: String, name: String?, role: String?, expiresAt: Date?, limits: UsageLimits, now: Date = Date()
    ) async throws(APIError) -> IssuedAPIKey {
        let account = try await openAccount(accountID)
        guard let role = KeyRole(rawValue: role ?? KeyRole.user.rawValue) else {
            throw APIError.invalid("role", "must be user or admin")
        }
        let name = name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unnamed"
        guard (1...200).contains(name.count) else { throw APIError.invalid("name", "must be 1 to 200 characters") }
        if let expiresAt, expiresAt <= now { throw APIError.invalid("expires_at", "must be in the future") }
        try Self.check(limits)
        return try await store.write("create a key") { [keys] in
            try keys.createKey(
                name: name, accountID: account.id, role: role, secret: nil, expiresAt: expiresAt, limits: limits)
        }
    }

    public func listKeys(accountID: String?) async throws(APIError) -> [APIKey] {
        if let accountID { _ = try await account(accountID) }
        return try await store.read("list keys") { [keys] in try keys.listKeys(accountID: accountID) }
    }

    /// A key for the caller's own account (self-service: the console, the SDK). Always a user
    /// key: admin keys come from the admin API only.
    public func createOwnKey(
        by caller: APIKey, name: String?, role: String?, expiresAt: Date?, limits: UsageLimits
    ) async throws(APIError) -> IssuedAPIKey {
        guard role == nil || role == KeyRole.user.rawValue else {
            throw APIError(
                .invalidAPIKey, "keys made here are user keys; admin keys come from the admin API",
                field: "role", reason: .forbidden)
        }
        return try await createKey(
            accountID: caller.accountID, name: name, role: nil, expiresAt: expiresAt, limits: limits)
    }

    /// Revokes another key of the caller's own account. The calling key cannot revoke itself
    /// here (a console would lock itself out mid-session): use another key.
    public func revokeOwnKey(_ id: String, by caller: APIKey) async throws(APIError) -> APIKey {
        guard id != caller.id else {
            throw APIError.invalid("id", "is the key making this request; revoke it with another key")
        }
        guard let key = try await store.read("read a key", { [keys] in try keys.key(id: id) }),
            key.accountID == caller.accountID
        else { throw Self.notFound("no active key with id \(id)") }
        return try await revokeKey(key.id)
    }

    /// Revokes an active key: its requests fail with 2049 from now on.
    public func revokeKey(_ id: String) async throws(APIError) -> APIKey {
        defer { recentKeys.forgetAll() }
        guard try await store.write("revoke a key", { [keys] in try keys.revokeKey(id: id) }),
            let key = try await store.read("read a key", { [keys] in try keys.key(id: id) })
        else {
            throw Self.notFound("no active key with id \(id)")
        }
        return key
    }

    /// The secret that signs the webhooks of a key's jobs.
    public func webhookSecret(keyID: String) async throws(APIError) -> String {
        guard
            let secret = try await store.read(
                "read a webhook secret", { [webhookSecrets] in try webhookSecrets.webhookSigningSecret(keyID: keyID) })
        else {
            throw Self.notFound("no key with id \(keyID)")
        }
        return secret
    }

    // MARK: Bring your own key

    /// Seals and attaches the account's own MiniMax key (`region` global or cn); its requests
    /// then go to MiniMax on that key and cost nothing here.
    public func attachMiniMaxKey(_ apiKey: String, region: String?, to accountID: String) async throws(APIError)
        -> Account
    {
        let key = apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        // It travels as an HTTP header value: visible ASCII only, or every request on it would fail.
        guard (8...4096).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.invalid("api_key", "must be a MiniMax API key (visible ASCII characters, 8 to 4096)")
        }
        let region = region ?? "global"
        guard region == "global" || region == "cn" else { throw APIError.invalid("region", "must be global or cn") }
        _ = try await openAccount(accountID)
        let sealed: Data
        do {
            sealed = try vault.seal(key, accountID: accountID)
        } catch {
            throw APIError(.systemError, "the key could not be sealed")
        }
        let attached = try await store.write("attach a MiniMax key") { [accounts] in
            try accounts.setMiniMaxKey(accountID: accountID, sealed: sealed, region: region)
        }
        guard attached else {
            throw Self.notFound("no account with id \(accountID)")
        }
        recentKeys.forgetAll()
        return try await account(accountID)
    }

    public func detachMiniMaxKey(from accountID: String) async throws(APIError) -> Account {
        _ = try await store.write("detach a MiniMax key") { [accounts] in
            try accounts.setMiniMaxKey(accountID: accountID, sealed: nil, region: nil)
        }
        recentKeys.forgetAll()
        return try await account(accountID)
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
}

extension AccountsService {
    /// The service over a data directory's store, as the operator commands use it (also while a
    /// server runs on the same directory).
    /// `blobs`: where its objects are, when not in the directory (a fleet's bucket).
    public init(
        dataDirectory: DataDirectory, blobs: (any BlobStore)? = nil, billing: BillingSettings, logger: Logger
    ) throws {
        let store = dataDirectory.store
        self.init(
            accounts: store, keys: store, webhookSecrets: store, billing: billing,
            serverSecret: try dataDirectory.signingSecret(), store: StoreCalls(threads: StoreThreads(), logger: logger),
            blobs: blobs ?? dataDirectory.blobs)
    }
}

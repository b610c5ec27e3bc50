import Foundation
import LikenessCore

/// How an account pays.
public enum AccountBilling: String, Sendable, Hashable, CaseIterable {
    /// From a prepaid balance: every request reserves its price, and is refused without it.
    case prepaid
    /// Never charged (the operator's own house account, created with the first key).
    case unmetered
}

/// Request limits of an account or a key. Nil: the server's configured default; 0: unlimited.
public struct UsageLimits: Sendable, Hashable {
    public var requestsPerMinute: Int?
    /// Requests queued or running at once.
    public var concurrentJobs: Int?

    public init(requestsPerMinute: Int? = nil, concurrentJobs: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
    }

    public static let unlimited = UsageLimits(requestsPerMinute: 0, concurrentJobs: 0)
}

public struct Account: Sendable, Hashable {
    public var id: String
    public var name: String
    public var billing: AccountBilling
    /// What can be spent now (reservations of requests in progress already taken out).
    public var balance: MicroDollars
    public var limits: UsageLimits
    /// The region of the attached MiniMax key (`global` or `cn`); nil without one.
    public var miniMaxKeyRegion: String?
    public var createdAt: Date
    /// When the account was deleted (`AccountRepository.deleteAccount`); nil while it is open.
    public var deletedAt: Date?
    /// Its share of the queue against other accounts' waiting jobs (`SQLStore.queueWeights`);
    /// nil: 1.
    public var queueWeight: Int?

    public var hasMiniMaxKey: Bool { miniMaxKeyRegion != nil }
    public var isDeleted: Bool { deletedAt != nil }
}

/// One account's part of the queue now: its weight, its jobs waiting and running.
public struct QueueShare: Sendable, Hashable {
    public var accountID: String
    public var name: String
    public var weight: Int
    public var queued: Int
    public var running: Int
}

/// What deleting an account removed from the store, so the caller can delete the objects the
/// rows named: output images, character photos (with their thumbnails), uploads, job inputs.
public struct DeletedAccount: Sendable, Hashable {
    public var account: Account
    /// The balance it held, given back by a ledger adjustment to zero.
    public var refunded: MicroDollars
    /// Output images with a file here (not those left at an upstream provider).
    public var images: [StoredImage.File]
    public var characterIDs: [String]
    public var characterPhotoIDs: [String]
    public var uploadIDs: [String]
    public var jobIDs: [String]
    public var revokedKeys: Int

    public init(
        account: Account, refunded: MicroDollars, images: [StoredImage.File], characterIDs: [String],
        characterPhotoIDs: [String], uploadIDs: [String], jobIDs: [String], revokedKeys: Int
    ) {
        self.account = account
        self.refunded = refunded
        self.images = images
        self.characterIDs = characterIDs
        self.characterPhotoIDs = characterPhotoIDs
        self.uploadIDs = uploadIDs
        self.jobIDs = jobIDs
        self.revokedKeys = revokedKeys
    }
}

/// One append-only ledger row. `amount` is its effect on the balance.
public struct LedgerEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A payment received, in full.
        case topUp = "top_up"
        /// The platform fee taken from a top-up.
        case fee
        /// An operator's correction, either way.
        case adjustment
        /// Held when a request is accepted: images requested × price.
        case reservation
        /// The reservation given back when its request ends (all of it, whatever happened).
        case release
        /// What the request cost: images delivered × price, taken when it ends.
        case charge
    }

    public var sequence: Int64
    public var accountID: String
    public var kind: Kind
    public var amount: MicroDollars
    public var balanceAfter: MicroDollars
    /// The request (job) id, for reservations, releases and charges.
    public var requestID: String?
    public var note: String?
    public var createdAt: Date
}

/// What must hold for a job to be queued, checked in the transaction that queues it (so
/// concurrent requests cannot together overdraw a balance or pass a concurrency limit).
public struct Admission: Sendable, Hashable {
    /// Queued plus running jobs allowed at once; nil or 0: no limit.
    public var concurrentJobsPerKey: Int?
    public var concurrentJobsPerAccount: Int?
    /// `Idempotency-Key`: a second request with it returns the first one's job.
    public var idempotencyKey: String?
    /// Identifies the request's content, so a reused key with a different request is refused.
    public var fingerprint: String?
    /// How long an idempotency key is remembered.
    public var idempotencyWindow: TimeInterval
    /// Jobs that may wait in the queue (all callers together); nil: no limit.
    public var maximumQueuedJobs: Int?
    /// Start the job in the transaction that accepts it, when no job of its priority or higher
    /// waits in the queue: a synchronous request with a worker's slot free runs it itself.
    public var startNow: ImmediateStart?

    public init(
        concurrentJobsPerKey: Int? = nil, concurrentJobsPerAccount: Int? = nil, idempotencyKey: String? = nil,
        fingerprint: String? = nil, idempotencyWindow: TimeInterval = 86_400, maximumQueuedJobs: Int? = nil,
        startNow: ImmediateStart? = nil
    ) {
        self.startNow = startNow
        self.maximumQueuedJobs = maximumQueuedJobs
        self.concurrentJobsPerKey = concurrentJobsPerKey
        self.concurrentJobsPerAccount = concurrentJobsPerAccount
        self.idempotencyKey = idempotencyKey
        self.fingerprint = fingerprint
        self.idempotencyWindow = idempotencyWindow
    }
}

/// A job claimed as it is queued (`Admission.startNow`): the claim's engine and lease, and the
/// job's first log lines.
public struct ImmediateStart: Sendable, Hashable {
    public var engine: String
    public var lease: JobLease
    public var log: [JobLogLine]

    public init(engine: String, lease: JobLease, log: [JobLogLine]) {
        self.engine = engine
        self.lease = lease
        self.log = log
    }
}

public enum EnqueueOutcome: Sendable, Hashable {
    case queued
    /// Queued and claimed at once (`Admission.startNow`): the job as running now.
    case started(JobRecord)
    /// The idempotency key was already used for this same request: this is its job.
    case duplicate(JobRecord)
}

/// Why a job was not queued. Nothing was written.
public enum AdmissionRefusal: Error, Sendable, Hashable {
    case insufficientCredits(needed: MicroDollars, balance: MicroDollars)
    case tooManyJobs(scope: LimitScope, limit: Int)
    /// The idempotency key was used for a different request.
    case idempotencyKeyReused
    /// `maximumQueuedJobs` are already waiting.
    case queueFull(limit: Int)
}

public enum LimitScope: String, Sendable, Hashable {
    case key, account
}

/// How startup found the books.
public struct ReconciliationReport: Sendable, Hashable {
    /// Finished jobs whose reservation had not been settled: settled now.
    public var settledJobs: [String] = []
    /// Accounts whose stored balance disagreed with the sum of their ledger: set to the sum.
    public var correctedAccounts: [String] = []

    public var isClean: Bool { settledJobs.isEmpty && correctedAccounts.isEmpty }
}

/// Accounts, their balances, and the append-only ledger that explains every balance.
public protocol AccountRepository: Sendable {
    func createAccount(name: String, billing: AccountBilling, limits: UsageLimits) throws -> Account
    func account(id: String) throws -> Account?
    func listAccounts() throws -> [Account]
    /// Sets the given limits (nil fields are kept). Nil when no such account exists.
    func updateLimits(accountID: String, _ limits: UsageLimits) throws -> Account?
    /// Sets the account's queue weight (nil: back to 1). Nil when no such account exists.
    func setQueueWeight(accountID: String, _ weight: Int?) throws -> Account?
    /// Every account with jobs queued or running, most waiting first.
    func queueShares() throws -> [QueueShare]
    /// Reservations of the account's requests still in progress.
    func reserved(accountID: String) throws -> MicroDollars
    /// Records a payment of `paid`, less `fee`, as a `top_up` and a `fee` row. Returns the rows.
    func topUp(accountID: String, paid: MicroDollars, fee: MicroDollars, note: String?) throws -> [LedgerEntry]
    /// A correction either way; refused (throws) if it would take the balance below zero.
    func adjust(accountID: String, by amount: MicroDollars, note: String?) throws -> LedgerEntry
    /// Rows oldest first, in `[from, to)`.
    func ledger(accountID: String, from: Date, to: Date, limit: Int) throws -> [LedgerEntry]
    /// The account's requests in `[from, to)`, oldest first, at most `limit`.
    func usage(accountID: String, from: Date, to: Date, limit: Int) throws -> [UsageRow]
    func usageTotals(accountID: String, from: Date, to: Date) throws -> UsageTotals
    /// Attaches (or with nil, removes) the account's MiniMax key, sealed by the caller.
    func setMiniMaxKey(accountID: String, sealed: Data?, region: String?) throws -> Bool
    func sealedMiniMaxKey(accountID: String) throws -> (sealed: Data, region: String)?
    /// Deletes what the account holds, in one transaction: its characters, uploads, jobs (with
    /// their images, inputs, logs and webhooks); revokes its keys and its MiniMax key; gives its
    /// balance back by an adjustment. The account's row and its ledger stay, marked deleted, as
    /// the books. Deleting a deleted account again removes whatever arrived since. Nil when no
    /// such account exists; `StoreError.refused` (nothing written) while any of its jobs is queued
    /// or running.
    func deleteAccount(id: String, at date: Date) throws -> DeletedAccount?
    /// Settles what a crash left unsettled and makes every balance equal its ledger's sum.
    func reconcileAccounts() throws -> ReconciliationReport
}

import Foundation

// The JSON bodies of the account, usage and admin endpoints, shared by the server and by any
// client that reads them. Keys are snake_case on the wire (`AccountsWire.encoder`); amounts are
// decimal dollar strings (`MicroDollars`); times are ISO 8601.

public enum AccountsWire {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// `GET /v1/balance`.
public struct BalanceBody: Codable, Sendable, Hashable {
    public var object = "balance"
    public var accountId: String
    /// `prepaid` or `unmetered`.
    public var billing: String
    /// What can be spent now: top-ups less fees, charges and the reservations of requests still
    /// in progress.
    public var balanceUsd: MicroDollars
    /// Held for requests still in progress; whatever they do not deliver comes back.
    public var reservedUsd: MicroDollars
    public var currency = "USD"
    /// Per-image prices by model; $0 while the account's own MiniMax key is attached.
    public var pricesUsd: [String: MicroDollars]
    public var byok: BYOKStatus
    /// The key that asked, and its role (`user` or `admin`): who the caller is.
    public var keyId: String?
    public var keyRole: String?

    public init(
        accountId: String, billing: String, balanceUsd: MicroDollars, reservedUsd: MicroDollars,
        pricesUsd: [String: MicroDollars], byok: BYOKStatus, keyId: String? = nil, keyRole: String? = nil
    ) {
        self.keyId = keyId
        self.keyRole = keyRole
        self.accountId = accountId
        self.billing = billing
        self.balanceUsd = balanceUsd
        self.reservedUsd = reservedUsd
        self.pricesUsd = pricesUsd
        self.byok = byok
    }
}

/// Whether an account's own MiniMax key is attached. The key itself is never returned.
public struct BYOKStatus: Codable, Sendable, Hashable {
    public var minimax: Bool
    /// `global` or `cn`, when attached.
    public var minimaxRegion: String?

    public init(minimax: Bool, minimaxRegion: String?) {
        self.minimax = minimax
        self.minimaxRegion = minimaxRegion
    }
}

/// One request in `GET /v1/usage`.
public struct UsageRow: Codable, Sendable, Hashable {
    public var requestId: String
    public var createdAt: Date
    public var keyId: String?
    /// `minimax`, `openai` or `fal`.
    public var dialect: String
    public var model: String?
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    public var status: String
    public var errorCode: Int?
    public var imagesRequested: Int
    public var imagesDelivered: Int
    /// Withheld by content safety: never charged.
    public var imagesBlocked: Int
    public var priceUsd: MicroDollars
    /// What was charged: delivered images × price, once the request has ended; $0 before.
    public var costUsd: MicroDollars
    /// Served with the account's own MiniMax key, at no charge here.
    public var byok: Bool
    public var engine: String?
    /// The lowest identity score of the delivered images (subject-reference requests).
    public var identityScore: Double?

    public init(
        requestId: String, createdAt: Date, keyId: String?, dialect: String, model: String?, status: String,
        errorCode: Int?, imagesRequested: Int, imagesDelivered: Int, imagesBlocked: Int, priceUsd: MicroDollars,
        costUsd: MicroDollars, byok: Bool, engine: String?, identityScore: Double? = nil
    ) {
        self.requestId = requestId
        self.createdAt = createdAt
        self.keyId = keyId
        self.dialect = dialect
        self.model = model
        self.status = status
        self.errorCode = errorCode
        self.imagesRequested = imagesRequested
        self.imagesDelivered = imagesDelivered
        self.imagesBlocked = imagesBlocked
        self.priceUsd = priceUsd
        self.costUsd = costUsd
        self.byok = byok
        self.engine = engine
        self.identityScore = identityScore
    }

    public static let csvHeader =
        "request_id,created_at,key_id,dialect,model,status,error_code,images_requested,images_delivered,"
        + "images_blocked,price_usd,cost_usd,byok,engine,identity_score"

    /// One CSV line (RFC 4180 quoting where a field needs it).
    public var csvLine: String {
        let fields: [String] = [
            requestId, createdAt.formatted(.iso8601), keyId ?? "", dialect, model ?? "", status,
            errorCode.map(String.init) ?? "", String(imagesRequested), String(imagesDelivered),
            String(imagesBlocked), priceUsd.usd, costUsd.usd, byok ? "true" : "false", engine ?? "",
            identityScore.map { String($0) } ?? "",
        ]
        return fields.map(Self.csvField).joined(separator: ",")
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// `GET /v1/usage`: the requests of a date range, and their totals.
public struct UsageBody: Codable, Sendable, Hashable {
    public var object = "usage"
    public var accountId: String
    public var from: Date
    public var to: Date
    public var totals: UsageTotals
    public var data: [UsageRow]
    /// More requests fall in the range than `data` holds (narrow the range, or use CSV).
    public var hasMore: Bool

    public init(accountId: String, from: Date, to: Date, totals: UsageTotals, data: [UsageRow], hasMore: Bool) {
        self.accountId = accountId
        self.from = from
        self.to = to
        self.totals = totals
        self.data = data
        self.hasMore = hasMore
    }
}

public struct UsageTotals: Codable, Sendable, Hashable {
    public var requests: Int
    public var imagesDelivered: Int
    public var costUsd: MicroDollars

    public init(requests: Int, imagesDelivered: Int, costUsd: MicroDollars) {
        self.requests = requests
        self.imagesDelivered = imagesDelivered
        self.costUsd = costUsd
    }
}

/// An account, as the admin API shows it.
public struct AccountBody: Codable, Sendable, Hashable {
    public var object = "account"
    public var id: String
    public var name: String
    public var billing: String
    public var balanceUsd: MicroDollars
    public var reservedUsd: MicroDollars
    /// Nil: the server's default; 0: unlimited.
    public var requestsPerMinute: Int?
    public var concurrentJobs: Int?
    public var byok: BYOKStatus
    public var createdAt: Date
    /// The fee a top-up pays, in percent (the server's `billing.topUpFeePercent`): what an
    /// operator sees before confirming one.
    public var topUpFeePercent: String?
    /// Set once the account is deleted: it is kept as the books only.
    public var deletedAt: Date?
    /// Its share of the queue against other accounts' waiting jobs.
    public var queueWeight: Int

    public init(
        id: String, name: String, billing: String, balanceUsd: MicroDollars, reservedUsd: MicroDollars,
        requestsPerMinute: Int?, concurrentJobs: Int?, byok: BYOKStatus, createdAt: Date,
        topUpFeePercent: String? = nil, deletedAt: Date? = nil, queueWeight: Int = 1
    ) {
        self.queueWeight = queueWeight
        self.deletedAt = deletedAt
        self.topUpFeePercent = topUpFeePercent
        self.id = id
        self.name = name
        self.billing = billing
        self.balanceUsd = balanceUsd
        self.reservedUsd = reservedUsd
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
        self.byok = byok
        self.createdAt = createdAt
    }
}

/// `GET /v1/admin/queue`: each account with jobs waiting or running, and its weight.
public struct QueueSharesBody: Codable, Sendable, Hashable {
    public struct Share: Codable, Sendable, Hashable {
        public var accountId: String
        public var name: String
        public var queueWeight: Int
        public var queued: Int
        public var running: Int

        public init(accountId: String, name: String, queueWeight: Int, queued: Int, running: Int) {
            self.accountId = accountId
            self.name = name
            self.queueWeight = queueWeight
            self.queued = queued
            self.running = running
        }
    }

    public var object = "queue"
    public var queued: Int
    public var running: Int
    public var accounts: [Share]

    public init(accounts: [Share]) {
        self.accounts = accounts
        queued = accounts.reduce(0) { $0 + $1.queued }
        running = accounts.reduce(0) { $0 + $1.running }
    }
}

/// What deleting an account removed (`DELETE /v1/admin/accounts/{id}`), and the balance it gave back.
public struct DeletedAccountBody: Codable, Sendable, Hashable {
    public var object = "account.deleted"
    public var id: String
    public var deleted = true
    public var refundedUsd: MicroDollars
    public var requests: Int
    public var images: Int
    public var characters: Int
    public var uploads: Int
    public var revokedKeys: Int

    public init(
        id: String, refundedUsd: MicroDollars, requests: Int, images: Int, characters: Int, uploads: Int,
        revokedKeys: Int
    ) {
        self.id = id
        self.refundedUsd = refundedUsd
        self.requests = requests
        self.images = images
        self.characters = characters
        self.uploads = uploads
        self.revokedKeys = revokedKeys
    }
}

/// An API key, as the admin API shows it. `secret` and `webhookSecret` only in the answer that
/// creates it: the secret is stored as its SHA-256 and can never be shown again.
public struct KeyBody: Codable, Sendable, Hashable {
    public var object = "api_key"
    public var id: String
    public var name: String
    public var accountId: String
    /// `user` or `admin`.
    public var role: String
    public var prefix: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var requestsPerMinute: Int?
    public var concurrentJobs: Int?
    public var secret: String?
    public var webhookSecret: String?

    public init(
        id: String, name: String, accountId: String, role: String, prefix: String, createdAt: Date,
        expiresAt: Date?, revokedAt: Date?, lastUsedAt: Date?, requestsPerMinute: Int?, concurrentJobs: Int?,
        secret: String? = nil, webhookSecret: String? = nil
    ) {
        self.id = id
        self.name = name
        self.accountId = accountId
        self.role = role
        self.prefix = prefix
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
        self.secret = secret
        self.webhookSecret = webhookSecret
    }
}

/// One ledger row.
public struct LedgerRow: Codable, Sendable, Hashable {
    public var seq: Int64
    /// `top_up`, `fee`, `adjustment`, `reservation`, `release` or `charge`.
    public var kind: String
    /// Its effect on the balance (negative: money out).
    public var amountUsd: MicroDollars
    public var balanceAfterUsd: MicroDollars
    public var requestId: String?
    public var note: String?
    public var createdAt: Date

    public init(
        seq: Int64, kind: String, amountUsd: MicroDollars, balanceAfterUsd: MicroDollars, requestId: String?,
        note: String?, createdAt: Date
    ) {
        self.seq = seq
        self.kind = kind
        self.amountUsd = amountUsd
        self.balanceAfterUsd = balanceAfterUsd
        self.requestId = requestId
        self.note = note
        self.createdAt = createdAt
    }
}

/// A list answer of the admin API.
public struct ListBody<Item: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var object = "list"
    public var data: [Item]

    public init(data: [Item]) {
        self.data = data
    }
}

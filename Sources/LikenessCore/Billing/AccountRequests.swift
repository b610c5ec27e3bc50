import Foundation

// The request bodies of the account and admin endpoints (decoded with `AccountsWire.decoder`).

/// `POST /v1/admin/accounts`.
public struct CreateAccountBody: Codable, Sendable, Hashable {
    public var name: String
    /// `prepaid` (default) or `unmetered`.
    public var billing: String?
    public var requestsPerMinute: Int?
    public var concurrentJobs: Int?

    public init(name: String, billing: String? = nil, requestsPerMinute: Int? = nil, concurrentJobs: Int? = nil) {
        self.name = name
        self.billing = billing
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
    }
}

/// `PATCH /v1/admin/accounts/{id}`: the limits to set (0: unlimited). Absent fields are kept.
public struct UpdateLimitsBody: Codable, Sendable, Hashable {
    public var requestsPerMinute: Int?
    public var concurrentJobs: Int?
    /// The account's share of the queue against other accounts (1–100).
    public var queueWeight: Int?

    public init(requestsPerMinute: Int? = nil, concurrentJobs: Int? = nil, queueWeight: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
        self.queueWeight = queueWeight
    }
}

/// `POST /v1/admin/accounts/{id}/keys`.
public struct CreateKeyBody: Codable, Sendable, Hashable {
    public var name: String?
    /// `user` (default) or `admin`.
    public var role: String?
    public var expiresAt: Date?
    public var requestsPerMinute: Int?
    public var concurrentJobs: Int?

    public init(
        name: String? = nil, role: String? = nil, expiresAt: Date? = nil, requestsPerMinute: Int? = nil,
        concurrentJobs: Int? = nil
    ) {
        self.name = name
        self.role = role
        self.expiresAt = expiresAt
        self.requestsPerMinute = requestsPerMinute
        self.concurrentJobs = concurrentJobs
    }
}

/// `POST /v1/admin/accounts/{id}/credits`: a payment received (`amount_usd`), credited less the
/// platform fee unless `waive_fee`; or, with `kind: "adjustment"`, a correction either way with
/// no fee.
public struct CreditBody: Codable, Sendable, Hashable {
    public var amountUsd: MicroDollars
    public var kind: String?
    public var waiveFee: Bool?
    public var note: String?

    public init(amountUsd: MicroDollars, kind: String? = nil, waiveFee: Bool? = nil, note: String? = nil) {
        self.amountUsd = amountUsd
        self.kind = kind
        self.waiveFee = waiveFee
        self.note = note
    }
}

/// `PUT /v1/account/minimax-key`: the account's own MiniMax key.
public struct MiniMaxKeyBody: Codable, Sendable, Hashable {
    public var apiKey: String
    /// `global` (default, api.minimax.io) or `cn` (api.minimaxi.com): a key works on its own region only.
    public var region: String?

    public init(apiKey: String, region: String? = nil) {
        self.apiKey = apiKey
        self.region = region
    }
}

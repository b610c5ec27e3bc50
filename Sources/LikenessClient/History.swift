import Foundation
import LikenessCore

/// Requests as their history shows them: the account's own (`generations`), or every
/// account's for an operator (`admin.jobs`). Likeness only.
extension LikenessClient {
    /// Which requests a history page lists; every filter given must hold.
    public struct HistoryFilter: Sendable, Hashable {
        /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
        public var status: String?
        public var model: String?
        /// `minimax`, `openai`, `fal` or `mcp`.
        public var dialect: String?
        public var characterID: String?
        /// Created at or after.
        public var from: Date?
        /// Created before.
        public var to: Date?

        public init(
            status: String? = nil, model: String? = nil, dialect: String? = nil, characterID: String? = nil,
            from: Date? = nil, to: Date? = nil
        ) {
            self.status = status
            self.model = model
            self.dialect = dialect
            self.characterID = characterID
            self.from = from
            self.to = to
        }

        var queryItems: [URLQueryItem] {
            var items: [URLQueryItem] = []
            func add(_ name: String, _ value: String?) {
                if let value { items.append(URLQueryItem(name: name, value: value)) }
            }
            add("status", status)
            add("model", model)
            add("dialect", dialect)
            add("character_id", characterID)
            add("from", from.map { $0.formatted(.iso8601) })
            add("to", to.map { $0.formatted(.iso8601) })
            return items
        }
    }

    /// One page of the account's requests, newest first; pass the last page's `lastId` as `after`.
    public func generations(limit: Int = 20, after: String? = nil, filter: HistoryFilter = HistoryFilter())
        async throws(LikenessError) -> GenerationListBody
    {
        try await account(
            .get, "/v1/generations", query: Self.page(limit, after) + filter.queryItems, as: GenerationListBody.self)
    }

    /// One of the account's requests, with its log.
    public func generation(id: String) async throws(LikenessError) -> GenerationBody {
        try await account(.get, "/v1/generations/\(id)", as: GenerationBody.self)
    }

    static func page(_ limit: Int, _ after: String?) -> [URLQueryItem] {
        [URLQueryItem(name: "limit", value: String(limit))]
            + (after.map { [URLQueryItem(name: "after", value: $0)] } ?? [])
    }
}

extension Admin {
    /// One page of every account's requests, newest first, narrowed by `filter`, an account, the
    /// engine that ran them, or the catalogue code they failed with.
    public func jobs(
        limit: Int = 20, after: String? = nil, filter: LikenessClient.HistoryFilter = .init(), accountID: String? = nil,
        engine: String? = nil, errorCode: Int? = nil
    ) async throws(LikenessError) -> GenerationListBody {
        var query = LikenessClient.page(limit, after) + filter.queryItems
        if let accountID { query.append(URLQueryItem(name: "account", value: accountID)) }
        if let engine { query.append(URLQueryItem(name: "engine", value: engine)) }
        if let errorCode { query.append(URLQueryItem(name: "error_code", value: String(errorCode))) }
        return try await client.account(.get, "/v1/admin/jobs", query: query, as: GenerationListBody.self)
    }

    /// Any account's request, with its log.
    public func job(id: String) async throws(LikenessError) -> GenerationBody {
        try await client.account(.get, "/v1/admin/jobs/\(id)", as: GenerationBody.self)
    }

    /// The server's counters and gauges now; rates come from two readings.
    public func metrics() async throws(LikenessError) -> MetricsBody {
        try await client.account(.get, "/v1/admin/metrics", as: MetricsBody.self)
    }
}

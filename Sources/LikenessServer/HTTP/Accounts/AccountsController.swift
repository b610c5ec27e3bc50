import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore
import NIOCore
import NIOFoundationEssentialsCompat

/// The caller's own account: `GET /v1/balance`, `GET /v1/usage` (JSON or CSV, by date range),
/// `PUT|DELETE /v1/account/minimax-key` (bring your own MiniMax key), and its keys
/// (`GET|POST /v1/keys`, `DELETE /v1/keys/{id}`). Errors are in
/// OpenAI's shape. Every answer is about the calling key's account only; the rules are
/// `AccountsService`'s.
struct AccountsController: Sendable {
    let accounts: AccountsService
    let support: RequestSupport

    /// Rows in one answer, at most: past them, JSON says `has_more` and CSV stops (narrow the
    /// date range). The answer is built in memory, so this bounds it (about 20 MB of CSV).
    static let jsonRowLimit = 10_000
    static let csvRowLimit = 100_000

    /// The caller's own routes, in a group behind authentication (errors in OpenAI's shape).
    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/balance", use: showBalance)
        routes.get("/v1/usage", use: showUsage)
        routes.put("/v1/account/minimax-key", use: attachMiniMaxKey)
        routes.delete("/v1/account/minimax-key", use: detachMiniMaxKey)
        routes.get("/v1/keys", use: listKeys)
        routes.post("/v1/keys", use: createKey)
        routes.delete("/v1/keys/{id}", use: revokeKey)
        return routes
    }

    @Sendable func showBalance(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        // Read again: the caller's account may come from the key cache, its balance older.
        var body = try await balance(of: try await accounts.account(caller.account.id))
        body.keyId = caller.key.id
        body.keyRole = caller.key.role.rawValue
        return try json(body)
    }

    @Sendable func showUsage(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try await usage(of: try context.requireCaller().account.id, request: request)
    }

    @Sendable func attachMiniMaxKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let body = try await decode(MiniMaxKeyBody.self, from: request)
        let account = try await accounts.attachMiniMaxKey(
            body.apiKey, region: body.region, to: try context.requireCaller().account.id)
        return try json(try await balance(of: account))
    }

    @Sendable func detachMiniMaxKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try json(
            try await balance(of: try await accounts.detachMiniMaxKey(from: try context.requireCaller().account.id)))
    }

    @Sendable func listKeys(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let keys = try await accounts.listKeys(accountID: try context.requireCaller().account.id)
        return try json(ListBody(data: keys.map(KeyBody.init)))
    }

    @Sendable func createKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let create = try await decode(CreateKeyBody.self, from: request)
        let issued = try await accounts.createOwnKey(
            by: try context.requireCaller().key, name: create.name, role: create.role, expiresAt: create.expiresAt,
            limits: UsageLimits(requestsPerMinute: create.requestsPerMinute, concurrentJobs: create.concurrentJobs))
        return try json(KeyBody(issued))
    }

    @Sendable func revokeKey(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        try json(
            KeyBody(try await accounts.revokeOwnKey(try context.parameter("id"), by: try context.requireCaller().key)))
    }

    // MARK: Shared with the admin API

    func balance(of account: Account) async throws(APIError) -> BalanceBody {
        BalanceBody(
            accountId: account.id, billing: account.billing.rawValue, balanceUsd: account.balance,
            reservedUsd: try await accounts.reserved(account.id),
            pricesUsd: Dictionary(
                uniqueKeysWithValues: accounts.prices(for: account).map { ($0.key.rawValue, $0.value) }),
            byok: Self.byokStatus(account))
    }

    static func byokStatus(_ account: Account) -> BYOKStatus {
        BYOKStatus(minimax: account.hasMiniMaxKey, minimaxRegion: account.miniMaxKeyRegion)
    }

    /// `from` and `to` are dates (`2026-11-01`, whole UTC days, `to` included) or ISO 8601
    /// times; by default the last 30 days. `format=csv` (or `Accept: text/csv`) answers CSV.
    func usage(of accountID: String, request: Request) async throws(APIError) -> Response {
        let query = request.uri.queryParameters
        let period = try ReportPeriod.usage(from: query.get("from"), to: query.get("to"))
        let wantsCSV =
            query.get("format")?.lowercased() == "csv"
            || (request.headers[.accept]?.contains("text/csv") ?? false)
        if wantsCSV {
            let rows = try await accounts.usage(accountID, period: period, limit: Self.csvRowLimit)
            var text = UsageRow.csvHeader + "\r\n"
            for row in rows { text += row.csvLine + "\r\n" }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"likeness-usage-\(accountID).csv\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let limit = min(max(1, query.get("limit").flatMap { Int($0) } ?? 1000), Self.jsonRowLimit)
        let rows = try await accounts.usage(accountID, period: period, limit: limit + 1)
        return try json(
            UsageBody(
                accountId: accountID, from: period.from, to: period.to,
                totals: try await accounts.usageTotals(accountID, period: period), data: Array(rows.prefix(limit)),
                hasMore: rows.count > limit))
    }

    // MARK: Plumbing

    /// Reads a JSON body into `Body`, with the field at fault named on failure.
    func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws(APIError) -> Body {
        let data = try await support.readBody(request)
        do {
            return try AccountsWire.decoder.decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw APIError(.invalidParameters, "invalid params, \(Self.describe(error))", field: Self.field(of: error))
        } catch {
            throw APIError(.invalidParameters, "invalid params, the body is not JSON")
        }
    }

    func json(_ body: some Encodable) throws(APIError) -> Response {
        try support.json(body)
    }

    /// Runs `body` and renders an `APIError` in OpenAI's shape. Nothing here may be cached.
    static func field(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: path = []
        }
        let names = path.map { $0.stringValue.snakeCased }
        return names.isEmpty ? nil : names.joined(separator: ".")
    }

    static func describe(_ error: DecodingError) -> String {
        let field = field(of: error) ?? "the body"
        switch error {
        case .keyNotFound: return "\(field) is required"
        case .typeMismatch(let type, _): return "\(field) must be \(type == String.self ? "a string" : "\(type)")"
        case .valueNotFound: return "\(field) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not JSON" : "\(field): \(context.debugDescription)"
        @unknown default: return "\(field) is invalid"
        }
    }
}

extension String {
    /// `amountUsd` → `amount_usd`, as the wire spells fields.
    fileprivate var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension HTTPField.Name {
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
}

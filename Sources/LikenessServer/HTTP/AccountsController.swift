import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessStore
import NIOCore

/// The caller's own account: `GET /v1/balance`, `GET /v1/usage` (JSON or CSV, by date range),
/// and `PUT|DELETE /v1/account/minimax-key` (bring your own MiniMax key). Errors are in
/// OpenAI's shape. Every answer is about the calling key's account only.
struct AccountsController: Sendable {
    let accounts: any AccountRepository
    let keys: any APIKeyRepository
    let authenticator: Authenticator
    let billing: BillingSettings
    let vault: CredentialVault
    let support: RequestSupport

    /// Rows in one answer, at most: past them, JSON says `has_more` and CSV stops (narrow the
    /// date range). The answer is built in memory, so this bounds it (about 20 MB of CSV).
    static let jsonRowLimit = 10_000
    static let csvRowLimit = 100_000

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/v1/balance") { request, _ in
            await answer { () throws(APIError) in
                let caller = try caller(of: request)
                return try json(try balance(of: caller.account))
            }
        }
        router.get("/v1/usage") { request, _ in
            await answer { () throws(APIError) in
                let caller = try caller(of: request)
                return try usage(of: caller.account.id, request: request)
            }
        }
        router.put("/v1/account/minimax-key") { request, _ in
            await answer { () throws(APIError) in
                let caller = try caller(of: request)
                let body = try await decode(MiniMaxKeyBody.self, from: request)
                return try attachMiniMaxKey(body, to: caller.account.id)
            }
        }
        router.delete("/v1/account/minimax-key") { request, _ in
            await answer { () throws(APIError) in
                let caller = try caller(of: request)
                return try detachMiniMaxKey(from: caller.account.id)
            }
        }
    }

    // MARK: Shared with the admin API

    /// The calling key: `Bearer`, or fal's `Key`, so that each dialect's clients can read their
    /// balance with the header they already send.
    func caller(of request: Request) throws(APIError) -> Caller {
        try authenticator.authenticate(request.headers[.authorization], schemes: ["bearer", "key"])
    }

    func balance(of account: Account) throws(APIError) -> BalanceBody {
        let reserved = try store { try accounts.reserved(accountID: account.id) }
        let prices = Dictionary(
            uniqueKeysWithValues: ImageModel.allCases.map { model in
                (
                    model.rawValue,
                    account.hasMiniMaxKey || account.billing == .unmetered ? MicroDollars.zero : billing.price(model)
                )
            })
        return BalanceBody(
            accountId: account.id, billing: account.billing.rawValue, balanceUsd: account.balance,
            reservedUsd: reserved, pricesUsd: prices, byok: byokStatus(account))
    }

    func byokStatus(_ account: Account) -> BYOKStatus {
        BYOKStatus(minimax: account.hasMiniMaxKey, minimaxRegion: account.miniMaxKeyRegion)
    }

    /// `from` and `to` are dates (`2026-11-01`, whole UTC days, `to` included) or ISO 8601
    /// times; by default the last 30 days. `format=csv` (or `Accept: text/csv`) answers CSV.
    func usage(of accountID: String, request: Request) throws(APIError) -> Response {
        let query = request.uri.queryParameters
        let period = try ReportPeriod.usage(from: query.get("from"), to: query.get("to"))
        let (from, to) = (period.from, period.to)
        let wantsCSV =
            query.get("format")?.lowercased() == "csv"
            || (request.headers[.accept]?.contains("text/csv") ?? false)
        if wantsCSV {
            let rows = try store {
                try accounts.usage(accountID: accountID, from: from, to: to, limit: Self.csvRowLimit)
            }
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
        let rows = try store { try accounts.usage(accountID: accountID, from: from, to: to, limit: limit + 1) }
        let totals = try store { try accounts.usageTotals(accountID: accountID, from: from, to: to) }
        return try json(
            UsageBody(
                accountId: accountID, from: from, to: to, totals: totals, data: Array(rows.prefix(limit)),
                hasMore: rows.count > limit))
    }

    func attachMiniMaxKey(_ body: MiniMaxKeyBody, to accountID: String) throws(APIError) -> Response {
        let key = body.apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (8...4096).contains(key.utf8.count), !key.contains(where: \.isWhitespace) else {
            throw APIError.invalid("api_key", "must be a MiniMax API key")
        }
        let region = body.region ?? "global"
        guard region == "global" || region == "cn" else { throw APIError.invalid("region", "must be global or cn") }
        let sealed: Data
        do {
            sealed = try vault.seal(key, accountID: accountID)
        } catch {
            throw APIError(.systemError, "the key could not be sealed")
        }
        guard try store({ try accounts.setMiniMaxKey(accountID: accountID, sealed: sealed, region: region) }) else {
            throw AdminController.notFound("no account with id \(accountID)")
        }
        return try json(try balance(of: try account(accountID)))
    }

    func detachMiniMaxKey(from accountID: String) throws(APIError) -> Response {
        _ = try store { try accounts.setMiniMaxKey(accountID: accountID, sealed: nil, region: nil) }
        return try json(try balance(of: try account(accountID)))
    }

    func account(_ id: String) throws(APIError) -> Account {
        guard let account = try store({ try accounts.account(id: id) }) else {
            throw AdminController.notFound("no account with id \(id)")
        }
        return account
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
        do {
            let data = try AccountsWire.encoder.encode(body)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: data)))
        } catch {
            throw APIError(.internalError, "the answer could not be encoded")
        }
    }

    /// Runs `body` and renders an `APIError` in OpenAI's shape.
    func answer(_ body: () async throws(APIError) -> Response) async -> Response {
        do {
            var response = try await body()
            response.headers[.cacheControl] = "no-store"
            return response
        } catch {
            let rendered = OpenAIImagesController.rendered(OpenAIError(error))
            var headers = rendered.headers
            headers[.contentType] = "application/json"
            return Response(
                status: rendered.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: rendered.body)))
        }
    }

    /// A store call, its failure reported as a system error.
    func store<Value>(_ body: () throws -> Value) throws(APIError) -> Value {
        do {
            return try body()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.systemError, "the account store failed: \(error)")
        }
    }

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

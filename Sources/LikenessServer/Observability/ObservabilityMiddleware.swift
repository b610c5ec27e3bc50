import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessService
import Logging

/// Outermost: counts and times every request for `/metrics`, and writes the access log, one
/// structured line a request (`access.level`, off by default).
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let metrics: ServerMetrics
    /// Nil: no access log.
    let accessLevel: Logger.Level?
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let status: Int
        let response: Response
        do {
            response = try await next(request, context)
            status = Int(response.status.code)
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: Int(status), engine: nil)
            throw error
        }
        record(request, context, status: status, engine: response.headers[.likenessEngine])
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, engine: String?) {
        let duration = context.received.duration(to: .now)
        // The route as registered (`/v1/files/{name}`), never the path as sent: a bounded label.
        let route = context.endpointPath ?? "unmatched"
        // The part of the API its group declared (`AreaMiddleware`); a request no route matched has none.
        let dialect = context.endpointPath == nil ? "none" : (context.notes.area ?? .operations).rawValue
        metrics.request(route: route, dialect: dialect, status: status, duration: duration)
        guard let accessLevel else { return }
        var metadata: Logger.Metadata = [
            "trace_id": "\(context.requestID)", "method": "\(request.method.rawValue)", "route": "\(route)",
            "dialect": "\(dialect)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.2f", duration.seconds * 1000))",
        ]
        if let keyID = context.notes.keyID { metadata["key_id"] = "\(keyID)" }
        if let engine { metadata["engine"] = "\(engine)" }
        logger.log(level: accessLevel, "request", metadata: metadata)
    }
}

/// The part of the API a group of routes belongs to, as `/metrics` and the access log label a
/// request (`dialect`): each generation dialect, or the account, admin, files and operators'
/// routes. From a fixed set, so a label never grows with what callers send.
enum APIArea: String, Sendable {
    case minimax, openai, fal, mcp, account, characters, admin, files, operations

    init(_ dialect: Dialect) {
        switch dialect {
        case .minimax: self = .minimax
        case .openai: self = .openai
        case .fal: self = .fal
        case .mcp: self = .mcp
        }
    }
}

/// Says which part of the API its group's routes belong to, for the observability outside.
struct AreaMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let area: APIArea

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        context.notes.area = area
        return try await next(request, context)
    }
}

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
        let dialect = Self.dialect(ofRoute: route)
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

    /// Which API a route belongs to, from its registered path.
    static func dialect(ofRoute route: String) -> String {
        if route == "/v1/image_generation" { return "minimax" }
        if route.hasPrefix("/v1/images") || route.hasPrefix("/v1/models") { return "openai" }
        if route.hasPrefix("/fal") { return "fal" }
        if route.hasPrefix("/v1/admin") { return "admin" }
        if route.hasPrefix("/v1/files") { return "files" }
        if route.hasPrefix("/v1/balance") || route.hasPrefix("/v1/usage") || route.hasPrefix("/v1/account") {
            return "account"
        }
        if route == "unmatched" { return "none" }
        return "operations"
    }
}

import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import NIOCore

/// Renders an `APIError` thrown by a route or a middleware of its group in the group's dialect:
/// the one place where a refusal that is thrown becomes an answer. Any other error goes on to
/// Hummingbird (a 404 for an unknown route, a 500 for a bug).
struct DialectErrorMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let dialect: any DialectRendering
    let support: RequestSupport

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return support.response(dialect.failure(error, id: context.requestID), context: context)
        }
    }
}

/// Authenticates every route of its group (`Authorization: <scheme> <key>`) and puts the caller
/// in the context. Inside the group's `DialectErrorMiddleware`, which renders a refusal.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let authenticator: Authenticator
    /// Accepted schemes, lowercase (fal's clients send `Key <key>`).
    let schemes: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        context.caller = try await authenticator.authenticate(request.headers[.authorization], schemes: schemes)
        return try await next(request, context)
    }
}

/// Counts each request of its group against the per-minute limits of the caller's key and account
/// (the generation routes: reads are not limited). Behind `AuthenticationMiddleware`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        try await authenticator.admit(try context.requireCaller())
        return try await next(request, context)
    }
}

/// Lets only keys with the admin role through (403 otherwise). Behind `AuthenticationMiddleware`.
struct AdminOnlyMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard try context.requireCaller().isAdmin else {
            throw APIError(.invalidAPIKey, "this key may not use the admin API", reason: .forbidden)
        }
        return try await next(request, context)
    }
}

/// Answers about an account (balance, usage, keys, the admin API) are never cached, refusals
/// included.
struct NoStoreMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// Every answer of a generation route says what the request was charged: nothing, unless the
/// route said otherwise (a refusal by authentication or a rate limit charges nothing).
struct CostHeaderMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        if response.headers[.likenessCost] == nil { response.headers[.likenessCost] = MicroDollars.zero.usd }
        return response
    }
}

/// Unknown routes answer 404 in OpenAI's error shape (OpenAI SDKs raise `NotFoundError` on it);
/// image file URLs keep their plain 404.
struct NotFoundMiddleware: RouterMiddleware {
    typealias Context = LikenessRequestContext
    let support: RequestSupport

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !request.uri.path.hasPrefix("/v1/files/") {
            let notFound = OpenAIDialect.rendered(
                OpenAIError(
                    status: 404, type: "invalid_request_error",
                    message: "Unknown request URL: \(request.method) \(request.uri.path)", code: "not_found"))
            return support.response(notFound, context: context)
        }
    }
}

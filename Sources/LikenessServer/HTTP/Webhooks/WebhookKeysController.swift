import Foundation
import Hummingbird
import LikenessCore
import LikenessService
import NIOCore

/// The public keys that verify fal-dialect webhooks, as a JWKS a receiver is pointed at in place
/// of fal's, and the operator's rotation of the signing key.
struct WebhookKeysController {
    let keys: WebhookSigningKeys

    /// Open to anyone: public keys only.
    var publicRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/.well-known/jwks.json", use: jwks)
        return routes
    }

    /// Under `/v1/admin`.
    var adminRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("webhook-keys/rotate", use: rotate)
        return routes
    }

    @Sendable func jwks(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        Self.response(try await keys.jwks(at: Date()))
    }

    /// A new signing key from now on; the old one stays in the JWKS while its webhooks may be retried.
    @Sendable func rotate(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let now = Date()
        try await keys.rotate(at: now)
        return Self.response(try await keys.jwks(at: now))
    }

    private static func response(_ body: Data) -> Response {
        // Receivers cache the set; a rotated-out key stays in it far longer than this.
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

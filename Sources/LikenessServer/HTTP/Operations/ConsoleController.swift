import Foundation
import HTTPTypes
import Hummingbird
import LikenessService
import NIOCore

/// The web console at `/`: three files compiled into the binary (`Console/`), served under a
/// Content-Security-Policy that lets the page load only its own files and talk only to this
/// server. No cookies: the page sends the key it holds as the Authorization header.
struct ConsoleController {
    static let policy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
        "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    static let files: [String: (type: String, bytes: [UInt8])] = [
        "/": ("text/html; charset=utf-8", PackageResources.index_html),
        "/console/console.js": ("text/javascript; charset=utf-8", PackageResources.console_js),
        "/console/console.css": ("text/css; charset=utf-8", PackageResources.console_css),
    ]

    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        for path in Self.files.keys { routes.get(RouterPath(path), use: serve) }
        return routes
    }

    /// One of the console's files, by the path it was registered under.
    @Sendable func serve(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        guard let file = Self.files[request.uri.path] else { throw HTTPError(.notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.type, .contentSecurityPolicy: Self.policy, .xContentTypeOptions: "nosniff",
                .referrerPolicy: "no-referrer", .cacheControl: "no-cache",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

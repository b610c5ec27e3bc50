import Foundation
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService

/// fal.ai's synchronous endpoints, under the `/fal` prefix so that `fal-client` works with
/// `FAL_RUN_HOST=<host:port>/fal`: `POST /fal/fal-ai/minimax/image-01` and
/// `POST /fal/fal-ai/minimax/image-01/subject-reference` answer with the output JSON directly.
/// The queue is `FalQueueController`.
struct FalController {
    let endpoint: GenerationEndpoint
    let imageLinks: ImageLinks
    let dialect = FalDialect()

    static let prefix = "/fal"

    /// One route per app; each counts against the caller's requests a minute.
    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        for app in FalApp.allCases {
            routes.post(RouterPath(Self.prefix + "/" + app.rawValue)) { await run($0, context: $1, app: app) }
        }
        return routes
    }

    /// Runs a request to `app` and answers with its output JSON.
    func run(_ request: Request, context: LikenessRequestContext, app: FalApp) async -> Response {
        await endpoint.respond(
            request, context: context, dialect: dialect,
            parse: { () async throws(APIError) in
                Intake(request: try app.parse(json: try await endpoint.support.readBody(request)))
            },
            success: { result, _ throws(APIError) in
                Rendered(
                    status: .ok,
                    body: try FalDialect.output(result, links: imageLinks, origin: imageLinks.origin(of: request)))
            })
    }
}

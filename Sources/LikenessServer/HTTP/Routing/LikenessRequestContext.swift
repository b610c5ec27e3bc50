import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessStore

/// The context of every request: who is calling (set by `AuthenticationMiddleware`), and the id
/// that labels the answer as `Trace-Id` (and becomes the job's id when the request makes one).
struct LikenessRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var caller: Caller?
    let requestID: String
    let received: ContinuousClock.Instant

    init(source: Source) {
        coreContext = .init(source: source)
        requestID = Identifier.make()
        received = .now
    }

    /// The authenticated caller. Routes that read it sit behind `AuthenticationMiddleware`, so its
    /// absence is a wiring mistake, answered as an internal error rather than a crash.
    func requireCaller() throws(APIError) -> Caller {
        guard let caller else { throw APIError(.internalError, "the route is not behind authentication") }
        return caller
    }

    /// A path parameter the route's pattern declares (`{id}`).
    func parameter(_ name: String) throws(APIError) -> String {
        do {
            return try parameters.require(name)
        } catch {
            throw APIError(.internalError, "the route has no parameter \(name)")
        }
    }
}

/// How one dialect answers a failure: its error shape and status, and any headers it adds.
protocol DialectRendering: Sendable {
    /// The dialect's name as jobs record it: `minimax`, `openai`, `fal`.
    var name: String { get }
    func failure(_ error: APIError, id: String) -> Rendered
}

/// A rendered answer: status, body, and any headers beyond the standard ones.
struct Rendered: Sendable {
    var status: HTTPResponse.Status
    var body: Data
    var headers: HTTPFields = [:]
}

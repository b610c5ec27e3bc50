import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore
import Synchronization

/// The context of every request: who is calling (set by `AuthenticationMiddleware`), and the id
/// that labels the answer as `Trace-Id` (and becomes the job's id when the request makes one).
struct LikenessRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var caller: Caller? {
        didSet { notes.keyID = caller?.key.id }
    }
    let requestID: String
    let received: ContinuousClock.Instant
    /// What inner middleware learnt, for the access log outside them.
    let notes = RequestNotes()

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

/// A context is a value, copied down the middleware chain: what the authentication inside learns
/// reaches the access log outside through this shared box.
final class RequestNotes: Sendable {
    private struct Notes {
        var keyID: String?
        var area: APIArea?
    }

    private let notes = Mutex(Notes())

    /// The calling key's id (never its secret), once authenticated.
    var keyID: String? {
        get { notes.withLock { $0.keyID } }
        set { notes.withLock { $0.keyID = newValue } }
    }

    /// The part of the API the matched route's group belongs to.
    var area: APIArea? {
        get { notes.withLock { $0.area } }
        set { notes.withLock { $0.area = newValue } }
    }
}

/// How one dialect answers a failure: its error shape and status, and any headers it adds.
protocol DialectRendering: Sendable {
    /// Which dialect this is, as jobs record it.
    var id: Dialect { get }
    func failure(_ error: APIError, id: String) -> Rendered
}

/// A rendered answer: status, body, and any headers beyond the standard ones.
struct Rendered: Sendable {
    var status: HTTPResponse.Status
    var body: Data
    var headers: HTTPFields = [:]
}

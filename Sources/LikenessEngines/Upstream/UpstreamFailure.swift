import Foundation
import LikenessCore
import LikenessUpstream

/// Why one attempt at an upstream provider failed, and so what the router does next.
///
/// `error` is what the caller sees if this failure is the last word; it never blames the
/// caller's key for the operator's account (those carry `APIError.Reason.upstream`).
public struct UpstreamFailure: Error, Sendable, CustomStringConvertible {
    public enum Disposition: Sendable, Hashable {
        /// Transient (rate limit, 5xx, timeout, broken connection): the same engine again, after a backoff.
        case retry
        /// This engine cannot serve it (its account is refused or empty, or it lacks the feature):
        /// the next engine of the route, with no retry here.
        case nextEngine
        /// The caller's own fault (invalid parameters, sensitive content): no retry anywhere.
        case fail
    }

    /// What the failure says about the operator's upstream account, for its circuit breaker.
    public enum AccountSignal: Sendable, Hashable {
        /// The account answered as it should (a rate limit, the caller's own fault).
        case answered
        /// The provider or the path to it failed: counts towards taking the account out.
        case faulty
        /// The key is refused or the account is empty: out at once, until a probe succeeds.
        case refused
    }

    public var disposition: Disposition
    public var error: APIError
    /// The provider's `Retry-After`, when it sent one.
    public var retryAfter: Duration?
    public var account: AccountSignal
    /// What the provider answered, as a metrics label from a fixed set: a documented MiniMax
    /// code, `http_<status>`, `other`, or nil when no answer came (a timeout, a broken connection).
    public var providerCode: String?

    /// `account` defaults by disposition: a caller's fault is an answer, anything else a fault.
    public init(
        _ disposition: Disposition, _ error: APIError, retryAfter: Duration? = nil, account: AccountSignal? = nil
    ) {
        self.disposition = disposition
        self.error = error
        self.retryAfter = retryAfter
        self.account = account ?? (disposition == .fail ? .answered : .faulty)
    }

    public var description: String { "\(disposition): \(error)" }

    /// A transient failure of the provider or the path to it.
    static func transient(_ engine: String, _ detail: String, retryAfter: Duration? = nil) -> UpstreamFailure {
        UpstreamFailure(
            .retry, APIError(.systemError, "the upstream provider \(engine) failed: \(detail)", reason: .upstream),
            retryAfter: retryAfter)
    }

    /// The provider is rate limiting the operator's account.
    static func busy(_ engine: String, _ detail: String, retryAfter: Duration?) -> UpstreamFailure {
        UpstreamFailure(
            .retry,
            APIError(
                .rateLimited, "the upstream provider \(engine) is busy (\(detail)); retry later", reason: .upstream,
                retryAfterSeconds: retryAfter.map { max(1, Int($0.components.seconds)) } ?? 10),
            retryAfter: retryAfter, account: .answered)
    }

    /// The provider refused the operator's account: the operator must act, not the caller.
    static func refusedAccount(_ engine: String, _ detail: String) -> UpstreamFailure {
        UpstreamFailure(
            .nextEngine,
            APIError(
                .systemError, "the upstream provider \(engine) refused this server's account (\(detail))",
                reason: .upstream), account: .refused)
    }

    /// The caller's request, refused by the provider: passed through as the provider said it.
    static func callerFault(_ code: StatusCode, _ detail: String) -> UpstreamFailure {
        UpstreamFailure(.fail, APIError(code, detail))
    }
}

extension UpstreamFailure {
    /// MiniMax's `base_resp.status_code` by whose fault it is (the README's upstream table).
    static func miniMax(_ engine: String, code: Int, message: String, retryAfter: Duration?) -> UpstreamFailure {
        var failure = miniMaxFailure(engine, code: code, message: message, retryAfter: retryAfter)
        failure.providerCode = documentedMiniMaxCodes.contains(code) ? String(code) : "other"
        return failure
    }

    static let documentedMiniMaxCodes: Set<Int> = [
        1000, 1001, 1002, 1004, 1008, 1024, 1026, 1027, 1033, 1039, 1041, 2013, 2045, 2049, 2056,
    ]

    private static func miniMaxFailure(_ engine: String, code: Int, message: String, retryAfter: Duration?)
        -> UpstreamFailure
    {
        let detail = "\(code) \(message)"
        switch code {
        case 1002, 1039, 1041, 2045:
            return .busy(engine, detail, retryAfter: retryAfter)
        case 1000, 1001, 1024, 1033:
            return .transient(engine, detail, retryAfter: retryAfter)
        case 1004, 2049, 1008, 2056:
            return .refusedAccount(engine, detail)
        case 2013:
            return .callerFault(.invalidParameters, "invalid params (upstream): \(message)")
        case 1026:
            return .callerFault(.sensitivePrompt, message.isEmpty ? StatusCode.sensitivePrompt.defaultMessage : message)
        case 1027:
            return .callerFault(.sensitiveOutput, message.isEmpty ? StatusCode.sensitiveOutput.defaultMessage : message)
        default:
            // Undocumented: not worth hammering this engine, but another may serve.
            return UpstreamFailure(
                .nextEngine,
                APIError(.systemError, "the upstream provider \(engine) answered \(detail)", reason: .upstream))
        }
    }

    /// An HTTP status that is not a success, for providers that use HTTP statuses (fal, OpenAI).
    static func http(_ engine: String, status: Int, message: String?, retryAfter: Duration?) -> UpstreamFailure {
        let detail = "HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        var failure: UpstreamFailure =
            switch status {
            case 429: .busy(engine, detail, retryAfter: retryAfter)
            case 408, 500...599: .transient(engine, detail, retryAfter: retryAfter)
            case 400, 422: .callerFault(.invalidParameters, "invalid params (upstream): \(message ?? detail)")
            default: .refusedAccount(engine, detail)
            }
        failure.providerCode = (100...599).contains(status) ? "http_\(status)" : "other"
        return failure
    }
}

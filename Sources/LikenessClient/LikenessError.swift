import Foundation
import LikenessCore

/// Every way a call can fail, typed: switch on `code`, read `field` for an invalid parameter and
/// `retryAfter` for a rate limit. The same errors whether the server is Likeness or MiniMax.
public struct LikenessError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure. Compare with the static members (`.rateLimited`, …).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// A parameter broke a rule: `field` names it (as the request spelled it).
        public static let invalidParameter = Code("invalid parameter")
        /// The prompt or every image was refused by content safety.
        public static let sensitiveContent = Code("sensitive content")
        /// The account's balance cannot pay for the request.
        public static let insufficientCredits = Code("insufficient credits")
        /// Too many requests: wait `retryAfter`.
        public static let rateLimited = Code("rate limited")
        /// A missing, unknown or revoked key, or a key that may not do this.
        public static let authentication = Code("authentication")
        /// No such task, account, key or image.
        public static let notFound = Code("not found")
        /// The provider behind the server failed or is busy.
        public static let upstreamFailure = Code("upstream failure")
        /// The server ran out of time.
        public static let timeout = Code("timeout")
        /// The server failed (an internal or storage error).
        public static let server = Code("server error")
        /// No answer, or an answer that is not one the API gives.
        public static let transport = Code("transport")
        /// The job was cancelled.
        public static let cancelled = Code("cancelled")
    }

    public let code: Code
    public let message: String
    /// The parameter at fault, for `.invalidParameter`.
    public let field: String?
    /// How long to wait before retrying, when the server said.
    public let retryAfter: Duration?
    /// MiniMax's `base_resp.status_code` (2013, 1008, …), when the answer carried one.
    public let statusCode: Int?
    /// The HTTP status, when there was an answer.
    public let httpStatus: Int?

    public var description: String { "\(code): \(message)" }

    init(
        _ code: Code, _ message: String, field: String? = nil, retryAfter: Duration? = nil, statusCode: Int? = nil,
        httpStatus: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
        self.statusCode = statusCode
        self.httpStatus = httpStatus
    }

    /// A native `base_resp` failure. MiniMax's catalogue decides the kind; for 2013 the field is
    /// the one the message names ("invalid params, n must be …").
    /// Likeness adds `X-Likeness-Error-Reason` and `-Field` headers; from MiniMax, the field is
    /// read from the message and the kind from the code alone.
    static func native(
        statusCode: Int, message: String, reason: String?, field: String?, retryAfter: Duration?, httpStatus: Int
    ) -> LikenessError {
        let byReason: Code? =
            switch reason {
            case "notFound": .notFound
            case "cancelled": .cancelled
            case "upstream": statusCode == StatusCode.rateLimited.rawValue ? .rateLimited : .upstreamFailure
            case "forbidden": .authentication
            default: nil
            }
        let code: Code =
            byReason
            ?? {
                switch StatusCode(rawValue: statusCode) {
                case .invalidParameters?: .invalidParameter
                case .sensitivePrompt?, .sensitiveOutput?: .sensitiveContent
                case .insufficientBalance?: .insufficientCredits
                case .rateLimited?, .connectionLimit?, .usageLimitExceeded?: .rateLimited
                case .authenticationFailed?, .invalidAPIKey?: .authentication
                case .timeout?: .timeout
                default: .server
                }
            }()
        return LikenessError(
            code, message, field: code == .invalidParameter ? field ?? Self.field(in: message) : nil,
            retryAfter: retryAfter, statusCode: statusCode, httpStatus: httpStatus)
    }

    /// An OpenAI-shaped failure (`{"error": {"message", "type", "param", "code"}}`), as the
    /// account and admin routes answer.
    static func openAIShaped(
        httpStatus: Int, type: String?, message: String, param: String?, retryAfter: Duration?
    ) -> LikenessError {
        let code: Code =
            switch (httpStatus, type) {
            case (_, "upstream_error"?): .upstreamFailure
            case (400, _), (422, _): .invalidParameter
            case (401, _), (403, "permission_error"?): .authentication
            case (402, _): .insufficientCredits
            case (403, _): .sensitiveContent
            case (404, _): .notFound
            case (429, _): .rateLimited
            case (504, _): .timeout
            default: .server
            }
        return LikenessError(code, message, field: param, retryAfter: retryAfter, httpStatus: httpStatus)
    }

    /// "invalid params, <field> <rule>" → the field.
    static func field(in message: String) -> String? {
        let prefix = "invalid params, "
        guard message.hasPrefix(prefix) else { return nil }
        return message.dropFirst(prefix.count).split(separator: " ", maxSplits: 1).first.map(String.init)
    }
}

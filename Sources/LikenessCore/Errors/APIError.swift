/// A failure that a caller sees: a catalogue code and a message that says what to fix.
///
/// Messages name the field and the rule (`"n must be an integer in 1...9"`), because the
/// MiniMax dialect has nowhere else to put that information.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// The request field at fault, when one is (`"subject_reference[0].image_file"`).
    public var field: String?
    /// A finer reason than the code, for dialects that answer it differently (OpenAI's 404 for
    /// an unknown model, where MiniMax says 2013).
    public var reason: Reason?
    /// For rate limits: when to try again, sent as `Retry-After`.
    public var retryAfterSeconds: Int?
    /// For invalid parameters: whether the field was missing or present and wrong (fal answers
    /// `missing` and `value_error` apart).
    public var violation: Violation?

    public enum Violation: String, Sendable, Hashable {
        case missing
        case invalid
    }

    public enum Reason: String, Sendable, Hashable {
        case unknownModel
        case unsupported
        /// The caller cancelled a queued or running request.
        case cancelled
        /// The request succeeded, but its images have since expired.
        case expired
        /// The upstream provider failed, or refused the operator's account: not the caller's
        /// fault, so the HTTP dialects answer 502 (or 503 when it is busy), never 401 or 402.
        case upstream
        /// The thing asked for does not exist, or is not the caller's to see (HTTP 404).
        case notFound
        /// The key may not do this (HTTP 403): the admin API without the admin role.
        case forbidden
    }

    public init(
        _ code: StatusCode, _ message: String? = nil, field: String? = nil, reason: Reason? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.field = field
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code.rawValue) \(message)" }

    /// `field` broke `rule`: "invalid params, <field> <rule>".
    public static func invalid(_ field: String, _ rule: String) -> APIError {
        var error = APIError(.invalidParameters, "invalid params, \(field) \(rule)", field: field)
        error.violation = .invalid
        return error
    }

    /// A required `field` was not given: "invalid params, <field> is required".
    public static func missing(_ field: String, _ what: String = "") -> APIError {
        var error = APIError(.invalidParameters, "invalid params, \(field) is required\(what)", field: field)
        error.violation = .missing
        return error
    }
}

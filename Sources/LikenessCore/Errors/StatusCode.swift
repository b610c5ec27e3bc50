/// The one error catalogue of Likeness: MiniMax `base_resp.status_code` values.
///
/// Every failure inside Likeness carries one of these; each dialect maps it to its own shape
/// (MiniMax answers it as is, the OpenAI and fal dialects translate it to HTTP statuses).
public enum StatusCode: Int, Sendable, Hashable, CaseIterable {
    case success = 0
    case unknownError = 1000
    case timeout = 1001
    case rateLimited = 1002
    case authenticationFailed = 1004
    case insufficientBalance = 1008
    case internalError = 1024
    case sensitivePrompt = 1026
    case sensitiveOutput = 1027
    case systemError = 1033
    case connectionLimit = 1041
    case invalidParameters = 2013
    case invalidAPIKey = 2049
    case usageLimitExceeded = 2056

    /// The `status_msg` MiniMax sends when there is nothing more specific to say.
    public var defaultMessage: String {
        switch self {
        case .success: "success"
        case .unknownError: "unknown error"
        case .timeout: "request timed out"
        case .rateLimited: "rate limited, retry later"
        case .authenticationFailed: "authentication failed, check the API key"
        case .insufficientBalance: "insufficient balance"
        case .internalError: "internal error"
        case .sensitivePrompt: "the prompt contains sensitive content"
        case .sensitiveOutput: "the output contains sensitive content"
        case .systemError: "system error"
        case .connectionLimit: "too many connections"
        case .invalidParameters: "invalid parameters"
        case .invalidAPIKey: "invalid API key"
        case .usageLimitExceeded: "usage limit exceeded"
        }
    }
}

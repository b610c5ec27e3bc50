import Foundation

public struct WebhookSettings: Sendable, Hashable {
    public var maximumAttempts: Int
    /// The wait after the first failed attempt; doubled after each further one, up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration = .seconds(300)
    public var timeout: Duration
    /// Lets webhooks reach loopback and private networks. For tests and closed deployments only.
    public var allowPrivateNetworks: Bool
    /// How long a rotated-out fal signing key stays in the JWKS; nil: `retryWindow`, the longest
    /// a webhook it signed can still be retried.
    public var retiredKeyRetention: Duration? = nil

    public init(
        maximumAttempts: Int = 8, initialBackoff: Duration = .seconds(2), timeout: Duration = .seconds(10),
        allowPrivateNetworks: Bool = false
    ) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.timeout = timeout
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failures (1 or more).
    func backoff(afterFailures attempt: Int) -> Duration {
        let doubled = initialBackoff * (1 << min(max(attempt - 1, 0), 20))
        return min(doubled, maximumBackoff)
    }

    /// From a webhook's first attempt to its last: every wait between attempts, and each attempt's
    /// time limit with the margin its claim is held for.
    public var retryWindow: Duration {
        let waits = (1..<max(maximumAttempts, 1)).reduce(Duration.zero) { $0 + backoff(afterFailures: $1) }
        return waits + (timeout + .seconds(30)) * maximumAttempts
    }
}

/// How often, and how patiently, one engine of a route is retried after transient failures.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts on this engine, the first included.
    public var maximumAttempts: Int
    /// The wait after the first failure; doubled after each further one, up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// No new attempt starts once a retry would begin this long after the first attempt.
    public var maximumElapsed: Duration

    public init(
        maximumAttempts: Int = 4, initialBackoff: Duration = .milliseconds(500),
        maximumBackoff: Duration = .seconds(30),
        maximumElapsed: Duration = .seconds(120)
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumElapsed = maximumElapsed
    }

    /// The wait before the next attempt after `failures` failures: exponential, with "equal
    /// jitter" (half fixed, half random) so that requests failed together do not retry together,
    /// and never shorter than the provider's `Retry-After`.
    public func backoff(
        afterFailures failures: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        let exponential = min(initialBackoff * (1 << min(max(failures - 1, 0), 20)), maximumBackoff)
        let half = exponential / 2
        let jitter = half * Double.random(in: 0...1, using: &generator)
        return max(half + jitter, retryAfter ?? .zero)
    }
}

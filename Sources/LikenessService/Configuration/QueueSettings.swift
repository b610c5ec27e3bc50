import Foundation

public struct QueueSettings: Sendable, Hashable {
    public var maximumQueuedJobs: Int
    public var maximumAttempts: Int
    /// How long a synchronous request may wait in the queue before it is answered as rate limited.
    public var synchronousStartLimit: Duration

    public init(maximumQueuedJobs: Int = 1000, maximumAttempts: Int = 3, synchronousStartLimit: Duration = .seconds(60))
    {
        self.maximumQueuedJobs = maximumQueuedJobs
        self.maximumAttempts = maximumAttempts
        self.synchronousStartLimit = synchronousStartLimit
    }
}

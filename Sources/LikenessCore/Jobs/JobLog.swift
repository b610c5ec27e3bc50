/// How much a log line matters, stored (and shown, in fal's logs) by these names.
public enum JobLogLevel: String, Sendable, Hashable {
    case info = "INFO"
    case warning = "WARNING"
    case error = "ERROR"
}

/// What wrote a log line: the queue (claims, retries, the end), the engine (its progress), or
/// the identity check (the reference's face, the scores).
public enum JobLogSource: String, Sendable, Hashable {
    case queue, engine, identity
}

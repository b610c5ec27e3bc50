import Foundation

/// A replica serving a shared store, as it last said it was alive.
public struct ReplicaRecord: Sendable, Hashable {
    public var id: String
    /// Its host name and port, for a person reading `/health`.
    public var host: String
    public var startedAt: Date
    public var seenAt: Date

    public init(id: String, host: String, startedAt: Date, seenAt: Date) {
        self.id = id
        self.host = host
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}

/// What replicas that share one store agree on through it: who is alive, requests counted
/// across all of them, and secrets that every replica must hold alike.
public protocol FleetRepository: Sendable {
    /// Records that the replica is alive now (inserted on its first beat).
    func heartbeat(_ replica: ReplicaRecord) throws
    /// Replicas seen since `date`, oldest first.
    func replicas(seenSince date: Date) throws -> [ReplicaRecord]
    /// A replica stopping cleanly leaves the list at once.
    func removeReplica(id: String) throws
    /// Counts one request against each limit in the fixed window that starts at `window`
    /// (seconds since 1970), unless that would pass any of them: then nothing is counted and
    /// the first limit passed is returned.
    func admitRequest(_ limits: [RequestLimit], window: Int64) throws -> RequestLimit?
    /// Forgets windows that started before `window`.
    func pruneRateWindows(before window: Int64) throws
    /// Takes the next start on an upstream account under the generic cell rate algorithm (one
    /// start per `interval`, `tolerance` of burst) and returns when it is: `date`, or later once
    /// the account's rate is spent. Every replica's starts advance the one schedule.
    func reserveUpstreamStart(account: String, interval: TimeInterval, tolerance: TimeInterval, at date: Date) throws
        -> Date
    /// The shared secret called `name`: the one stored, or `candidate`, stored now by the first
    /// replica to ask (the others then read it).
    func sharedSecret(named name: String, candidate: Data) throws -> Data
    /// The installation's setting called `name`; nil when none is stored.
    func setting(named name: String) throws -> Data?
    /// Stores what `change` makes of the setting called `name` (nil when none is stored yet) and
    /// returns it. Replicas that change one setting at once take turns.
    func changeSetting(named name: String, _ change: (Data?) throws -> Data) throws -> Data
}

/// A number of requests a subject (a key, an account) may make in one window.
public struct RequestLimit: Sendable, Hashable {
    public var subject: String
    public var limit: Int

    public init(subject: String, limit: Int) {
        self.subject = subject
        self.limit = limit
    }
}

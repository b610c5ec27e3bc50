import Foundation
import LikenessCore
import LikenessStore

/// This process, among the replicas that may share its store.
package struct ReplicaIdentity: Sendable, Hashable {
    package let id: String
    /// Host and port, for a person reading `/health`.
    let host: String
    let startedAt: Date

    package init(host: String, startedAt: Date = Date()) {
        var generator = SystemRandomNumberGenerator()
        id =
            "rep_"
            + String((0..<10).map { _ in "0123456789abcdefghijklmnopqrstuvwxyz".randomElement(using: &generator)! })
        self.host = host
        self.startedAt = startedAt
    }
}

/// This process's part in a fleet: who it is, and, when other replicas share its store
/// (PostgreSQL), the register of replicas, how long its claims hold, and how it tells the others
/// what it changed. Alone, leases are never read: the process itself tells which running jobs
/// were interrupted.
package struct FleetRole: Sendable {
    package let replica: ReplicaIdentity
    /// The fleet's register of replicas; nil alone.
    let register: (any FleetRepository)?
    /// How long a claim holds without renewal (`FleetKeeper` renews a third of the way).
    let leaseDuration: Duration
    /// The other replicas, told what this one changed in the queue.
    let broadcast: any FleetBroadcast

    /// Whether other replicas share the store.
    package var shared: Bool { register != nil }

    package init(
        replica: ReplicaIdentity, register: (any FleetRepository)? = nil, leaseDuration: Duration = .seconds(30),
        broadcast: any FleetBroadcast = NoOtherReplicas()
    ) {
        self.replica = replica
        self.register = register
        self.leaseDuration = leaseDuration
        self.broadcast = broadcast
    }

    /// A claim made at `date`, held by this replica.
    func lease(from date: Date) -> JobLease {
        JobLease(owner: replica.id, expiresAt: date.addingTimeInterval(leaseDuration.seconds))
    }
}

/// What one replica tells the others about the shared queue. Like `JobEvents`' notices, each
/// only says "look again": the store holds the truth.
package enum FleetNotice: Sendable, Hashable {
    /// A job was queued: idle workers try to claim it.
    case queued
    /// A job's status or log changed.
    case changed(jobID: String)
    /// A job finished: whoever waits for it reads its outcome.
    case finished(jobID: String)
    /// A caller asked to stop a running job: the replica running it stops it.
    case cancel(jobID: String)

    /// `<replica> <kind> [<job>]`: small enough for `NOTIFY`'s 8,000 bytes many times over.
    func payload(from replica: String) -> String {
        switch self {
        case .queued: "\(replica) queued"
        case .changed(let id): "\(replica) changed \(id)"
        case .finished(let id): "\(replica) finished \(id)"
        case .cancel(let id): "\(replica) cancel \(id)"
        }
    }

    /// The notice and its sender; nil for a payload this version does not know.
    init?(payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count >= 2 else { return nil }
        switch (parts[1], parts.count == 3 ? parts[2] : nil) {
        case ("queued", nil): self = .queued
        case ("changed", let id?): self = .changed(jobID: id)
        case ("finished", let id?): self = .finished(jobID: id)
        case ("cancel", let id?): self = .cancel(jobID: id)
        default: return nil
        }
    }

    static func sender(of payload: String) -> Substring? {
        payload.split(separator: " ", maxSplits: 1).first
    }
}

/// Sends this replica's notices to the others. The embedded server has no others.
package protocol FleetBroadcast: Sendable {
    func send(_ notice: FleetNotice)
}

package struct NoOtherReplicas: FleetBroadcast {
    package init() {}

    package func send(_ notice: FleetNotice) {}
}

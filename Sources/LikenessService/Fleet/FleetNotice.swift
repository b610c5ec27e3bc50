import Foundation

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

    package init() {
    }
    package func send(_ notice: FleetNotice) {}
}

extension GenerationService {
    /// Acts on a change to the queue here, and tells the other replicas.
    func announce(_ notice: FleetNotice) {
        apply(notice)
        broadcast.send(notice)
    }

    /// Acts on a change to the queue, made here or by another replica.
    func apply(_ notice: FleetNotice) {
        switch notice {
        case .queued: workSignal.signal()
        case .changed(let id): events.publish(.changed, jobID: id)
        case .finished(let id): events.publish(.finished, jobID: id)
        case .cancel(let id): running.cancel(jobID: id)
        }
    }

    /// After notices may have been missed: every waiter reads its job again, and idle workers
    /// look at the queue.
    func resync() {
        events.publishToAll(.recheck)
        workSignal.signalAll()
    }
}

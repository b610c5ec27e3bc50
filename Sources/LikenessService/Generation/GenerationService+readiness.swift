import Foundation
import LikenessCore
import LikenessStore

/// Whether this process can take work now, for `GET /ready`.
package struct Readiness: Sendable, Hashable {
    /// `ready`, `starting`, `stopping` or `unavailable`.
    package var status: String
    package var reason: String?
    package var workers: Int
    package var queuedJobs: Int?

    package var isReady: Bool { status == "ready" }
}

extension GenerationService {
    /// This replica's part in a fleet, as `/health` shows it.
    package var fleet: FleetRole { book.fleet }

    /// Sets `likeness_queue_depth` from the store (a failure leaves it as it was, logged).
    package func recordQueueDepth() async {
        if let queued = try? await book.store.read(
            "count the queue", { [jobs = book.jobs] in try jobs.queuedJobCount() })
        {
            book.metrics.queueDepth(queued)
        }
    }

    /// Ready once startup recovery has run, while the queue's workers run and the store answers.
    package func readiness() async -> Readiness {
        let workers = runner.activeWorkers.count
        guard runner.startup.isOpened else {
            return Readiness(status: "starting", reason: "recovering what the last run left", workers: workers)
        }
        guard workers > 0 || runner.settings.workers == 0 else {
            return Readiness(status: "stopping", reason: "the queue's workers are not running", workers: workers)
        }
        do throws(APIError) {
            let queued = try await book.store.read("count the queue") { [jobs = book.jobs] in try jobs.queuedJobCount()
            }
            return Readiness(status: "ready", workers: workers, queuedJobs: queued)
        } catch {
            return Readiness(status: "unavailable", reason: "the database cannot be read", workers: workers)
        }
    }
}

extension GenerationService {
    /// The replicas serving this store now (seen within a lease), this one among them; nil
    /// alone, or when the store cannot be read.
    package func liveReplicas() async -> [FleetMember]? {
        let role = book.fleet
        guard let register = role.register else { return nil }
        let since = book.clock.now().addingTimeInterval(-role.leaseDuration.seconds)
        return try? await book.store.read("list the fleet's replicas") {
            try register.replicas(seenSince: since).map {
                FleetMember(id: $0.id, host: $0.host, startedAt: $0.startedAt, seenAt: $0.seenAt)
            }
        }
    }
}

/// A replica as `/health` lists it.
package struct FleetMember: Sendable, Codable {
    var id: String
    var host: String
    var startedAt: Date
    var seenAt: Date

    enum CodingKeys: String, CodingKey {
        case id, host
        case startedAt = "started_at"
        case seenAt = "seen_at"
    }
}

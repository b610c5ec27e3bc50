import LikenessCore
import LikenessStore

/// Whether this process can take work now, for `GET /ready`.
struct Readiness: Sendable, Hashable {
    /// `ready`, `starting`, `stopping` or `unavailable`.
    var status: String
    var reason: String?
    var workers: Int
    var queuedJobs: Int?

    var isReady: Bool { status == "ready" }
}

extension GenerationService {
    /// Sets `likeness_queue_depth` from the store (a failure leaves it as it was, logged).
    func recordQueueDepth() async {
        if let queued = try? await store.read("count the queue", { [jobs] in try jobs.queuedJobCount() }) {
            metrics.queueDepth(queued)
        }
    }

    /// Ready once startup recovery has run, while the queue's workers run and the store answers.
    func readiness() async -> Readiness {
        let workers = activeWorkers.count
        guard startup.isOpened else {
            return Readiness(status: "starting", reason: "recovering what the last run left", workers: workers)
        }
        guard workers > 0 else {
            return Readiness(status: "stopping", reason: "the queue's workers are not running", workers: workers)
        }
        do throws(APIError) {
            let queued = try await store.read("count the queue") { [jobs] in try jobs.queuedJobCount() }
            return Readiness(status: "ready", workers: workers, queuedJobs: queued)
        } catch {
            return Readiness(status: "unavailable", reason: "the database cannot be read", workers: workers)
        }
    }
}

import Foundation
import LikenessCore
import LikenessStore
import Logging
import ServiceLifecycle

/// A replica's part in the fleet, every third of a lease: it says it is alive, renews the
/// leases of the jobs it runs, puts back in the queue the jobs of replicas that stopped, and
/// forgets old request counts. It listens to the other replicas (`PostgresNotices`) meanwhile.
package struct FleetKeeper: Service {
    let runner: JobRunner
    let fleet: any FleetRepository
    let database: PostgreSQLDatabase
    let notices: PostgresNotices
    let logger: Logger

    package init(
        runner: JobRunner, fleet: any FleetRepository, database: PostgreSQLDatabase, notices: PostgresNotices,
        logger: Logger
    ) {
        self.runner = runner
        self.fleet = fleet
        self.database = database
        self.notices = notices
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await notices.run(database: database, book: runner.book, logger: logger) }
                group.addTask { await keep() }
            }
        }
        let id = runner.fleet.replica.id
        // Leaving: the others stop listing this replica at once (its jobs were put back by the workers).
        _ = try? await runner.book.store.write("remove this replica from the fleet") { [fleet] in
            try fleet.removeReplica(id: id)
        }
    }

    private func keep() async {
        await runner.startup.wait()
        let interval = runner.fleet.leaseDuration / 3
        while !Task.isCancelled {
            await round()
            try? await Task.sleep(for: interval)
        }
    }

    /// One round; each step's failure is logged and the next round tries again.
    func round() async {
        let now = runner.book.clock.now()
        let identity = runner.fleet.replica
        let replica = ReplicaRecord(id: identity.id, host: identity.host, startedAt: identity.startedAt, seenAt: now)
        let until = now.addingTimeInterval(runner.fleet.leaseDuration.seconds)
        let window = Int64(now.timeIntervalSince1970) / 60 * 60
        do throws(APIError) {
            try await runner.book.store.write("renew this replica's leases") { [fleet, jobs = runner.book.jobs] in
                try fleet.heartbeat(replica)
                try jobs.renewLeases(owner: replica.id, until: until)
                try fleet.pruneRateWindows(before: window - 120)
            }
            _ = try await runner.recoverInterruptedJobs()
        } catch {
            return  // logged by the store call
        }
        // A notice lost on the way is covered here at the latest.
        runner.book.resync()
    }
}

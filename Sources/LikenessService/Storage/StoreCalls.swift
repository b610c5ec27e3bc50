import LikenessCore
import Logging
import NIOPosix

/// Where the server's store calls run: on threads of their own, never on Swift's cooperative
/// pool, because a store call blocks its thread (SQLite waits up to its busy timeout for another
/// process's write). Reads and writes have separate pools: writes serialise on the store's one
/// writer anyway, and a write stuck behind another process's lock then holds up only writes.
///
/// Each call's failure is logged and answered as a system error (1033), never read as an empty
/// or finished answer.
package struct StoreCalls: Sendable {
    let threads: StoreThreads
    let logger: Logger

    package init(threads: StoreThreads, logger: Logger) {
        self.threads = threads
        self.logger = logger
    }

    /// A read: `what` names it in the log when it fails.
    package func read<Value: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> Value)
        async throws(APIError)
        -> Value
    {
        try await call(what, on: threads.reads, body)
    }

    /// A write, or a read that must see the writes asked for before it.
    func write<Value: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> Value) async throws(APIError)
        -> Value
    {
        try await call(what, on: threads.writes, body)
    }

    /// A write whose own errors the caller tells apart (a refusal is not a failure).
    func writeRaw<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await Self.run(on: threads.writes, body)
    }

    /// A write in the one ordered lane (a job's log lines): each runs after those asked for
    /// before it, whatever else runs beside them.
    func writeInOrder<Value: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> Value)
        async throws(APIError) -> Value
    {
        try await call(what, on: threads.ordered, body)
    }

    /// Returns once every write asked for in the ordered lane before it is done. With one write
    /// thread (SQLite) the lane is that thread, so any write asked for next runs after them
    /// anyway: nothing to wait for.
    func flushOrderedWrites() async {
        guard threads.ordered !== threads.writes else { return }
        _ = try? await Self.run(on: threads.ordered) {}
    }

    /// A write that nobody waits for, in the ordered lane after the writes asked for before it;
    /// `then` runs once it is done. For progress lines reported by synchronous callbacks.
    func writeLater(
        _ what: String, _ body: @escaping @Sendable () throws -> Void, then: @escaping @Sendable () -> Void = {}
    ) {
        threads.ordered.submit { [logger] state in
            guard case .active = state else { return }
            do {
                try body()
            } catch {
                logger.warning("store failure", metadata: ["operation": "\(what)", "error": "\(error)"])
            }
            then()
        }
    }

    private func call<Value: Sendable>(
        _ what: String, on threads: NIOThreadPool, _ body: @escaping @Sendable () throws -> Value
    ) async throws(APIError) -> Value {
        do {
            return try await Self.run(on: threads, body)
        } catch let error as APIError {
            throw error
        } catch {
            throw failure(what, error)
        }
    }

    /// A store failure, logged, as the system error (1033) a caller sees.
    func failure(_ what: String, _ error: any Error) -> APIError {
        logger.error("store failure", metadata: ["operation": "\(what)", "error": "\(error)"])
        return APIError(.systemError, "the store failed to \(what)")
    }

    /// A call, once asked, runs to its end even if the caller is cancelled (a stopping worker, a
    /// client gone): a settlement must not be dropped half-way.
    private static func run<Value: Sendable>(on threads: NIOThreadPool, _ body: @escaping @Sendable () throws -> Value)
        async throws -> Value
    {
        try await Task { try await threads.runIfActive(body) }.value
    }
}

/// The threads one store's calls run on: as many for reads as the store has read connections,
/// and for writes as it can run at once. SQLite has one writer, so its writes (the ordered lane
/// included) share one thread and run in the order they were asked for; PostgreSQL runs writes
/// side by side and keeps one more thread as the ordered lane (a job's log lines). Shut down when
/// the last user lets go.
package final class StoreThreads: Sendable {
    let reads: NIOThreadPool
    let writes: NIOThreadPool
    /// Writes that must stay in order among themselves; `writes` itself when it has one thread.
    let ordered: NIOThreadPool

    package init(readers: Int = 2, writers: Int = 1) {
        reads = NIOThreadPool(numberOfThreads: readers)
        writes = NIOThreadPool(numberOfThreads: writers)
        ordered = writers == 1 ? writes : NIOThreadPool(numberOfThreads: 1)
        reads.start()
        writes.start()
        if writers > 1 { ordered.start() }
    }

    /// For a store with `connections` connections that all may write (PostgreSQL): half read,
    /// the rest write, one of them in order.
    package convenience init(sharing connections: Int) {
        let readers = max(2, connections / 2)
        self.init(readers: readers, writers: max(2, connections - readers - 1))
    }

    deinit {
        // Work still queued is dropped: only progress lines can be, since every other call is awaited.
        reads.shutdownGracefully { _ in }
        writes.shutdownGracefully { _ in }
        if ordered !== writes { ordered.shutdownGracefully { _ in } }
    }
}

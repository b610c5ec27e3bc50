import Foundation
import LikenessStore
import Synchronization

/// In-process notices about jobs, for those waiting on one: a synchronous route waiting for its
/// result, a status stream. A notice only says "look again"; the store holds the truth, so a
/// subscriber reads the job after subscribing and after every notice.
package final class JobEvents: Sendable {
    package enum Notice: Sendable {
        /// A status change or a new log line.
        case changed
        case finished
        /// Notices may have been missed (the fleet's listener reconnected): read the job again.
        case recheck
        /// The job succeeded here, as its run recorded it: a waiter here answers from it
        /// without reading the job and its images back. `finished` follows.
        case completed(CompletedRun)
    }

    /// A run's recorded success: the job, its image records and their bytes.
    package struct CompletedRun: Sendable {
        let record: JobRecord
        let images: [StoredImage]
        let bytes: [Data]
    }

    private struct Subscriber {
        var jobID: String
        var continuation: AsyncStream<Notice>.Continuation
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextToken = Atomic<UInt64>(0)

    /// Notices for one job, from now until the stream is dropped.
    package func subscribe(to jobID: String) -> AsyncStream<Notice> {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: Notice.self, bufferingPolicy: .bufferingNewest(16))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: token) }
        }
        subscribers.withLock { $0[token] = Subscriber(jobID: jobID, continuation: continuation) }
        return stream
    }

    /// `notice` to every subscriber, whatever job it follows.
    func publishToAll(_ notice: Notice) {
        for continuation in subscribers.withLock({ $0.values.map(\.continuation) }) { continuation.yield(notice) }
    }

    func publish(_ notice: Notice, jobID: String) {
        let continuations = subscribers.withLock { subscribers in
            subscribers.values.filter { $0.jobID == jobID }.map(\.continuation)
        }
        for continuation in continuations {
            continuation.yield(notice)
            if case .finished = notice { continuation.finish() }
        }
    }
}

/// Wakes idle queue workers when work arrives. A signal with no worker waiting is remembered
/// (up to one per worker), so a worker that found the queue empty just before a job was
/// queued does not sleep through it.
package final class WorkSignal: Sendable {
    private struct State {
        var waiting: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var pending = 0
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())
    private let maximumPending: Int

    package init(maximumPending: Int) {
        self.maximumPending = maximumPending
    }

    package func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let token = state.waiting.keys.min() { return state.waiting.removeValue(forKey: token) }
            state.pending = min(state.pending, maximumPending - 1) + 1
            return nil
        }
        waiter?.resume()
    }

    /// Wakes every waiter, and lets the next `maximumPending` waits return at once.
    func signalAll() {
        let waiters = state.withLock { state in
            state.pending = maximumPending
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next signal, or at once when one is pending or the task is cancelled.
    func wait() async {
        let token = state.withLock { state in
            state.nextToken += 1
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.pending > 0 {
                        state.pending -= 1
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiting[token] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: token) }?.resume()
        }
    }

    /// `wait()`, but for no longer than `limit`.
    package func wait(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Closed until `open()`, then open for good: the queue's workers wait at it until startup
/// recovery has put back the jobs a previous process left running (a worker claiming first would
/// have its fresh claim taken for a leftover).
package final class StartupGate: Sendable {
    private let isOpen = Atomic<Bool>(false)
    private let opened = WorkSignal(maximumPending: .max)

    package func open() {
        isOpen.store(true, ordering: .releasing)
        opened.signalAll()
    }

    var isOpened: Bool { isOpen.load(ordering: .acquiring) }

    /// Returns once the gate is open, or at once when the task is cancelled.
    func wait() async {
        while !isOpen.load(ordering: .acquiring) && !Task.isCancelled {
            await opened.wait()
        }
    }
}

/// How many of the queue's worker loops are running now, for readiness.
final class ActiveWorkers: Sendable {
    private let running = Atomic<Int>(0)

    var count: Int { running.load(ordering: .relaxed) }

    /// Counts the calling worker loop while `body` runs.
    func counting(_ body: () async -> Void) async {
        running.add(1, ordering: .relaxed)
        defer { running.subtract(1, ordering: .relaxed) }
        await body()
    }
}

import ServiceLifecycle
import Synchronization

/// The queue's workers: `count` loops, each running one job at a time, so `count` bounds the
/// generations running at once. At graceful shutdown the running jobs are stopped and put
/// back in the queue, to run first after the next start.
package struct JobWorkers: Service {
    let runner: JobRunner
    var count: Int { runner.settings.workers }

    package init(runner: JobRunner) {
        self.runner = runner
    }

    package func run() async throws {
        // A fleet replica that only takes requests: nothing to run, but a service ends with the server.
        guard count > 0 else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<count {
                    group.addTask { await runner.work() }
                }
            }
        }
    }
}

/// The generations that may run at once (`LIKENESS_MAX_CONCURRENT_JOBS`), shared by the queue's
/// workers and the synchronous requests that run their own job when a slot is free as they
/// arrive. Workers wait for a slot; a request only takes one that is free now.
final class JobSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [(token: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextToken: UInt64 = 0
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(free: max(0, count)))
    }

    /// A slot if one is free and no worker waits for one.
    func tryTake() -> Bool {
        state.withLock { state in
            guard state.free > 0, state.waiting.isEmpty else { return false }
            state.free -= 1
            return true
        }
    }

    /// Waits for a slot, first come first served; false when the task is cancelled first.
    func take() async -> Bool {
        let token = state.withLock { state in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let granted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    if state.free > 0 && state.waiting.isEmpty {
                        state.free -= 1
                        return true
                    }
                    state.waiting.append((token, continuation))
                    return nil
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiting.firstIndex { $0.token == token }.map { state.waiting.remove(at: $0).continuation }
            }
            waiter?.resume(returning: false)
        }
    }

    /// Frees a slot, handing it straight to the first waiting worker if there is one.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}

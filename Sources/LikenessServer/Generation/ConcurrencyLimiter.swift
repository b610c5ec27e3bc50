/// A counting semaphore for async code: at most `limit` holders at once, the rest wait in order.
/// It bounds CPU-heavy engine work so that rendering never starves the HTTP event loops.
actor ConcurrencyLimiter {
    private let limit: Int
    private var active = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if active < limit {
            active += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            active -= 1
        } else {
            // The permit passes straight to the next waiter; `active` stays the same.
            waiters.removeFirst().resume()
        }
    }
}

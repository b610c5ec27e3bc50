import Synchronization
import Testing

@testable import LikenessServer

final class Counters: Sendable {
    let state = Mutex((running: 0, peak: 0, finished: 0))
}

@Suite("Concurrency limiter")
struct ConcurrencyLimiterTests {
    @Test("never more than the limit at once, and every caller runs")
    func bound() async throws {
        let limiter = ConcurrencyLimiter(limit: 3)
        let counters = Counters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await limiter.withPermit {
                        counters.state.withLock {
                            $0.running += 1
                            $0.peak = max($0.peak, $0.running)
                        }
                        try await Task.sleep(for: .milliseconds(2))
                        counters.state.withLock {
                            $0.running -= 1
                            $0.finished += 1
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let result = counters.state.withLock { $0 }
        #expect(result.peak == 3)
        #expect(result.finished == 40 && result.running == 0)
    }

    @Test("a permit is returned when the body throws")
    func releaseOnError() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await limiter.withPermit { throw Failure() } }
        #expect(try await limiter.withPermit { 7 } == 7)
    }
}

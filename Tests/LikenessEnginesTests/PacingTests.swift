import Foundation
import LikenessAPI
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessEngines

@Suite("upstream pacing and retry policy")
struct PacingTests {
    @Test("starts are spaced by the rate: three at 600 a minute take at least 200 ms")
    func spacing() async throws {
        let pacer = UpstreamPacer(limits: .init(requestsPerMinute: 600))
        let started = ContinuousClock.now
        for _ in 0..<3 { try await pacer.acquire().release() }
        #expect(started.duration(to: .now) >= .milliseconds(195))
    }

    @Test("a burst allowance lets that many start at once")
    func burst() async throws {
        let pacer = UpstreamPacer(limits: .init(requestsPerMinute: 6, burst: 3))
        let started = ContinuousClock.now
        for _ in 0..<3 { try await pacer.acquire().release() }
        #expect(started.duration(to: .now) < .seconds(1))
    }

    @Test("the concurrency cap makes the next request wait for a release")
    func concurrencyCap() async throws {
        let pacer = UpstreamPacer(limits: .init(maximumConcurrent: 1))
        let first = try await pacer.acquire()
        let second = Task { try await pacer.acquire() }
        try await eventually(timeout: .seconds(10)) { pacer.waitingCount > 0 }
        #expect(pacer.waitingCount == 1)
        first.release()
        _ = try await second.value
        #expect(pacer.waitingCount == 0)
    }

    @Test("a cancelled waiter leaves the line, and the slot is not lost")
    func cancelledWaiter() async throws {
        let pacer = UpstreamPacer(limits: .init(maximumConcurrent: 1))
        let first = try await pacer.acquire()
        let waiter = Task { try await pacer.acquire() }
        try await eventually(timeout: .seconds(10)) { pacer.waitingCount > 0 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        first.release()
        try await pacer.acquire().release()  // would hang if the cancelled waiter held the slot
    }

    @Test("an unused reservation given back returns its start to the bucket")
    func giveBack() async throws {
        // One a minute with room for two: two start at once, a third would wait a minute.
        let pacer = UpstreamPacer(limits: .init(requestsPerMinute: 1, burst: 2))
        try await pacer.acquire().release()
        let unused = try await pacer.acquire()
        unused.giveBack()
        let started = ContinuousClock.now
        try await pacer.acquire().release()
        #expect(started.duration(to: .now) < .seconds(10))
    }

    @Test("Retry-After pauses every start on the account")
    func pause() async throws {
        let pacer = UpstreamPacer(limits: .init())
        pacer.pause(for: .milliseconds(300))
        let started = ContinuousClock.now
        try await pacer.acquire().release()
        #expect(started.duration(to: .now) >= .milliseconds(290))
    }

    @Test("backoff doubles, stays within its bounds, and never undercuts Retry-After")
    func backoff() {
        let policy = RetryPolicy(initialBackoff: .seconds(1), maximumBackoff: .seconds(8))
        var generator = SystemRandomNumberGenerator()
        for failures in 1...8 {
            let ceiling = min(Duration.seconds(1) * (1 << (failures - 1)), .seconds(8))
            let wait = policy.backoff(afterFailures: failures, retryAfter: nil, using: &generator)
            #expect(wait >= ceiling / 2 && wait <= ceiling)
        }
        #expect(policy.backoff(afterFailures: 1, retryAfter: .seconds(30), using: &generator) == .seconds(30))
    }

    @Test("MiniMax codes are sorted by whose fault they are")
    func miniMaxCodes() {
        func disposition(_ code: Int) -> UpstreamFailure.Disposition {
            UpstreamFailure.miniMax("m", code: code, message: "", retryAfter: nil).disposition
        }
        #expect([1002, 1000, 1001, 1024, 1033, 1041].allSatisfy { disposition($0) == .retry })
        #expect([1004, 2049, 1008, 2056].allSatisfy { disposition($0) == .nextEngine })
        #expect([2013, 1026, 1027].allSatisfy { disposition($0) == .fail })
        let refused = UpstreamFailure.miniMax("m", code: 1004, message: "bad key", retryAfter: nil).error
        #expect(refused.code == .systemError && refused.reason == .upstream)
        let invalid = UpstreamFailure.miniMax("m", code: 2013, message: "bad n", retryAfter: nil).error
        #expect(invalid.code == .invalidParameters && invalid.reason == nil)
    }
}

import Foundation
import LikenessCore
import Synchronization
import Testing

@testable import LikenessEngines

/// A shared schedule in memory, as a fleet's database keeps it: one instant per account.
final class RecordedSchedule: PacingSchedule {
    private let arrivals = Mutex<[String: Date]>([:])
    private let calls = Mutex<[String]>([])
    let failing: Bool

    init(failing: Bool = false) {
        self.failing = failing
    }

    var accounts: [String] { calls.withLock { $0 } }

    func reserveStart(account: String, interval: Duration, tolerance: Duration) async throws -> Date {
        calls.withLock { $0.append(account) }
        if failing { throw ScheduleDown() }
        let now = Date()
        return arrivals.withLock { arrivals in
            let arrival = arrivals[account] ?? now
            let start = max(now, arrival.addingTimeInterval(-tolerance.seconds))
            arrivals[account] = max(arrival, start).addingTimeInterval(interval.seconds)
            return start
        }
    }

    struct ScheduleDown: Error {}
}

@Suite("upstream pacing shared by a fleet")
struct SharedPacingTests {
    @Test("two pacers on one shared schedule take their starts from it, one interval apart")
    func sharedStarts() async throws {
        let schedule = RecordedSchedule()
        let shared = UpstreamPacer.SharedSchedule(account: "minimax:1", schedule: schedule)
        // Two replicas' pacers for the same account, 600 a minute: one start each 100 ms between them.
        let first = UpstreamPacer(limits: .init(requestsPerMinute: 600), shared: shared)
        let second = UpstreamPacer(limits: .init(requestsPerMinute: 600), shared: shared)
        let started = ContinuousClock.now
        for pacer in [first, second, first, second] { try await pacer.acquire().release() }
        #expect(schedule.accounts == Array(repeating: "minimax:1", count: 4))
        // Four starts on one account: the last waits three intervals, whichever pacer takes it.
        #expect(started.duration(to: .now) >= .milliseconds(290))
    }

    @Test("a schedule that cannot be reached leaves pacing to the process's own schedule")
    func fallback() async throws {
        let schedule = RecordedSchedule(failing: true)
        let pacer = UpstreamPacer(
            limits: .init(requestsPerMinute: 600, maximumConcurrent: 1),
            shared: .init(account: "minimax:2", schedule: schedule))
        let started = ContinuousClock.now
        for _ in 0..<3 { try await pacer.acquire().release() }
        #expect(schedule.accounts.count == 3)
        #expect(started.duration(to: .now) >= .milliseconds(195))
        // The slot came back each time: a fourth request is not stuck behind a lost one.
        try await pacer.acquire().release()
    }
}

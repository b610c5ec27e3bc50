import Foundation
import LikenessStore
import Synchronization

/// Decides whether a caller's key and account may make one more request this minute.
package protocol RequestAdmission: Sendable {
    /// `keyRate` and `accountRate` are requests per minute; nil or 0 is unlimited.
    func admit(key: String, keyRate: Int?, account: String, accountRate: Int?) async -> RateLimiter.Decision
}

/// Requests per minute per key and per account, as token buckets that hold a minute's worth:
/// a quiet key may send `rate` requests at once, then one every 60/`rate` seconds.
///
/// Each bucket is kept as its generic-cell-rate schedule (one instant per key or account), and a
/// request is admitted only when both its key's and its account's buckets allow it, so a refusal
/// by one uses nothing of the other. In memory: one server process serves a data directory.
package final class RateLimiter: RequestAdmission {
    package enum Decision: Equatable {
        case admitted
        case refused(scope: LimitScope, rate: Int, retryAfterSeconds: Int)
    }

    private let schedule = Mutex<[String: ContinuousClock.Instant]>([:])

    package init() {}

    package func admit(key: String, keyRate: Int?, account: String, accountRate: Int?) async -> Decision {
        admit(key: key, keyRate: keyRate, account: account, accountRate: accountRate, now: .now)
    }

    func admit(key: String, keyRate: Int?, account: String, accountRate: Int?, now: ContinuousClock.Instant)
        -> Decision
    {
        schedule.withLock { schedule in
            var updates: [(String, ContinuousClock.Instant)] = []
            for (scope, id, rate) in [
                (LimitScope.key, "key:" + key, keyRate), (.account, "account:" + account, accountRate),
            ] {
                guard let rate, rate > 0 else { continue }
                let interval = Duration.nanoseconds(60_000_000_000 / Int64(rate))
                let tolerance = interval * (rate - 1)
                let arrival = max(schedule[id] ?? now, now)
                let earliest = arrival - tolerance
                guard earliest <= now else {
                    let wait = now.duration(to: earliest)
                    let seconds = Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0)
                    return .refused(scope: scope, rate: rate, retryAfterSeconds: max(1, seconds))
                }
                updates.append((id, arrival + interval))
            }
            for (id, arrival) in updates { schedule[id] = arrival }
            if schedule.count > 100_000 { schedule = schedule.filter { $0.value > now } }
            return .admitted
        }
    }
}

/// The same limits for a fleet, counted in the shared database so that they hold across every
/// replica: fixed one-minute windows (a burst at a window's edge may reach twice the rate over
/// any sixty seconds, never more than the rate within one window).
package struct SharedRateLimiter: RequestAdmission {
    let fleet: any FleetRepository
    let store: StoreCalls
    let clock: WallClock

    package init(fleet: any FleetRepository, store: StoreCalls, clock: WallClock) {
        self.fleet = fleet
        self.store = store
        self.clock = clock
    }

    package func admit(key: String, keyRate: Int?, account: String, accountRate: Int?) async -> RateLimiter.Decision {
        var limits: [(LimitScope, RequestLimit)] = []
        if let keyRate, keyRate > 0 { limits.append((.key, RequestLimit(subject: "key:" + key, limit: keyRate))) }
        if let accountRate, accountRate > 0 {
            limits.append((.account, RequestLimit(subject: "account:" + account, limit: accountRate)))
        }
        guard !limits.isEmpty else { return .admitted }
        let now = clock.now().timeIntervalSince1970
        let window = Int64(now) / 60 * 60
        let counted = limits.map(\.1)
        let passed: RequestLimit?
        do {
            passed = try await store.write("count a request against the fleet's limits") { [fleet] in
                try fleet.admitRequest(counted, window: window)
            }
        } catch {
            // The store failed (logged): refusing every request would take the service down with
            // it; the request is admitted and the next one is counted again.
            return .admitted
        }
        guard let passed, let scope = limits.first(where: { $0.1 == passed })?.0 else { return .admitted }
        let retryAfter = max(1, Int((Double(window + 60) - now).rounded(.up)))
        return .refused(scope: scope, rate: passed.limit, retryAfterSeconds: retryAfter)
    }
}

import LikenessStore
import Synchronization

/// Requests per minute per key and per account, as token buckets that hold a minute's worth:
/// a quiet key may send `rate` requests at once, then one every 60/`rate` seconds.
///
/// Each bucket is kept as its generic-cell-rate schedule (one instant per key or account), and a
/// request is admitted only when both its key's and its account's buckets allow it, so a refusal
/// by one uses nothing of the other. In memory: one server process serves a data directory.
final class RateLimiter: Sendable {
    enum Decision: Equatable {
        case admitted
        case refused(scope: LimitScope, rate: Int, retryAfterSeconds: Int)
    }

    private let schedule = Mutex<[String: ContinuousClock.Instant]>([:])

    /// `keyRate` and `accountRate` are requests per minute; nil or 0 is unlimited.
    func admit(
        key: String, keyRate: Int?, account: String, accountRate: Int?, now: ContinuousClock.Instant = .now
    ) -> Decision {
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

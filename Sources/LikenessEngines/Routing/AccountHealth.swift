import Synchronization

/// The circuit breaker of one upstream account: whether placement may send it work.
///
/// In: every request may go. A refused key or an empty account (`UpstreamFailure.AccountSignal
/// .refused`), or `failureThreshold` faults in a row, take it out for `cooldown`. Once that has
/// passed, one request is let through as a probe: an answer brings the account back in; another
/// failure takes it out again for twice as long, up to `maximumCooldown`.
public final class AccountHealth: Sendable {
    public struct Settings: Sendable, Hashable {
        public var failureThreshold: Int
        public var cooldown: Duration
        public var maximumCooldown: Duration
        /// False: the account is never taken out (it is a caller's own, and theirs to fix).
        public var takesOut: Bool

        public init(
            failureThreshold: Int = 5, cooldown: Duration = .seconds(30), maximumCooldown: Duration = .seconds(600),
            takesOut: Bool = true
        ) {
            self.failureThreshold = max(1, failureThreshold)
            self.cooldown = max(cooldown, .milliseconds(1))
            self.maximumCooldown = max(maximumCooldown, self.cooldown)
            self.takesOut = takesOut
        }

        public static let alwaysIn = Settings(takesOut: false)
    }

    public enum State: String, Sendable, Hashable {
        /// In placement.
        case `in`
        /// Out until its cool-down ends.
        case out
        /// The cool-down has ended and one probe request may go (or is on its way).
        case probing
    }

    /// What changed with one recorded outcome, for the log.
    public enum Transition: Sendable, Hashable {
        case tookOut(reason: String, for: Duration)
        case probeFailed(reason: String, for: Duration)
        case broughtBack
    }

    public struct Snapshot: Sendable, Hashable {
        public var state: State
        public var reason: String?
        /// How long until a probe may go, while out.
        public var probeIn: Duration?
        public var consecutiveFailures: Int
    }

    public let settings: Settings
    private let phase: Mutex<Phase>

    private enum Phase {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant, cooldown: Duration, reason: String)
        case probing(cooldown: Duration, reason: String)
    }

    public init(settings: Settings = Settings()) {
        self.settings = settings
        phase = Mutex(.closed(failures: 0))
    }

    /// Whether placement may choose this account now: in, or due a probe that nobody has taken.
    public func isPlaceable(at now: ContinuousClock.Instant = .now) -> Bool {
        phase.withLock { phase in
            switch phase {
            case .closed: true
            case .open(let until, _, _): until <= now
            case .probing: false
            }
        }
    }

    /// Called as a request is about to be sent: false when the account is out (or its one
    /// probe is already on its way), and the request must go elsewhere.
    public func beginAttempt(at now: ContinuousClock.Instant = .now) -> Bool {
        phase.withLock { phase in
            switch phase {
            case .closed: return true
            case .open(let until, let cooldown, let reason):
                guard until <= now else { return false }
                phase = .probing(cooldown: cooldown, reason: reason)
                return true
            case .probing: return false
            }
        }
    }

    /// The request ended without an outcome (cancelled): a probe it carried is due again.
    public func abandonAttempt(at now: ContinuousClock.Instant = .now) {
        phase.withLock { phase in
            if case .probing(let cooldown, let reason) = phase {
                phase = .open(until: now, cooldown: cooldown, reason: reason)
            }
        }
    }

    /// Records how one request ended: nil for success, or the failure's signal and reason.
    public func record(
        _ signal: UpstreamFailure.AccountSignal, reason: String = "", at now: ContinuousClock.Instant = .now
    ) -> Transition? {
        guard settings.takesOut else { return nil }
        return phase.withLock { phase in
            switch (phase, signal) {
            case (.closed, .answered):
                phase = .closed(failures: 0)
                return nil
            case (.closed(let failures), .faulty) where failures + 1 < settings.failureThreshold:
                phase = .closed(failures: failures + 1)
                return nil
            case (.closed(let failures), .faulty):
                let reason = "\(failures + 1) failures in a row, the last: \(reason)"
                phase = .open(until: now + settings.cooldown, cooldown: settings.cooldown, reason: reason)
                return .tookOut(reason: reason, for: settings.cooldown)
            case (.closed, .refused):
                phase = .open(until: now + settings.cooldown, cooldown: settings.cooldown, reason: reason)
                return .tookOut(reason: reason, for: settings.cooldown)
            case (.open, .answered), (.probing, .answered):
                phase = .closed(failures: 0)
                return .broughtBack
            case (.probing(let cooldown, _), _):
                let longer = min(cooldown * 2, settings.maximumCooldown)
                phase = .open(until: now + longer, cooldown: longer, reason: reason)
                return .probeFailed(reason: reason, for: longer)
            case (.open, _):
                // A request placed before the account went out has failed too: nothing new.
                return nil
            }
        }
    }

    public func snapshot(at now: ContinuousClock.Instant = .now) -> Snapshot {
        phase.withLock { phase in
            switch phase {
            case .closed(let failures):
                Snapshot(state: .in, reason: nil, probeIn: nil, consecutiveFailures: failures)
            case .open(let until, _, let reason):
                until <= now
                    ? Snapshot(state: .probing, reason: reason, probeIn: .zero, consecutiveFailures: 0)
                    : Snapshot(state: .out, reason: reason, probeIn: now.duration(to: until), consecutiveFailures: 0)
            case .probing(_, let reason):
                Snapshot(state: .probing, reason: reason, probeIn: .zero, consecutiveFailures: 0)
            }
        }
    }
}

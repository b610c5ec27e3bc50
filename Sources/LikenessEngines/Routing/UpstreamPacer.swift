import Foundation
import Synchronization

/// Paces the requests sent on one upstream account: at most `maximumConcurrent` at once, and
/// starts spaced by a token bucket of `requestsPerMinute` with room for `burst` at once.
///
/// The bucket is kept as its equivalent schedule (the generic cell rate algorithm): each request
/// is given its start time when it asks, so waiters start in the order they asked and nothing
/// polls. With `burst` 1 (the default) no 60-second window ever holds more than
/// `requestsPerMinute` starts, which is what a provider's per-minute limit counts.
public final class UpstreamPacer: Sendable {
    /// Where a fleet keeps this account's rate schedule, so that replicas sharing the account
    /// together start no more than its rate; nil when this process alone uses the account.
    public struct SharedSchedule: Sendable {
        /// Names the account in the shared schedule (not its credential).
        public var account: String
        public var schedule: any PacingSchedule

        public init(account: String, schedule: any PacingSchedule) {
            self.account = account
            self.schedule = schedule
        }
    }

    public struct Limits: Sendable, Hashable {
        /// Nil: no rate limit.
        public var requestsPerMinute: Int?
        public var burst: Int
        public var maximumConcurrent: Int

        public init(requestsPerMinute: Int? = nil, burst: Int = 1, maximumConcurrent: Int = .max) {
            self.requestsPerMinute = requestsPerMinute.map { max(1, $0) }
            self.burst = max(1, burst)
            self.maximumConcurrent = max(1, maximumConcurrent)
        }
    }

    public let limits: Limits
    /// Time between starts at the sustained rate; nil without a rate limit.
    public let interval: Duration?
    private let tolerance: Duration
    private let state: Mutex<State>
    public let shared: SharedSchedule?

    private struct State {
        var theoreticalArrival: ContinuousClock.Instant
        var pausedUntil: ContinuousClock.Instant
        var inFlight = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiterID: UInt64 = 0
    }

    public init(limits: Limits, shared: SharedSchedule? = nil) {
        self.limits = limits
        self.shared = shared
        interval = limits.requestsPerMinute.map { .nanoseconds(60_000_000_000 / Int64($0)) }
        tolerance = (interval ?? .zero) * (limits.burst - 1)
        let now = ContinuousClock.now
        state = Mutex(State(theoreticalArrival: now, pausedUntil: now))
    }

    /// Waits for a concurrency slot, then for this request's turn under the rate. The permit
    /// holds the slot until it is released (or given back, unused).
    public func acquire() async throws -> CapacityReservation {
        try await takeSlot()
        return try await start()
    }

    /// What placement compares across the members of a pool, as of `now`.
    public struct Snapshot: Sendable, Hashable {
        public var inFlight: Int
        public var hasFreeSlot: Bool
        /// When the next request could start under the rate (and any `Retry-After` pause).
        public var earliestStart: ContinuousClock.Instant
        /// Starts the bucket would allow at once now; nil without a rate limit.
        public var tokens: Int?
    }

    public func snapshot(at now: ContinuousClock.Instant = .now) -> Snapshot {
        state.withLock { state in
            let earliest = max(now, state.pausedUntil, state.theoreticalArrival - tolerance)
            var tokens: Int? = nil
            if let interval {
                // Each interval of room before the bucket's schedule is one more start allowed now.
                let room = now + tolerance - state.theoreticalArrival
                tokens =
                    state.pausedUntil > now || room < .zero
                    ? 0 : min(limits.burst, Int((room / interval).rounded(.down)) + 1)
            }
            return Snapshot(
                inFlight: state.inFlight,
                hasFreeSlot: state.inFlight < limits.maximumConcurrent && state.waiters.isEmpty,
                earliestStart: earliest, tokens: tokens)
        }
    }

    /// Takes a concurrency slot if one is free now and nobody is waiting for one; never waits.
    func tryTakeSlot() -> Bool {
        state.withLock { state in
            guard state.inFlight < limits.maximumConcurrent && state.waiters.isEmpty else { return false }
            state.inFlight += 1
            return true
        }
    }

    /// With a slot held: schedules this request's start under the rate and waits for it.
    func start() async throws -> CapacityReservation {
        if let shared, let interval, let reservation = try await startShared(shared, interval: interval) {
            return reservation
        }
        let (start, scheduled) = state.withLock { schedule(&$0) }
        do {
            if start > .now { try await Task.sleep(until: start, clock: .continuous) }
        } catch {
            unschedule(scheduled)
            releaseSlot()
            throw error
        }
        return CapacityReservation(pacer: self, scheduled: scheduled)
    }

    /// With a slot held: this request's start, if it may start at once; otherwise nil, with the
    /// slot freed. A start from a fleet's shared schedule is never at once (it is a database
    /// round trip away), so such a request waits its turn in the queue.
    func startNow() -> CapacityReservation? {
        let scheduled: ContinuousClock.Instant?? = state.withLock { state in
            guard shared == nil || interval == nil else { return .none }
            let undo = state.theoreticalArrival
            let (start, scheduled) = schedule(&state)
            guard start <= .now else {
                state.theoreticalArrival = undo
                return .none
            }
            return .some(scheduled)
        }
        guard let scheduled else {
            releaseSlot()
            return nil
        }
        return CapacityReservation(pacer: self, scheduled: scheduled)
    }

    /// The start the shared schedule gives this request, waited for. Nil when the schedule cannot
    /// be reached: this process's own schedule paces the request then (logged by the schedule).
    private func startShared(_ shared: SharedSchedule, interval: Duration) async throws -> CapacityReservation? {
        let startsAt: Date
        do {
            startsAt = try await shared.schedule.reserveStart(
                account: shared.account, interval: interval, tolerance: tolerance)
        } catch is CancellationError {
            releaseSlot()
            throw CancellationError()
        } catch {
            return nil
        }
        let paused = state.withLock { $0.pausedUntil }
        let wait = Duration.milliseconds(Int64(max(0, startsAt.timeIntervalSinceNow) * 1000))
        let start = max(ContinuousClock.now + wait, paused)
        do {
            if start > .now { try await Task.sleep(until: start, clock: .continuous) }
        } catch {
            // The start stays taken in the shared schedule: a fleet errs on the side of the limit.
            releaseSlot()
            throw error
        }
        return CapacityReservation(pacer: self, scheduled: nil)
    }

    /// Holds every start back for `duration`: the provider said to slow down (`Retry-After`).
    public func pause(for duration: Duration) {
        let until = ContinuousClock.now + duration
        state.withLock { $0.pausedUntil = max($0.pausedUntil, until) }
    }

    /// Requests waiting for a slot now.
    public var waitingCount: Int { state.withLock { $0.waiters.count } }

    private func schedule(_ state: inout State) -> (start: ContinuousClock.Instant, scheduled: ContinuousClock.Instant?)
    {
        let now = ContinuousClock.now
        guard let interval else { return (max(now, state.pausedUntil), nil) }
        let start = max(now, state.pausedUntil, state.theoreticalArrival - tolerance)
        let scheduled = max(state.theoreticalArrival, start) + interval
        state.theoreticalArrival = scheduled
        return (start, scheduled)
    }

    /// Returns an unused start to the bucket, when no later one was scheduled after it.
    func unschedule(_ scheduled: ContinuousClock.Instant?) {
        guard let scheduled, let interval else { return }
        state.withLock { state in
            if state.theoreticalArrival == scheduled { state.theoreticalArrival = scheduled - interval }
        }
    }

    /// Waits for a concurrency slot, first come first served.
    func takeSlot() async throws {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Decision { case granted, waiting, cancelled }
                let decision = state.withLock { state -> Decision in
                    // Checked under the lock: a cancellation either came first (seen here) or
                    // finds this waiter in the list.
                    if Task.isCancelled { return .cancelled }
                    if state.inFlight < limits.maximumConcurrent && state.waiters.isEmpty {
                        state.inFlight += 1
                        return .granted
                    }
                    state.waiters.append((id, continuation))
                    return .waiting
                }
                switch decision {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Frees a slot, handing it straight to the first waiter if there is one.
    func releaseSlot() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.waiters.isEmpty else {
                state.inFlight -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A concurrency slot and a start under an upstream's rate limit, taken before a request is
/// sent. Released once the request has ended; given back unused when its job was taken by
/// another worker. Dropping it releases it.
public final class CapacityReservation: Sendable {
    let pacer: UpstreamPacer
    private let scheduled: ContinuousClock.Instant?
    private let open = Mutex(true)

    init(pacer: UpstreamPacer, scheduled: ContinuousClock.Instant?) {
        self.pacer = pacer
        self.scheduled = scheduled
    }

    /// The request it was taken for has ended: the slot is free again.
    public func release() {
        guard close() else { return }
        pacer.releaseSlot()
    }

    /// Not used after all: the slot, and the start if nothing was scheduled after it, return.
    public func giveBack() {
        guard close() else { return }
        pacer.unschedule(scheduled)
        pacer.releaseSlot()
    }

    deinit { release() }

    /// True for the one caller that closes it.
    private func close() -> Bool {
        open.withLock { isOpen in
            defer { isOpen = false }
            return isOpen
        }
    }
}

/// A rate schedule shared by the replicas of a fleet (kept in their database): the generic cell
/// rate algorithm's one instant per upstream account, advanced by each start any replica takes.
public protocol PacingSchedule: Sendable {
    /// Takes the next start on `account` for a rate of one per `interval` with `tolerance` of
    /// burst, and returns when it is (now, or later when the account's rate is spent).
    func reserveStart(account: String, interval: Duration, tolerance: Duration) async throws -> Date
}

import LikenessCore
import Synchronization

/// One tier of a route: engines on interchangeable upstream accounts whose capacity adds up.
/// A request goes to the member that can start it soonest (see `Placement`); members whose
/// account is out (`AccountHealth`) are never chosen, and never waited on.
public final class UpstreamPool: Sendable {
    public let members: [RouteStep]
    /// Smooth weighted round-robin state, for the members that tie on everything else.
    private let rotation: Mutex<[Int]>

    public init(_ members: [RouteStep]) {
        precondition(!members.isEmpty, "a pool has members")
        self.members = members
        rotation = Mutex(Array(repeating: 0, count: members.count))
    }

    /// A member chosen for a request, holding its slot and start.
    public struct Placed: Sendable {
        public var member: Int
        public var reservation: CapacityReservation
    }

    /// The members placement may choose now, less `excluded`.
    func placeable(excluding excluded: Set<Int> = [], at now: ContinuousClock.Instant = .now) -> [Int] {
        members.indices.filter { !excluded.contains($0) && members[$0].health.isPlaceable(at: now) }
    }

    /// The pool's sustained time between starts: its placeable members' rates summed. Nil when
    /// a member is not paced (or none is placeable), as a single unpaced engine is.
    public var combinedInterval: Duration? {
        let intervals = placeable().map { members[$0].pacer.interval }
        guard !intervals.isEmpty, !intervals.contains(where: { $0 == nil }) else { return nil }
        let startsPerSecond = intervals.compactMap { $0 }.reduce(0.0) { $0 + 1 / $1.seconds }
        return .nanoseconds(Int64(1_000_000_000 / startsPerSecond))
    }

    /// The member of this pool whose capacity `reservation` holds.
    func member(holding reservation: CapacityReservation) -> Int? {
        members.firstIndex { $0.pacer === reservation.pacer }
    }

    /// Waits until a member (not in `excluded`) can start a request, and reserves it there. Nil
    /// when no member is placeable: the route's next tier is due.
    public func acquire(excluding excluded: Set<Int> = []) async throws -> Placed? {
        while true {
            let now = ContinuousClock.now
            let candidates = placeable(excluding: excluded, at: now)
            guard !candidates.isEmpty else { return nil }
            let ready = candidates.compactMap { index -> Placement.Candidate? in
                let pacer = members[index].pacer.snapshot(at: now)
                guard pacer.hasFreeSlot else { return nil }
                return Placement.Candidate(
                    member: index, earliestStart: pacer.earliestStart, inFlight: pacer.inFlight,
                    weight: members[index].weight,
                    recentFailures: members[index].health.snapshot(at: now).consecutiveFailures)
            }
            let chosen: Int
            if let best = rotation.withLock({ Placement.choose(ready, rotation: &$0) }) {
                // Another request may have taken the slot since the snapshot: look again.
                guard members[best].pacer.tryTakeSlot() else { continue }
                chosen = best
            } else {
                chosen = try await firstFreeSlot(among: candidates)
                guard members[chosen].health.isPlaceable() else {
                    members[chosen].pacer.releaseSlot()
                    continue
                }
            }
            return Placed(member: chosen, reservation: try await members[chosen].pacer.start())
        }
    }

    /// `acquire`'s choice among the members that can start a request at once; nil when none can.
    public func acquireNow() -> Placed? {
        let now = ContinuousClock.now
        let ready = placeable(at: now).compactMap { index -> Placement.Candidate? in
            let pacer = members[index].pacer.snapshot(at: now)
            guard pacer.hasFreeSlot, pacer.earliestStart <= now else { return nil }
            return Placement.Candidate(
                member: index, earliestStart: pacer.earliestStart, inFlight: pacer.inFlight,
                weight: members[index].weight,
                recentFailures: members[index].health.snapshot(at: now).consecutiveFailures)
        }
        guard let best = rotation.withLock({ Placement.choose(ready, rotation: &$0) }),
            members[best].pacer.tryTakeSlot()
        else { return nil }
        guard let reservation = members[best].pacer.startNow() else { return nil }
        return Placed(member: best, reservation: reservation)
    }

    /// Every candidate's slots are taken: waits in each one's line and keeps the first slot
    /// granted, handing back any other granted meanwhile.
    private func firstFreeSlot(among candidates: [Int]) async throws -> Int {
        let winner = await withTaskGroup(of: Int?.self) { group in
            for index in candidates {
                group.addTask { [pacer = members[index].pacer] in
                    do {
                        try await pacer.takeSlot()
                        return index
                    } catch {
                        return nil
                    }
                }
            }
            var winner: Int? = nil
            for await granted in group {
                guard let granted else { continue }
                if winner == nil {
                    winner = granted
                    group.cancelAll()
                } else {
                    members[granted].pacer.releaseSlot()
                }
            }
            return winner
        }
        guard let winner else { throw CancellationError() }
        if Task.isCancelled {
            members[winner].pacer.releaseSlot()
            throw CancellationError()
        }
        return winner
    }
}

/// The choice among the members of a pool that have a free slot: a pure function of their
/// state, so that the state can live anywhere (this process's memory today; a database row per
/// account for a fleet).
public enum Placement {
    public struct Candidate: Sendable, Hashable {
        public var member: Int
        public var earliestStart: ContinuousClock.Instant
        public var inFlight: Int
        public var weight: Int
        public var recentFailures: Int

        public init(
            member: Int, earliestStart: ContinuousClock.Instant, inFlight: Int, weight: Int, recentFailures: Int
        ) {
            self.member = member
            self.earliestStart = earliestStart
            self.inFlight = inFlight
            self.weight = weight
            self.recentFailures = recentFailures
        }
    }

    /// The member that can start soonest (to the millisecond); then the one with fewer recent
    /// failures; then the least loaded for its weight; then, among equals, smooth weighted
    /// round-robin, so that idle members share light traffic by weight. Nil without candidates.
    public static func choose(_ candidates: [Candidate], rotation: inout [Int]) -> Int? {
        func rank(_ candidate: Candidate) -> (Int64, Int, Double) {
            let offset = candidates[0].earliestStart.duration(to: candidate.earliestStart)
            return (
                Int64((offset.seconds * 1000).rounded(.down)), candidate.recentFailures,
                Double(candidate.inFlight) / Double(max(1, candidate.weight))
            )
        }
        guard let best = candidates.map(rank).min(by: <) else { return nil }
        let tied = candidates.filter { rank($0) == best }
        let total = tied.reduce(0) { $0 + max(1, $1.weight) }
        for candidate in tied { rotation[candidate.member] += max(1, candidate.weight) }
        guard let pick = tied.max(by: { rotation[$0.member] < rotation[$1.member] }) else { return nil }
        rotation[pick.member] -= total
        return pick.member
    }
}

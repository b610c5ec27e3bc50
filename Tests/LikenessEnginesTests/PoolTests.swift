import Foundation
import LikenessCore
import LikenessTestSupport
import Logging
import Synchronization
import Testing

@testable import LikenessEngines

/// An engine that answers from a script, one outcome a call (the last one repeats), and counts calls.
final class ScriptedEngine: ImageEngine {
    enum Outcome: Sendable {
        case images
        case failure(UpstreamFailure)
    }

    let name: String
    private let script: Mutex<(outcomes: [Outcome], calls: Int)>

    init(_ name: String, _ outcomes: [Outcome] = [.images]) {
        self.name = name
        script = Mutex((outcomes, 0))
    }

    var calls: Int { script.withLock { $0.calls } }

    /// From now on every call has this outcome.
    func answer(_ outcome: Outcome) { script.withLock { $0.outcomes = [outcome] } }

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let outcome = script.withLock { script in
            script.calls += 1
            return script.outcomes.count > 1 ? script.outcomes.removeFirst() : script.outcomes[0]
        }
        switch outcome {
        case .images:
            return EngineOutput(
                images: job.seeds.map { _ in EngineImage(jpeg: Data([0xFF, 0xD8]), size: job.request.size) })
        case .failure(let failure):
            throw failure
        }
    }
}

extension UpstreamFailure {
    static let keyRefused = UpstreamFailure.miniMax("a", code: 2049, message: "invalid api key", retryAfter: nil)
    static let serverError = UpstreamFailure.http("a", status: 503, message: nil, retryAfter: nil)
}

@Suite("upstream pools: placement and account health")
struct PoolTests {
    static let request = GenerationRequest(prompt: "a lighthouse", aspectRatio: .square, count: 1, seed: 1)

    static func job(reservation: CapacityReservation? = nil) -> EngineJob {
        EngineJob(id: "job", request: request, seeds: [1], reservation: reservation)
    }

    static func step(
        _ engine: ScriptedEngine, limits: UpstreamPacer.Limits = .init(), weight: Int = 1,
        health: AccountHealth.Settings = .init()
    ) -> RouteStep {
        RouteStep(
            engine: engine, pacer: UpstreamPacer(limits: limits), health: AccountHealth(settings: health),
            retry: RetryPolicy(maximumAttempts: 3, initialBackoff: .milliseconds(1)), weight: weight)
    }

    func candidate(
        _ member: Int, startsIn milliseconds: Int = 0, inFlight: Int = 0, weight: Int = 1, failures: Int = 0,
        now: ContinuousClock.Instant
    ) -> Placement.Candidate {
        Placement.Candidate(
            member: member, earliestStart: now + .milliseconds(milliseconds), inFlight: inFlight, weight: weight,
            recentFailures: failures)
    }

    @Test("placement: the soonest start wins; then the healthier; then the less loaded for its weight")
    func placementOrder() {
        let now = ContinuousClock.now
        var rotation = [0, 0, 0]
        #expect(
            Placement.choose(
                [
                    candidate(0, startsIn: 400, now: now), candidate(1, startsIn: 100, now: now),
                    candidate(2, startsIn: 900, now: now),
                ],
                rotation: &rotation) == 1)
        #expect(
            Placement.choose(
                [
                    candidate(0, failures: 2, now: now), candidate(1, failures: 1, now: now),
                    candidate(2, failures: 3, now: now),
                ],
                rotation: &rotation) == 1)
        // Two in flight on a member of weight 4 is a lighter load than one on a member of weight 1.
        #expect(
            Placement.choose(
                [candidate(0, inFlight: 1, now: now), candidate(1, inFlight: 2, weight: 4, now: now)],
                rotation: &rotation) == 1)
        #expect(Placement.choose([], rotation: &rotation) == nil)
    }

    @Test("idle members share light traffic by their weights")
    func weightedShares() {
        let now = ContinuousClock.now
        var rotation = [0, 0, 0]
        var picks = [0, 0, 0]
        for _ in 0..<40 {
            let candidates = [candidate(0, weight: 2, now: now), candidate(1, now: now), candidate(2, now: now)]
            picks[Placement.choose(candidates, rotation: &rotation)!] += 1
        }
        #expect(picks == [20, 10, 10])
    }

    @Test("a refused key takes the account out at once; after the cool-down one probe goes; an answer brings it back")
    func refusedAndProbed() {
        let health = AccountHealth(settings: .init(cooldown: .seconds(30)))
        let start = ContinuousClock.now
        #expect(health.record(.refused, reason: "2049 invalid api key", at: start) != nil)
        #expect(!health.isPlaceable(at: start + .seconds(29)))
        #expect(!health.beginAttempt(at: start + .seconds(29)))
        #expect(health.snapshot(at: start + .seconds(10)).state == .out)
        #expect(health.snapshot(at: start + .seconds(10)).reason == "2049 invalid api key")

        let later = start + .seconds(31)
        #expect(health.isPlaceable(at: later))
        #expect(health.beginAttempt(at: later))  // the probe
        #expect(!health.beginAttempt(at: later))  // only one
        #expect(!health.isPlaceable(at: later))
        #expect(health.record(.answered, at: later) == .broughtBack)
        #expect(health.snapshot(at: later).state == .in)
        #expect(health.beginAttempt(at: later) && health.beginAttempt(at: later))
    }

    @Test(
        "faults in a row take it out at the threshold; a failed probe doubles the cool-down; an answer resets the count"
    )
    func repeatedFaults() {
        let health = AccountHealth(
            settings: .init(failureThreshold: 3, cooldown: .seconds(10), maximumCooldown: .seconds(15)))
        let start = ContinuousClock.now
        #expect(health.record(.faulty, reason: "503", at: start) == nil)
        #expect(health.record(.faulty, reason: "503", at: start) == nil)
        #expect(health.record(.answered, at: start) == nil)  // the count starts again
        #expect(health.record(.faulty, reason: "503", at: start) == nil)
        #expect(health.record(.faulty, reason: "503", at: start) == nil)
        #expect(health.snapshot(at: start).consecutiveFailures == 2)
        #expect(
            health.record(.faulty, reason: "503", at: start)
                == .tookOut(reason: "3 failures in a row, the last: 503", for: .seconds(10)))

        let probe = start + .seconds(10)
        #expect(health.beginAttempt(at: probe))
        #expect(health.record(.faulty, reason: "503", at: probe) == .probeFailed(reason: "503", for: .seconds(15)))
        #expect(!health.isPlaceable(at: probe + .seconds(14)))
        #expect(health.isPlaceable(at: probe + .seconds(15)))
        // A probe that is cancelled is due again at once.
        #expect(health.beginAttempt(at: probe + .seconds(15)))
        health.abandonAttempt(at: probe + .seconds(15))
        #expect(health.beginAttempt(at: probe + .seconds(15)))
    }

    @Test("rate limits and the caller's own faults are answers: they never take an account out")
    func answersKeepItIn() {
        let health = AccountHealth(settings: .init(failureThreshold: 1))
        let busy = UpstreamFailure.miniMax("a", code: 1002, message: "rate limit", retryAfter: nil)
        let callers = UpstreamFailure.miniMax("a", code: 2013, message: "invalid params", retryAfter: nil)
        for failure in [busy, callers] { #expect(health.record(failure.account) == nil) }
        #expect(health.snapshot().state == .in)
        #expect(UpstreamFailure.keyRefused.account == .refused)
        #expect(UpstreamFailure.miniMax("a", code: 2056, message: "", retryAfter: nil).account == .refused)
        #expect(UpstreamFailure.serverError.account == .faulty)
        // A caller's own key (BYOK) is never taken out: each refusal is theirs to see.
        let own = AccountHealth(settings: .alwaysIn)
        #expect(own.record(.refused, reason: "1004") == nil && own.isPlaceable())
    }

    @Test("a pool's capacity is its members' summed rate: as many start at once as it has members")
    func summedCapacity() async throws {
        let engines = ["a", "b", "c"].map { ScriptedEngine($0) }
        let pool = UpstreamPool(engines.map { Self.step($0, limits: .init(requestsPerMinute: 600)) })
        let single = try #require(pool.members[0].pacer.interval)
        let combined = try #require(pool.combinedInterval)
        #expect(abs(combined.seconds - single.seconds / 3) < 0.001)

        // Three requests at once start at once, one on each account; a fourth waits for the soonest.
        var held: [UpstreamPool.Placed] = []
        for _ in 0..<3 { held.append(try #require(try await pool.acquire())) }
        #expect(Set(held.map(\.member)) == [0, 1, 2])
        #expect(pool.members.allSatisfy { $0.pacer.snapshot().tokens == 0 })
        for placed in held { placed.reservation.release() }
    }

    @Test("a provider's Retry-After pauses only the account that sent it: the pool places on the others meanwhile")
    func retryAfterPausesOneMember() async throws {
        let engines = ["a", "b"].map { ScriptedEngine($0) }
        let pool = UpstreamPool(engines.map { Self.step($0, limits: .init(requestsPerMinute: 600)) })
        pool.members[0].pacer.pause(for: .seconds(30))
        for _ in 0..<3 {
            let placed = try #require(try await pool.acquire())
            #expect(placed.member == 1)
            placed.reservation.release()
        }
        #expect(pool.members[0].pacer.snapshot().tokens == 0)
    }

    @Test("a member that is out is never chosen nor waited on; with every member out the pool has no capacity")
    func outMembersPassedOver() async throws {
        let engines = ["a", "b"].map { ScriptedEngine($0) }
        let pool = UpstreamPool(engines.map { Self.step($0, limits: .init(maximumConcurrent: 1)) })
        _ = pool.members[0].health.record(.refused, reason: "2049")
        for _ in 0..<4 {
            let placed = try #require(try await pool.acquire())
            #expect(placed.member == 1)
            placed.reservation.release()
        }
        // b's only slot is held: the pool waits on b alone, not on a's free slot.
        let held = try #require(try await pool.acquire())
        let waiting = Task { try await pool.acquire() }
        try await eventually(timeout: .seconds(10)) { pool.members[1].pacer.waitingCount == 1 }
        #expect(pool.members[0].pacer.snapshot().inFlight == 0)
        held.reservation.release()
        let next = try #require(try await waiting.value)
        #expect(next.member == 1)
        next.reservation.release()

        _ = pool.members[1].health.record(.refused, reason: "1008")
        #expect(try await pool.acquire() == nil)
        #expect(pool.combinedInterval == nil)
    }

    @Test("when every member's slots are taken, the first to free one gets the request")
    func firstFreeSlot() async throws {
        let engines = ["a", "b"].map { ScriptedEngine($0) }
        let pool = UpstreamPool(engines.map { Self.step($0, limits: .init(maximumConcurrent: 1)) })
        let first = try #require(try await pool.acquire())
        let second = try #require(try await pool.acquire())
        #expect(Set([first.member, second.member]) == [0, 1])
        let waiting = Task { try await pool.acquire() }
        try await eventually(timeout: .seconds(10)) {
            pool.members.allSatisfy { $0.pacer.waitingCount == 1 }
        }
        second.reservation.release()
        let next = try #require(try await waiting.value)
        #expect(next.member == second.member)
        // It left the other member's line: that slot is not taken by a ghost.
        try await eventually(timeout: .seconds(10)) { pool.members[first.member].pacer.waitingCount == 0 }
        first.reservation.release()
        #expect(pool.members[first.member].pacer.snapshot().hasFreeSlot)
        next.reservation.release()
    }

    @Test("a member that fails after its retries hands the job to another of its pool before the next tier")
    func handOffInsideTheTier() async throws {
        let failing = ScriptedEngine("a", [.failure(.serverError)])
        let healthy = ScriptedEngine("b")
        let fallback = ScriptedEngine("c")
        let router = EngineRouter(routes: [
            .image01: [UpstreamPool([Self.step(failing), Self.step(healthy)]), UpstreamPool([Self.step(fallback)])]
        ])
        var messages: [String] = []
        let lines = Mutex<[String]>([])
        let output = try await router.generate(Self.job()) { line in lines.withLock { $0.append(line.message) } }
        messages = lines.withLock { $0 }
        #expect(output.engine == "b")
        #expect(failing.calls == 3)  // its retries first
        #expect(healthy.calls == 1)
        #expect(fallback.calls == 0)
        #expect(messages.last?.contains("handing it to another engine of its pool") == true)
    }

    @Test("a refused account is taken out, logged once at warning with the reason, and its pool carries on")
    func refusedMemberTakenOut() async throws {
        let refused = ScriptedEngine("a", [.failure(.keyRefused)])
        let healthy = ScriptedEngine("b")
        let records = RecordingLogHandler.Records()
        let router = EngineRouter(
            routes: [.image01: [UpstreamPool([Self.step(refused), Self.step(healthy)])]],
            logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
        for _ in 0..<5 {
            let output = try await router.generate(Self.job()) { _ in }
            #expect(output.engine == "b")
        }
        #expect(refused.calls == 1)  // never retried, never placed again
        #expect(healthy.calls == 5)
        let warnings = records.all.withLock { $0 }.filter { $0.message == "upstream account taken out of placement" }
        #expect(warnings.count == 1)
        #expect(warnings.first?.level == .warning)
        #expect(warnings.first?.metadata["reason"]?.description.contains("2049") == true)
        let status = try #require(router.status()[.image01]?.first)
        #expect(status.map(\.health.state) == [.out, .in])
    }

    @Test(
        "with its first tier out the route reserves on and is served by the next tier; with every tier out it fails at once"
    )
    func tiers() async throws {
        let first = ScriptedEngine("a", [.failure(.keyRefused)])
        let second = ScriptedEngine("c")
        let router = EngineRouter(routes: [
            .image01: [
                UpstreamPool([Self.step(first)]),
                UpstreamPool([Self.step(second, limits: .init(requestsPerMinute: 600))]),
            ]
        ])
        #expect(try await router.generate(Self.job()) { _ in }.engine == "c")
        #expect(router.startInterval(for: .image01) == .milliseconds(100))  // the second tier's rate now
        let reservation = try #require(try await router.reserveCapacity(for: .image01))
        #expect(try await router.generate(Self.job(reservation: reservation)) { _ in }.engine == "c")
        #expect(first.calls == 1 && second.calls == 2)

        second.answer(.failure(.keyRefused))
        _ = try? await router.generate(Self.job()) { _ in }
        let error = await #expect(throws: APIError.self) { try await router.generate(Self.job()) { _ in } }
        #expect(error?.message.contains("out of service") == true)
        #expect(error?.message.contains("2049") == true)
        #expect(first.calls == 1 && second.calls == 3)
    }
}

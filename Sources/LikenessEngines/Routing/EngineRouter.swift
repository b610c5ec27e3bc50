import CoreMetrics
import Foundation
import LikenessCore
import Logging

/// One engine of a route, with the pacer and health of its upstream account and its retry policy.
public struct RouteStep: Sendable {
    /// The operator's name for it (`likeness.engines`), in logs, metrics, `/health` and
    /// `X-Likeness-Engine`.
    public var name: String
    public var engine: any ImageEngine
    /// Shared by every step that uses the same upstream account.
    public var pacer: UpstreamPacer
    /// Shared like the pacer: an account refused in one route is out in all of them.
    public var health: AccountHealth
    public var retry: RetryPolicy
    /// Its share of light traffic among the idle members of its pool (default 1).
    public var weight: Int
    /// What the provider charges per delivered image, in US dollars, when the operator said.
    public var priceUSD: Double?

    public init(
        name: String? = nil, engine: any ImageEngine, pacer: UpstreamPacer, health: AccountHealth = AccountHealth(),
        retry: RetryPolicy = RetryPolicy(), weight: Int = 1, priceUSD: Double? = nil
    ) {
        self.name = name ?? engine.name
        self.engine = engine
        self.pacer = pacer
        self.health = health
        self.retry = retry
        self.weight = max(1, weight)
        self.priceUSD = priceUSD
    }
}

/// Serves each model by its route: tiers tried in order, each a pool of engines whose
/// capacity adds up (`UpstreamPool`). A request goes to the member of the first tier that can
/// start it soonest; it is retried there on transient failures (`RetryPolicy`); when its
/// retries are spent, or that member cannot serve at all, another member of the tier gets it,
/// then the next tier. A failure that is the caller's fault ends the request at once. Members
/// whose account is out (`AccountHealth`) are passed over.
///
/// A job ends once, whatever happened on the way: the worker records the one output or the
/// last error, so a retried request is reported (and, later, billed) once.
public struct EngineRouter: ImageEngine {
    public let name = "router"
    public let routes: [ImageModel: [UpstreamPool]]
    let logger: Logger
    let metrics: UpstreamMetrics

    /// `metrics`: where upstream calls, retries, failovers and pacer waits are counted.
    public init(
        routes: [ImageModel: [UpstreamPool]], logger: Logger = Logger(label: "likeness.router"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.routes = routes
        self.logger = logger
        self.metrics = UpstreamMetrics(factory: metrics)
    }

    /// One pool per model, of one member: a route with neither tiers nor pools.
    public init(
        serving models: [ImageModel], with step: RouteStep, logger: Logger = Logger(label: "likeness.router"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            routes: Dictionary(uniqueKeysWithValues: models.map { ($0, [UpstreamPool([step])]) }), logger: logger,
            metrics: metrics)
    }

    /// Capacity on the first tier that has a member in placement: where a new job goes first.
    public func reserveCapacity(for model: ImageModel) async throws -> CapacityReservation? {
        for tier in routes[model] ?? [] {
            if let placed = try await acquire(on: tier) { return placed.reservation }
        }
        return nil
    }

    /// `reserveCapacity`'s choice of tier, taken only if a member can start at once.
    public func reserveCapacityNow(for model: ImageModel) -> ImmediateCapacity {
        guard let tier = routes[model]?.first(where: { !$0.placeable().isEmpty }) else { return .granted(nil) }
        return tier.acquireNow().map { .granted($0.reservation) } ?? .busy
    }

    /// A place on `tier`, its wait counted as the chosen member's pacer wait.
    private func acquire(on tier: UpstreamPool, excluding excluded: Set<Int> = []) async throws -> UpstreamPool.Placed?
    {
        let started = ContinuousClock.now
        guard let placed = try await tier.acquire(excluding: excluded) else { return nil }
        metrics.pacerWait(engine: tier.members[placed.member].name, started.duration(to: .now))
        return placed
    }

    /// The combined time between starts of the first tier in placement, for wait estimates.
    public func startInterval(for model: ImageModel) -> Duration? {
        routes[model]?.first { !$0.placeable().isEmpty }?.combinedInterval
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let model = job.request.model
        guard let tiers = routes[model], !tiers.isEmpty else {
            job.reservation?.giveBack()
            throw APIError(
                .invalidParameters, "no engine serves \(model.rawValue) on this server", reason: .unknownModel)
        }
        var reservation = job.reservation
        defer { reservation?.giveBack() }
        var lastFailure: UpstreamFailure? = nil
        for (tierIndex, tier) in tiers.enumerated() {
            var tried: Set<Int> = []
            while true {
                let member: Int
                let permit: CapacityReservation
                if let reserved = reservation, let index = tier.member(holding: reserved) {
                    (member, permit) = (index, reserved)
                    reservation = nil
                } else {
                    guard let placed = try await acquire(on: tier, excluding: tried) else { break }
                    (member, permit) = (placed.member, placed.reservation)
                    // Capacity held elsewhere (a tier that was out when the job was claimed) goes back.
                    reservation?.giveBack()
                    reservation = nil
                }
                tried.insert(member)
                let step = tier.members[member]
                do {
                    var output = try await run(step, job, permit: permit, progress: progress)
                    output.engine = output.engine ?? step.name
                    var metadata: Logger.Metadata = [
                        "job": "\(job.id)", "engine": "\(step.name)", "images": "\(output.images.count)",
                    ]
                    if let price = step.priceUSD {
                        metadata["upstream_cost_usd"] = "\(Double(output.images.count) * price)"
                    }
                    logger.info("upstream served", metadata: metadata)
                    return output
                } catch is MemberOut {
                    continue
                } catch let failure as UpstreamFailure {
                    try Task.checkCancellation()
                    guard failure.disposition != .fail else { throw failure.error }
                    lastFailure = failure
                    metrics.failover(engine: step.name)
                    logger.warning(
                        "engine gave up on a job",
                        metadata: ["job": "\(job.id)", "engine": "\(step.name)", "error": "\(failure.error)"])
                    let next =
                        !tier.placeable(excluding: tried).isEmpty
                        ? "handing it to another engine of its pool"
                        : tierIndex + 1 < tiers.count
                            ? "failing over to \(tiers[tierIndex + 1].members.map(\.name).joined(separator: "|"))"
                            : nil
                    if let next {
                        progress(
                            EngineProgress(
                                message: "\(step.name) could not serve (\(failure.error.message)); \(next)",
                                completedImages: 0))
                    }
                }
            }
        }
        throw lastFailure?.error
            ?? APIError(
                .systemError,
                "every engine that serves \(model.rawValue) is out of service: "
                    + Self.outReasons(tiers.flatMap(\.members)), reason: .upstream)
    }

    /// One engine, retried under its policy while its account stays in placement. Throws the
    /// last `UpstreamFailure`, or `MemberOut` when the account was out before anything was sent.
    private func run(
        _ step: RouteStep, _ job: EngineJob, permit first: CapacityReservation,
        progress: @escaping @Sendable (EngineProgress) -> Void
    ) async throws -> EngineOutput {
        let started = ContinuousClock.now
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        var reserved: CapacityReservation? = first
        while true {
            let permit: CapacityReservation
            if let reserved {
                permit = reserved
            } else {
                let waited = ContinuousClock.now
                permit = try await step.pacer.acquire()
                metrics.pacerWait(engine: step.name, waited.duration(to: .now))
            }
            reserved = nil
            guard step.health.beginAttempt() else {
                permit.giveBack()
                throw MemberOut()
            }
            let failure: UpstreamFailure
            do {
                defer { permit.release() }
                let output = try await step.engine.generate(job, progress: progress)
                note(step.health.record(.answered), engine: step.name)
                metrics.call(engine: step.name, failure: nil)
                return output
            } catch let error as UpstreamFailure {
                failure = error
            } catch let error as APIError {
                failure = UpstreamFailure(.fail, error)
            } catch is CancellationError {
                failure = UpstreamFailure(.fail, APIError(.timeout, "cancelled"))
            } catch {
                failure = UpstreamFailure(
                    .nextEngine, APIError(.internalError, "the \(step.name) engine failed: \(error)"))
            }
            if Task.isCancelled {
                step.health.abandonAttempt()
                throw CancellationError()
            }
            note(step.health.record(failure.account, reason: failure.error.message), engine: step.name)
            metrics.call(engine: step.name, failure: failure)
            guard failure.disposition == .retry else { throw failure }
            if let retryAfter = failure.retryAfter { step.pacer.pause(for: retryAfter) }
            let wait = step.retry.backoff(afterFailures: attempt, retryAfter: failure.retryAfter, using: &generator)
            guard attempt < step.retry.maximumAttempts, started.duration(to: .now) + wait < step.retry.maximumElapsed,
                step.health.isPlaceable(at: .now + wait)
            else { throw failure }
            attempt += 1
            metrics.retry(engine: step.name)
            progress(
                EngineProgress(
                    message: "\(failure.error.message); attempt \(attempt) of \(step.retry.maximumAttempts) "
                        + "in \(wait.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))",
                    completedImages: 0))
            try await Task.sleep(for: wait)
        }
    }

    /// Logs an account's change of health once, as it happens.
    private func note(_ transition: AccountHealth.Transition?, engine: String) {
        switch transition {
        case nil: break
        case .tookOut(let reason, let cooldown):
            logger.warning(
                "upstream account taken out of placement",
                metadata: ["engine": "\(engine)", "reason": "\(reason)", "probe_in_s": "\(cooldown.seconds)"])
        case .probeFailed(let reason, let cooldown):
            logger.info(
                "probe failed; upstream account stays out",
                metadata: ["engine": "\(engine)", "reason": "\(reason)", "probe_in_s": "\(cooldown.seconds)"])
        case .broughtBack:
            logger.notice("upstream account back in placement", metadata: ["engine": "\(engine)"])
        }
    }

    /// One member of a route as `/health` shows it.
    public struct MemberStatus: Sendable, Hashable {
        public var name: String
        public var health: AccountHealth.Snapshot
        public var pacer: UpstreamPacer.Snapshot
        public var limits: UpstreamPacer.Limits
        public var weight: Int
    }

    /// Each model's route as tiers of members, with their state now.
    public func status(at now: ContinuousClock.Instant = .now) -> [ImageModel: [[MemberStatus]]] {
        routes.mapValues { tiers in
            tiers.map { tier in
                tier.members.map { member in
                    MemberStatus(
                        name: member.name, health: member.health.snapshot(at: now),
                        pacer: member.pacer.snapshot(at: now), limits: member.pacer.limits, weight: member.weight)
                }
            }
        }
    }

    static func outReasons(_ members: [RouteStep]) -> String {
        members.map { member in
            let health = member.health.snapshot()
            return "\(member.name) (\(health.reason ?? health.state.rawValue))"
        }.joined(separator: ", ")
    }
}

/// The member's account was out by the time its request was due: nothing was sent.
struct MemberOut: Error {}

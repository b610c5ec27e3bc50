import Foundation
import LikenessCore
import Logging

/// One engine of a route, with the pacer of its upstream account and its retry policy.
public struct RouteStep: Sendable {
    public var engine: any ImageEngine
    /// Shared by every step that uses the same upstream account.
    public var pacer: UpstreamPacer
    public var retry: RetryPolicy
    /// What the provider charges per delivered image, in US dollars, when the operator said.
    public var priceUSD: Double?

    public init(
        engine: any ImageEngine, pacer: UpstreamPacer, retry: RetryPolicy = RetryPolicy(), priceUSD: Double? = nil
    ) {
        self.engine = engine
        self.pacer = pacer
        self.retry = retry
        self.priceUSD = priceUSD
    }
}

/// Serves each model by its route: an ordered list of engines. Each engine is paced by its
/// account's `UpstreamPacer` and retried on transient failures (`RetryPolicy`); when its
/// retries are spent, or it cannot serve at all, the next engine of the route is tried. A
/// failure that is the caller's fault ends the request at once.
///
/// A job ends once, whatever happened on the way: the worker records the one output or the
/// last error, so a retried request is reported (and, later, billed) once.
public struct EngineRouter: ImageEngine {
    public let name = "router"
    public let routes: [ImageModel: [RouteStep]]
    let logger: Logger

    public init(routes: [ImageModel: [RouteStep]], logger: Logger = Logger(label: "likeness.router")) {
        self.routes = routes
        self.logger = logger
    }

    /// The first engine of the model's route: where a new job goes first.
    public func reserveCapacity(for model: ImageModel) async throws -> CapacityReservation? {
        guard let first = routes[model]?.first else { return nil }
        return try await first.pacer.acquire()
    }

    /// The sustained time between starts on the model's first engine, for wait estimates.
    public func startInterval(for model: ImageModel) -> Duration? {
        routes[model]?.first?.pacer.interval
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let model = job.request.model
        guard let steps = routes[model], !steps.isEmpty else {
            job.reservation?.giveBack()
            throw APIError(
                .invalidParameters, "no engine serves \(model.rawValue) on this server", reason: .unknownModel)
        }
        var reservation = job.reservation
        defer { reservation?.giveBack() }
        var lastFailure: UpstreamFailure? = nil
        for (index, step) in steps.enumerated() {
            do {
                var output = try await run(step, job, reservation: &reservation, progress: progress)
                output.engine = output.engine ?? step.engine.name
                var metadata: Logger.Metadata = [
                    "job": "\(job.id)", "engine": "\(step.engine.name)", "images": "\(output.images.count)",
                ]
                if let price = step.priceUSD {
                    metadata["upstream_cost_usd"] = "\(Double(output.images.count) * price)"
                }
                logger.info("upstream served", metadata: metadata)
                return output
            } catch let failure as UpstreamFailure {
                try Task.checkCancellation()
                guard failure.disposition != .fail else { throw failure.error }
                lastFailure = failure
                logger.warning(
                    "engine gave up on a job",
                    metadata: ["job": "\(job.id)", "engine": "\(step.engine.name)", "error": "\(failure.error)"])
                if index + 1 < steps.count {
                    progress(
                        EngineProgress(
                            message: "\(step.engine.name) could not serve (\(failure.error.message)); "
                                + "failing over to \(steps[index + 1].engine.name)", completedImages: 0))
                }
            }
        }
        throw lastFailure?.error ?? APIError(.systemError, "no engine could serve the request", reason: .upstream)
    }

    /// One engine, retried under its policy. Throws the last `UpstreamFailure`.
    private func run(
        _ step: RouteStep, _ job: EngineJob, reservation: inout CapacityReservation?,
        progress: @escaping @Sendable (EngineProgress) -> Void
    ) async throws -> EngineOutput {
        let started = ContinuousClock.now
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let permit: CapacityReservation
            if let reserved = reservation, reserved.pacer === step.pacer {
                permit = reserved
                reservation = nil
            } else {
                permit = try await step.pacer.acquire()
            }
            let failure: UpstreamFailure
            do {
                defer { permit.release() }
                return try await step.engine.generate(job, progress: progress)
            } catch let error as UpstreamFailure {
                failure = error
            } catch let error as APIError {
                failure = UpstreamFailure(.fail, error)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = UpstreamFailure(
                    .nextEngine, APIError(.internalError, "the \(step.engine.name) engine failed: \(error)"))
            }
            try Task.checkCancellation()
            guard failure.disposition == .retry else { throw failure }
            if let retryAfter = failure.retryAfter { step.pacer.pause(for: retryAfter) }
            let wait = step.retry.backoff(afterFailures: attempt, retryAfter: failure.retryAfter, using: &generator)
            guard attempt < step.retry.maximumAttempts, started.duration(to: .now) + wait < step.retry.maximumElapsed
            else { throw failure }
            attempt += 1
            progress(
                EngineProgress(
                    message: "\(failure.error.message); attempt \(attempt) of \(step.retry.maximumAttempts) "
                        + "in \(wait.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))",
                    completedImages: 0))
            try await Task.sleep(for: wait)
        }
    }
}

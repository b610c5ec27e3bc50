import Crypto
import Foundation
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessStore
import Logging

/// The one path every generation takes, whatever dialect it arrived in:
///
/// prompt policy → durable job (canonical request + reference bytes, one transaction) → queue
/// worker: reference intake and face check → engine → identity scores (and the guard's
/// regenerations) → AIGC marker → image files, then job completion and its webhook in one
/// transaction.
///
/// Synchronous routes submit and wait; fal's queue routes submit and poll. Dialects only
/// translate into `GenerationRequest` and out of `GenerationResult` or `JobSnapshot`; the service
/// knows none of them (a webhook's body comes from its `WebhookRendering`). Every store call runs
/// through `StoreCalls`, off the cooperative pool.
public struct GenerationService: Sendable {
    let engine: any ImageEngine
    let jobs: any JobRepository
    let images: any ImageRepository
    let blobs: any BlobStore
    let intake: ReferenceIntake
    let promptPolicy: PromptPolicy
    let imageLifetime: Duration
    let queue: QueueSettings
    let webhooks: any WebhookRendering
    package let events = JobEvents()
    let workSignal: WorkSignal
    /// Wakes the webhook dispatcher when a finished job recorded a webhook.
    package let webhookSignal = WorkSignal(maximumPending: 1)
    let running = RunningJobs()
    /// Closed until startup recovery has run: no worker claims a job before then.
    package let startup = StartupGate()
    let activeWorkers = ActiveWorkers()
    /// Generations running at once: the workers' and the synchronous requests' own.
    let slots: JobSlots
    let billing: Billing
    /// Engines on customers' own MiniMax keys.
    let byok: BYOKEngines
    let store: StoreCalls
    let metrics: ServerMetrics
    let clock: WallClock
    let logger: Logger
    /// This process, named on the jobs it claims.
    package let replica: ReplicaIdentity
    /// Whether other replicas share the store (PostgreSQL): leases, not the process, then tell
    /// which running jobs were interrupted.
    package let shared: Bool
    /// How long a claim holds without renewal (`FleetKeeper` renews a third of the way).
    let leaseDuration: Duration
    /// The other replicas, told what this one changed in the queue.
    let broadcast: any FleetBroadcast
    /// The fleet's register of replicas; nil alone.
    let fleet: (any FleetRepository)?
    /// Queue workers this process runs (0: a fleet replica that only takes requests).
    let configuredWorkers: Int
    /// The reference's face, and the scores of the images made from it.
    let identity: IdentityCheck

    package init(
        engine: any ImageEngine, jobs: any JobRepository, images: any ImageRepository, blobs: any BlobStore,
        fetcher: any ReferenceFetching, promptPolicy: PromptPolicy, imageLifetime: Duration, queue: QueueSettings,
        workers: Int, webhooks: any WebhookRendering, billing: Billing, byok: BYOKEngines, store: StoreCalls,
        metrics: ServerMetrics, clock: WallClock, logger: Logger, replica: ReplicaIdentity, shared: Bool = false,
        leaseDuration: Duration = .seconds(30), broadcast: any FleetBroadcast = NoOtherReplicas(),
        fleet: (any FleetRepository)? = nil, identity: IdentityCheck = IdentityCheck(scorer: nil, settings: .off)
    ) {
        self.fleet = fleet
        self.identity = identity
        self.replica = replica
        self.shared = shared
        self.leaseDuration = leaseDuration
        self.broadcast = broadcast
        self.billing = billing
        self.byok = byok
        self.engine = engine
        self.jobs = jobs
        self.images = images
        self.blobs = blobs
        self.intake = ReferenceIntake(fetcher: fetcher, limits: DecodeLimits())
        self.promptPolicy = promptPolicy
        self.imageLifetime = imageLifetime
        self.queue = queue
        self.webhooks = webhooks
        self.workSignal = WorkSignal(maximumPending: max(1, workers))
        self.configuredWorkers = workers
        self.slots = JobSlots(count: workers)
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    public var engineName: String { engine.name }

    /// Records a request refused before it had a canonical form (bad JSON, invalid fields).
    package func recordRejected(id: String, caller: Caller, dialect: Dialect, error: APIError) async {
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: dialect, model: nil, parameters: nil, createdAt: clock.now(),
            status: .failed)
        job.accountID = caller.account.id
        job.failure = JobFailure(error)
        job.finishedAt = job.createdAt
        // Recorded for the caller's usage; the answer is the refusal either way.
        _ = try? await store.write("record a refused request") { [jobs, job] in try jobs.insertJob(job) }
    }

    /// What became of a submitted job.
    enum Submitted: Sendable {
        case queued(JobRecord)
        /// Claimed as it was queued (`start`), and running now.
        case started(JobRecord, QueuedRequest)
        /// The idempotency key was already used for this same request: its job.
        case duplicate(JobRecord)

        var job: JobRecord {
            switch self {
            case .queued(let job), .started(let job, _), .duplicate(let job): job
            }
        }
    }

    /// Queues a job, after the prompt policy, the queue's length, the caller's concurrency limits
    /// and balance allow it, reserving its price. A refusal is recorded as a failed job and
    /// thrown. With an idempotency key already used for the same request, nothing is queued and
    /// the first request's job comes back (`duplicate`). With `start`, the job is claimed in the
    /// same transaction when nothing waits before it in the queue.
    func submit(
        _ request: GenerationRequest, id: String, _ submission: Submission,
        start: (@Sendable (JobRecord) -> ImmediateStart)? = nil
    ) async throws(APIError) -> Submitted {
        let caller = submission.caller
        let seeds = request.imageSeeds()
        let queued = QueuedRequest(request, seeds: seeds)
        let parameters = try Self.encoded(queued)
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: submission.dialect, model: request.model.rawValue,
            parameters: parameters, createdAt: clock.now())
        let options = submission.options
        job.app = options.app
        job.priority =
            switch options.priority {
            case .normal: .normal
            case .low: .low
            }
        job.webhookURL = options.webhookURL
        job.origin = options.origin
        job.startDeadline = options.startTimeout.map { job.createdAt.addingTimeInterval($0.seconds) }
        job.accountID = caller.account.id
        job.requestedCount = request.count
        job.byok = caller.account.hasMiniMaxKey
        let quote = billing.quote(request, for: caller.account)
        (job.price, job.reserved) = (quote.price, quote.reserved)
        let fingerprint = submission.idempotencyKey == nil ? nil : try Self.fingerprint(request, submission)
        let admission = Admission(
            concurrentJobsPerKey: billing.limits(for: caller.key).concurrentJobs,
            concurrentJobsPerAccount: billing.limits(for: caller.account).concurrentJobs,
            idempotencyKey: submission.idempotencyKey,
            fingerprint: fingerprint,
            idempotencyWindow: billing.settings.idempotencyWindow, maximumQueuedJobs: queue.maximumQueuedJobs,
            startNow: start?(job))
        let outcome: EnqueueOutcome
        // An inline reference is written beside the images before the job is recorded, and
        // named by the job's id: megabytes stay out of the database's transactions.
        let inputFile = request.inlineReference
        do throws(APIError) {
            try promptPolicy.check(request.prompt)
            do {
                if let inputFile { try await blobs.writeInput(inputFile, jobID: id) }
                let input = JobInput(request: parameters, reference: nil)
                outcome = try await store.writeRaw { [jobs, job] in
                    try jobs.enqueueJob(job, input: input, admission: admission)
                }
            } catch let refusal as AdmissionRefusal {
                throw APIError(refusal, request: request, price: job.price)
            } catch {
                logger.error("cannot queue job", metadata: ["job": "\(id)", "error": "\(error)"])
                throw APIError(.systemError, "the request could not be recorded; nothing was generated")
            }
        } catch {
            if inputFile != nil { await blobs.deleteInput(jobID: id) }
            guard error.code != .systemError else { throw error }
            job.status = .failed
            job.failure = JobFailure(error)
            job.finishedAt = job.createdAt
            job.reserved = .zero
            // Recorded for the caller's usage; the answer is the refusal either way.
            _ = try? await store.write("record a refused job") { [jobs, job] in try jobs.insertJob(job) }
            throw error
        }
        if case .duplicate(let first) = outcome {
            if inputFile != nil { await blobs.deleteInput(jobID: id) }
            logger.debug("idempotent replay", metadata: ["job": "\(first.id)", "request": "\(id)"])
            return .duplicate(first)
        }
        logger.debug(
            "job queued",
            metadata: [
                "job": "\(id)", "dialect": "\(submission.dialect.rawValue)", "account": "\(caller.account.id)",
                "reserved_usd": "\(job.reserved.usd)",
            ])
        metrics.money("reserved", job.reserved)
        if case .started(let running) = outcome { return .started(running, queued) }
        announce(.queued)
        return .queued(job)
    }

    /// What makes two submissions the same request: dialect, app and every canonical field,
    /// reference bytes included (seeds aside: they are drawn per submission).
    static func fingerprint(_ request: GenerationRequest, _ submission: Submission) throws(APIError) -> String {
        var digest = SHA256()
        digest.update(data: Data("\(submission.dialect.rawValue)\n\(submission.options.app ?? "")\n".utf8))
        digest.update(data: Data(try encoded(QueuedRequest(request, seeds: [])).utf8))
        if let bytes = request.inlineReference { digest.update(data: bytes) }
        return digest.finalize().hexadecimal
    }

    /// The queued form of a request, as the job records it.
    static func encoded(_ queued: QueuedRequest) throws(APIError) -> String {
        do {
            return try queued.json
        } catch {
            throw APIError(.internalError, "the request could not be encoded: \(error)")
        }
    }
}

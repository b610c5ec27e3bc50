import Crypto
import Foundation
import LikenessAPI
import LikenessEngines
import LikenessImaging
import LikenessStore
import Logging

/// What a finished generation hands back to a dialect's route.
public struct GenerationResult: Sendable {
    public enum Images: Sendable {
        /// Stored images, to be served under signed URLs.
        case stored([StoredImage])
        /// JPEG bytes, for `base64` responses.
        case inline([Data])
    }

    public var engine: String
    public var images: Images
    public var blockedCount: Int
    /// Time inside the engine alone (no queueing, no storage), reported as `Server-Timing`.
    public var engineDuration: Duration
    /// The job that made the images: the first request's, when an `Idempotency-Key` replayed it.
    public var jobID: String
    /// What the request was charged (`X-Likeness-Cost-USD`).
    public var cost: MicroDollars
}

/// How a job was submitted, beyond its canonical request.
struct Submission: Sendable {
    var caller: Caller
    /// `minimax`, `openai` or `fal`.
    var dialect: String
    /// `Idempotency-Key`: a retry with the same key and request gets the first request's job.
    var idempotencyKey: String? = nil
    /// fal's app id, for fal jobs.
    var app: String? = nil
    var priority: JobPriority = .normal
    var webhookURL: String? = nil
    /// `scheme://host` of this server as the caller addressed it (for links in webhooks).
    var origin: String? = nil
    /// Fail the job if it has not started within this time (fal's `X-Fal-Request-Timeout`).
    var startTimeout: Duration? = nil
}

/// The one path every generation takes, whatever dialect it arrived in:
///
/// prompt policy → durable job (canonical request + reference bytes, one transaction) → queue
/// worker: reference intake → engine → AIGC marker → image files, then job completion and its
/// webhook in one transaction.
///
/// Synchronous routes submit and wait; fal's queue routes submit and poll. Dialect adapters only
/// translate into `GenerationRequest` and out of `GenerationResult` or the job record.
public struct GenerationService: Sendable {
    let engine: any ImageEngine
    let jobs: any JobRepository
    let images: any ImageRepository
    let blobs: FileBlobStore
    let intake: ReferenceIntake
    let promptPolicy: PromptPolicy
    let imageLifetime: Duration
    let queue: QueueSettings
    let imageLinks: ImageLinks
    let events = JobEvents()
    let workSignal: WorkSignal
    /// Wakes the webhook dispatcher when a finished job recorded a webhook.
    let webhookSignal = WorkSignal(maximumPending: 1)
    let running = RunningJobs()
    let billing: BillingSettings
    /// Engines on customers' own MiniMax keys.
    let byok: BYOKEngines
    let logger: Logger

    init(
        engine: any ImageEngine, jobs: any JobRepository, images: any ImageRepository, blobs: FileBlobStore,
        fetcher: any ReferenceFetching, promptPolicy: PromptPolicy, imageLifetime: Duration, queue: QueueSettings,
        workers: Int, imageLinks: ImageLinks, billing: BillingSettings, byok: BYOKEngines, logger: Logger
    ) {
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
        self.imageLinks = imageLinks
        self.workSignal = WorkSignal(maximumPending: workers)
        self.logger = logger
    }

    public var engineName: String { engine.name }

    /// Records a request refused before it had a canonical form (bad JSON, invalid fields).
    func recordRejected(id: String, caller: Caller, dialect: String, error: APIError) {
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: dialect, model: nil, parameters: nil, createdAt: Date(),
            status: .failed)
        job.accountID = caller.account.id
        job.failure = JobFailure(error)
        job.finishedAt = job.createdAt
        do {
            try jobs.insertJob(job)
        } catch {
            logger.error("cannot record rejected request", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// Queues a job, after the prompt policy, the queue's length, the caller's concurrency limits
    /// and balance allow it, reserving its price. A refusal is recorded as a failed job and
    /// thrown. With an idempotency key already used for the same request, nothing is queued and
    /// the first request's job comes back (`duplicate`).
    func submit(_ request: GenerationRequest, id: String, _ submission: Submission) throws(APIError)
        -> (job: JobRecord, duplicate: Bool)
    {
        let caller = submission.caller
        let seeds = request.imageSeeds()
        let queued = QueuedRequest(request, seeds: seeds)
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: submission.dialect, model: request.model.rawValue,
            parameters: try? queued.json, createdAt: Date())
        job.app = submission.app
        job.priority = submission.priority
        job.webhookURL = submission.webhookURL
        job.origin = submission.origin
        job.startDeadline = submission.startTimeout.map { job.createdAt.addingTimeInterval($0.seconds) }
        job.accountID = caller.account.id
        job.requestedCount = request.count
        job.byok = caller.account.hasMiniMaxKey
        job.price = job.byok || caller.account.billing == .unmetered ? .zero : billing.price(request.model)
        job.reserved = job.price * request.count
        let admission = Admission(
            concurrentJobsPerKey: billing.limits(for: caller.key).concurrentJobs,
            concurrentJobsPerAccount: billing.limits(for: caller.account).concurrentJobs,
            idempotencyKey: submission.idempotencyKey,
            fingerprint: submission.idempotencyKey.map { _ in Self.fingerprint(request, submission) },
            idempotencyWindow: billing.idempotencyWindow)
        let outcome: EnqueueOutcome
        do throws(APIError) {
            try promptPolicy.check(request.prompt)
            guard (try? jobs.queuedJobCount()) ?? 0 < queue.maximumQueuedJobs else {
                throw APIError(
                    .rateLimited, "the queue is full (\(queue.maximumQueuedJobs) jobs waiting); retry later",
                    retryAfterSeconds: 5)
            }
            do {
                outcome = try jobs.enqueueJob(
                    job, input: try QueuedRequest.input(for: request, seeds: seeds), admission: admission)
            } catch let refusal as AdmissionRefusal {
                throw APIError(refusal, request: request, price: job.price)
            } catch {
                logger.error("cannot queue job", metadata: ["job": "\(id)", "error": "\(error)"])
                throw APIError(.systemError, "the request could not be recorded; nothing was generated")
            }
        } catch {
            guard error.code != .systemError else { throw error }
            job.status = .failed
            job.failure = JobFailure(error)
            job.finishedAt = job.createdAt
            job.reserved = .zero
            do {
                try jobs.insertJob(job)
            } catch let storeError {
                logger.error("cannot record refused job", metadata: ["job": "\(id)", "error": "\(storeError)"])
            }
            throw error
        }
        if case .duplicate(let first) = outcome {
            logger.debug("idempotent replay", metadata: ["job": "\(first.id)", "request": "\(id)"])
            return (first, true)
        }
        logger.debug(
            "job queued",
            metadata: [
                "job": "\(id)", "dialect": "\(submission.dialect)", "account": "\(caller.account.id)",
                "reserved_usd": "\(job.reserved.usd)",
            ])
        workSignal.signal()
        return (job, false)
    }

    /// What makes two submissions the same request: dialect, app and every canonical field,
    /// reference bytes included (seeds aside: they are drawn per submission).
    static func fingerprint(_ request: GenerationRequest, _ submission: Submission) -> String {
        var digest = SHA256()
        digest.update(data: Data("\(submission.dialect)\n\(submission.app ?? "")\n".utf8))
        digest.update(data: Data(((try? QueuedRequest(request, seeds: []).json) ?? "").utf8))
        if case .inline(let bytes) = request.subjectReference?.source { digest.update(data: bytes) }
        return digest.finalize().hexadecimal
    }

    /// Submits and waits: the synchronous routes of every dialect. A job that has not started
    /// within `queue.synchronousStartLimit` (the queue is long, or an upstream's pacing holds it)
    /// is withdrawn and answered as a rate limit with an estimated `Retry-After`. A replay (same
    /// `Idempotency-Key`) waits for the first request's job instead.
    func generate(_ request: GenerationRequest, id: String, _ submission: Submission)
        async throws(APIError) -> GenerationResult
    {
        let (submitted, duplicate) = try submit(request, id: id, submission)
        let watchdog = Task { [self] in
            guard !duplicate else { return }
            try await Task.sleep(for: queue.synchronousStartLimit)
            withdrawIfNotStarted(id: id, model: request.model)
        }
        defer { watchdog.cancel() }
        let job = await waitUntilFinished(id: submitted.id)
        guard let job, job.status.isFinished else {
            throw APIError(.timeout, "the request was cancelled before it finished")
        }
        return try result(of: job, format: request.responseFormat).get()
    }

    /// Fails a synchronous job that is still queued, telling its caller when to come back.
    private func withdrawIfNotStarted(id: String, model: ImageModel) {
        let ahead = queuePosition(id: id) ?? 0
        let interval = engine.startInterval(for: model)?.seconds ?? queue.synchronousStartLimit.seconds
        let retryAfter = max(1, Int((Double(ahead + 1) * interval).rounded(.up)))
        let error = APIError(
            .rateLimited,
            "the request did not start within \(String(format: "%g", queue.synchronousStartLimit.seconds)) s: "
                + "\(ahead) requests are ahead of it in the queue; retry after \(retryAfter) s",
            retryAfterSeconds: retryAfter)
        guard (try? jobs.failQueuedJob(id: id, failure: JobFailure(error), at: Date())) == true else { return }
        log(jobID: id, "Withdrawn: not started within the synchronous wait limit", level: "WARNING", source: "queue")
        events.publish(.finished, jobID: id)
    }

    /// The job once it has finished, or as it stands when the waiting task is cancelled.
    func waitUntilFinished(id: String) async -> JobRecord? {
        // Subscribed before the first read, so a finish between the two is not missed.
        let notices = events.subscribe(to: id)
        var job = try? jobs.job(id: id)
        guard let current = job, !current.status.isFinished else { return job }
        for await notice in notices {
            guard case .finished = notice else { continue }
            break
        }
        job = try? jobs.job(id: id)
        return job
    }

    /// A finished job's outcome: its images (read back for `base64`), or its error.
    func result(of job: JobRecord, format: ResponseFormat = .url) -> Result<GenerationResult, APIError> {
        guard job.status == .succeeded else {
            return .failure(
                job.failure.map(APIError.init) ?? APIError(.unknownError, "the job has not finished"))
        }
        let stored = job.resultImageIDs.compactMap { try? images.image(id: $0) }.filter { $0.expiresAt > Date() }
        guard stored.count == job.resultImageIDs.count else {
            return .failure(APIError(.invalidParameters, "the result has expired", reason: .expired))
        }
        let duration = Duration.milliseconds(Int64((job.engineSeconds ?? 0) * 1000))
        switch format {
        case .url:
            return .success(
                GenerationResult(
                    engine: job.engine ?? engine.name, images: .stored(stored), blockedCount: job.failedCount,
                    engineDuration: duration, jobID: job.id, cost: job.cost ?? .zero))
        case .base64:
            do {
                let jpegs = try stored.map { image in
                    guard let jpeg = try blobs.read(id: image.id, expectedSize: image.byteCount) else {
                        throw JobInputError("image \(image.id) is missing or incomplete")
                    }
                    return jpeg
                }
                return .success(
                    GenerationResult(
                        engine: job.engine ?? engine.name, images: .inline(jpegs), blockedCount: job.failedCount,
                        engineDuration: duration, jobID: job.id, cost: job.cost ?? .zero))
            } catch {
                logger.error("cannot read results", metadata: ["job": "\(job.id)", "error": "\(error)"])
                return .failure(APIError(.systemError, "the images could not be read"))
            }
        }
    }

    /// Cancels a queued job (it never runs) or asks a running one's engine to stop.
    func cancel(_ job: JobRecord) throws(APIError) -> CancellationOutcome {
        let id = job.id
        let outcome: CancellationOutcome
        let webhook = webhook(for: job, output: .failure(APIError(JobFailure.cancelled)))
        do {
            outcome = try jobs.requestCancellation(id: id, webhook: webhook, at: Date())
        } catch {
            logger.error("cannot cancel job", metadata: ["job": "\(id)", "error": "\(error)"])
            throw APIError(.systemError, "the request could not be cancelled")
        }
        switch outcome {
        case .cancelled:
            log(jobID: id, "Cancelled by the caller before it started", source: "queue")
            events.publish(.finished, jobID: id)
            if webhook != nil { webhookSignal.signal() }
        case .requested:
            log(jobID: id, "Cancellation requested; asking the engine to stop", source: "queue")
            running.cancel(jobID: id)
        case .alreadyFinished, .notFound:
            break
        }
        return outcome
    }

    func job(id: String) throws(APIError) -> JobRecord? {
        do {
            return try jobs.job(id: id)
        } catch {
            throw APIError(.systemError, "the job could not be read")
        }
    }

    func logs(jobID: String) -> [JobLogLine] {
        (try? jobs.logs(jobID: jobID)) ?? []
    }

    func queuePosition(id: String) -> Int? {
        try? jobs.queuePosition(id: id)
    }

    /// Appends a status log line and tells whoever watches the job.
    func log(jobID: String, _ message: String, level: String = "INFO", source: String) {
        do {
            try jobs.appendLog(jobID: jobID, JobLogLine(at: Date(), level: level, source: source, message: message))
        } catch {
            logger.warning("cannot record a job log line", metadata: ["job": "\(jobID)", "error": "\(error)"])
        }
        events.publish(.changed, jobID: jobID)
    }
}

extension APIError {
    /// A refusal at admission, in the catalogue: 1008 for credits, 1002 for concurrency.
    init(_ refusal: AdmissionRefusal, request: GenerationRequest, price: MicroDollars) {
        switch refusal {
        case .insufficientCredits(let needed, let balance):
            self.init(
                .insufficientBalance,
                "insufficient credits: this request reserves $\(needed.usd) (\(request.count) image"
                    + "\(request.count == 1 ? "" : "s") at $\(price.usd)) and the balance is $\(balance.usd); "
                    + "top up, or ask for fewer images")
        case .tooManyJobs(let scope, let limit):
            self.init(
                .rateLimited,
                "too many requests in progress: this \(scope.rawValue) may have \(limit) queued or running at once; "
                    + "retry when one finishes", retryAfterSeconds: 2)
        case .idempotencyKeyReused:
            self.init(
                .invalidParameters,
                "invalid params, Idempotency-Key was already used for a different request; use a new key",
                field: "Idempotency-Key")
        }
    }
}

extension JobFailure {
    init(_ error: APIError) {
        self.init(
            code: error.code.rawValue, message: error.message, field: error.field, reason: error.reason?.rawValue,
            retryAfterSeconds: error.retryAfterSeconds)
    }
}

extension APIError {
    init(_ failure: JobFailure) {
        self.init(
            StatusCode(rawValue: failure.code) ?? .unknownError, failure.message, field: failure.field,
            reason: failure.reason.flatMap(Reason.init(rawValue:)), retryAfterSeconds: failure.retryAfterSeconds)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

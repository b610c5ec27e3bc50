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
}

/// How a job was submitted, beyond its canonical request.
struct Submission: Sendable {
    var keyID: String?
    /// `minimax`, `openai` or `fal`.
    var dialect: String
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
    let logger: Logger

    init(
        engine: any ImageEngine, jobs: any JobRepository, images: any ImageRepository, blobs: FileBlobStore,
        fetcher: any ReferenceFetching, promptPolicy: PromptPolicy, imageLifetime: Duration, queue: QueueSettings,
        workers: Int, imageLinks: ImageLinks, logger: Logger
    ) {
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
    public func recordRejected(id: String, keyID: String?, dialect: String, error: APIError) {
        var job = JobRecord(
            id: id, keyID: keyID, dialect: dialect, model: nil, parameters: nil, createdAt: Date(), status: .failed)
        job.failure = JobFailure(error)
        job.finishedAt = job.createdAt
        do {
            try jobs.insertJob(job)
        } catch {
            logger.error("cannot record rejected request", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// Queues a job, after the prompt policy and the queue's length allow it. A refusal is
    /// recorded as a failed job and thrown.
    @discardableResult
    func submit(_ request: GenerationRequest, id: String, _ submission: Submission) throws(APIError) -> JobRecord {
        let seeds = request.imageSeeds()
        let queued = QueuedRequest(request, seeds: seeds)
        var job = JobRecord(
            id: id, keyID: submission.keyID, dialect: submission.dialect, model: request.model.rawValue,
            parameters: try? queued.json, createdAt: Date())
        job.app = submission.app
        job.priority = submission.priority
        job.webhookURL = submission.webhookURL
        job.origin = submission.origin
        job.startDeadline = submission.startTimeout.map { job.createdAt.addingTimeInterval($0.seconds) }
        do throws(APIError) {
            try promptPolicy.check(request.prompt)
            guard (try? jobs.queuedJobCount()) ?? 0 < queue.maximumQueuedJobs else {
                throw APIError(
                    .rateLimited, "the queue is full (\(queue.maximumQueuedJobs) jobs waiting); retry later",
                    retryAfterSeconds: 5)
            }
        } catch {
            job.status = .failed
            job.failure = JobFailure(error)
            job.finishedAt = job.createdAt
            do {
                try jobs.insertJob(job)
            } catch let storeError {
                logger.error("cannot record refused job", metadata: ["job": "\(id)", "error": "\(storeError)"])
            }
            throw error
        }
        do {
            try jobs.enqueueJob(job, input: try QueuedRequest.input(for: request, seeds: seeds))
        } catch {
            logger.error("cannot queue job", metadata: ["job": "\(id)", "error": "\(error)"])
            throw APIError(.systemError, "the request could not be recorded; nothing was generated")
        }
        logger.debug("job queued", metadata: ["job": "\(id)", "dialect": "\(submission.dialect)"])
        workSignal.signal()
        return job
    }

    /// Submits and waits: the synchronous routes of every dialect. A job that has not started
    /// within `queue.synchronousStartLimit` (the queue is long, or an upstream's pacing holds it)
    /// is withdrawn and answered as a rate limit with an estimated `Retry-After`.
    public func generate(_ request: GenerationRequest, id: String, keyID: String?, dialect: String)
        async throws(APIError) -> GenerationResult
    {
        try submit(request, id: id, Submission(keyID: keyID, dialect: dialect))
        let watchdog = Task { [self] in
            try await Task.sleep(for: queue.synchronousStartLimit)
            withdrawIfNotStarted(id: id, model: request.model)
        }
        defer { watchdog.cancel() }
        let job = await waitUntilFinished(id: id)
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
                    engineDuration: duration))
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
                        engineDuration: duration))
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

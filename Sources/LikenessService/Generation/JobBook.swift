import Foundation
import LikenessCore
import LikenessStore
import Logging

/// Where the jobs are kept: the repositories, the image and input blobs, and the threads their
/// store calls run on.
package struct JobStorage: Sendable {
    let jobs: any JobRepository
    let images: any ImageRepository
    let blobs: any BlobStore
    let store: StoreCalls

    package init(jobs: any JobRepository, images: any ImageRepository, blobs: any BlobStore, store: StoreCalls) {
        self.jobs = jobs
        self.images = images
        self.blobs = blobs
        self.store = store
    }
}

/// The record of every job and the notices about it, shared by admission, the runner and the
/// routes' waits: reading a job, appending its log lines, recording how it ended (with its
/// webhook), and telling whoever listens that something changed, here and on the other
/// replicas. A notice only says "look again"; the store holds the truth.
package struct JobBook: Sendable {
    let storage: JobStorage
    /// Renders a finished job's webhook in its dialect; the book records it with the ending.
    let webhooks: any WebhookRendering
    let fleet: FleetRole
    /// Waiters on one job (a synchronous route, a status stream).
    package let events = JobEvents()
    /// Idle queue workers.
    let workSignal: WorkSignal
    /// The webhook dispatcher, when an ending recorded a webhook.
    package let webhookSignal = WorkSignal(maximumPending: 1)
    /// How to stop each job running here.
    let running = RunningJobs()
    let metrics: ServerMetrics
    let clock: WallClock
    let logger: Logger

    package init(
        storage: JobStorage, webhooks: any WebhookRendering, fleet: FleetRole, workers: Int, metrics: ServerMetrics,
        clock: WallClock, logger: Logger
    ) {
        self.storage = storage
        self.webhooks = webhooks
        self.fleet = fleet
        self.workSignal = WorkSignal(maximumPending: max(1, workers))
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    var jobs: any JobRepository { storage.jobs }
    var store: StoreCalls { storage.store }

    func job(id: String) async throws(APIError) -> JobRecord? {
        try await store.read("read a job") { [jobs] in try jobs.job(id: id) }
    }

    /// Appends a status log line and tells whoever watches the job. A line that cannot be written
    /// is logged and skipped: it never fails the job.
    func log(jobID: String, _ message: String, level: JobLogLevel = .info, source: JobLogSource) async {
        let line = JobLogLine(at: Date(), level: level, source: source, message: message)
        _ = try? await store.writeInOrder("record a job log line") { [jobs] in try jobs.appendLog(jobID: jobID, line) }
        announce(.changed(jobID: jobID))
    }

    /// `log` without waiting: written in order after the writes asked for before it, and announced
    /// once written. For progress lines, and for synchronous callers (an engine's progress).
    func logLater(jobID: String, _ message: String, source: JobLogSource) {
        let line = JobLogLine(at: Date(), level: .info, source: source, message: message)
        store.writeLater(
            "record a job log line", { [jobs] in try jobs.appendLog(jobID: jobID, line) },
            then: { [self] in announce(.changed(jobID: jobID)) })
    }

    /// Records a failed or cancelled job with its webhook, and tells whoever waits.
    func finish(_ job: JobRecord, as status: JobStatus, _ error: APIError) async {
        let webhook = webhook(for: job, outcome: .failure(error))
        // A failure to record it is logged; the job stays as it was, and recovery settles it.
        let recorded = try? await store.write("record how a job ended") { [jobs] in
            try jobs.finishJob(id: job.id, status: status, failure: JobFailure(error), webhook: webhook, at: Date())
        }
        if recorded == true {
            await discardInput(of: job)
            if webhook != nil { webhookSignal.signal() }
        }
        metrics.jobFinished(outcome: status.rawValue, code: error.code)
        if status == .cancelled {
            await log(jobID: job.id, "Cancelled", source: .queue)
        } else {
            await log(jobID: job.id, "Failed: \(error.message)", level: .error, source: .queue)
        }
        logger.notice(
            "generation \(status.rawValue)",
            metadata: ["job": "\(job.id)", "code": "\(error.code.rawValue)", "message": "\(error.message)"])
        announce(.finished(jobID: job.id))
    }

    /// Removes a finished job's input file, if it had one.
    func discardInput(of job: JobRecord) async {
        if job.hasInputFile { await storage.blobs.deletePrivate(.jobInput(jobID: job.id)) }
    }

    /// The webhook of a finished job, when it asked for one, rendered in its dialect.
    func webhook(for job: JobRecord, outcome: Result<[ResultImage], APIError>, identity: IdentityReport? = nil)
        -> WebhookDelivery?
    {
        guard let url = job.webhookURL else { return nil }
        return WebhookDelivery(
            url: url,
            body: webhooks.body(
                jobID: job.id, dialect: job.dialect, origin: job.origin, outcome: outcome, identity: identity))
    }

    /// A stored image's bytes; a failure of the blob store is logged and answered as 1033.
    func readBlob(id: String, format: OutputFormat, size: Int) async throws(APIError) -> Data? {
        do {
            return try await storage.blobs.read(id: id, format: format, expectedSize: size)
        } catch {
            logger.error("cannot read an image", metadata: ["image": "\(id)", "error": "\(error)"])
            throw APIError(.systemError, "the image store failed to read an image")
        }
    }

    /// Acts on a change to the queue here, and tells the other replicas.
    func announce(_ notice: FleetNotice) {
        apply(notice)
        fleet.broadcast.send(notice)
    }

    /// Acts on a change to the queue, made here or by another replica.
    func apply(_ notice: FleetNotice) {
        switch notice {
        case .queued: workSignal.signal()
        case .changed(let id): events.publish(.changed, jobID: id)
        case .finished(let id): events.publish(.finished, jobID: id)
        case .cancel(let id): running.cancel(jobID: id)
        }
    }

    /// After notices may have been missed: every waiter reads its job again, and idle workers
    /// look at the queue.
    func resync() {
        events.publishToAll(.recheck)
        workSignal.signalAll()
    }
}

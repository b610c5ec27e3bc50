import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore
import Logging

/// The caller's side of a job: waiting for it, reading it, and cancelling it.
extension GenerationService {
    /// Submits and waits: the synchronous routes of every dialect. When a worker's slot and the
    /// engine's capacity are free as the request arrives and nothing waits in the queue before
    /// it, the request runs its own job: claimed in the transaction that records it, answered
    /// from what the run recorded, with no worker to wake and nothing to read back. Otherwise a
    /// worker runs it; a job that has not started within `queue.synchronousStartLimit` (the
    /// queue is long, or an upstream's pacing holds it) is withdrawn and answered as a rate
    /// limit with an estimated `Retry-After`. A replay (same `Idempotency-Key`) waits for the
    /// first request's job instead.
    package func generate(_ request: GenerationRequest, id: String, _ submission: Submission)
        async throws(APIError) -> GenerationResult
    {
        let immediate = await immediateRun(for: request, id: id, caller: submission.caller)
        let submitted: Submitted
        do throws(APIError) {
            submitted = try await submit(request, id: id, submission, start: immediate?.start)
        } catch {
            immediate?.giveBack()
            throw error
        }
        if case .started(let job, let queued) = submitted, let immediate {
            defer { immediate.giveBack() }
            let end = await run(
                job, .submitted(queued, request), on: immediate.engine, reservation: immediate.reservation,
                generatingLogged: immediate.generatingLogged)
            if case .completed(let record, let images, let bytes) = end {
                return try await result(of: record, format: request.responseFormat, known: (images, bytes)).get()
            }
            // Failed, cancelled, or put back as the server stops: answered as a queued job is.
        } else {
            immediate?.giveBack()
        }
        let watchdog = Task { [self] in
            guard case .queued = submitted else { return }
            try await Task.sleep(for: queue.synchronousStartLimit)
            await withdrawIfNotStarted(id: id, model: request.model)
        }
        defer { watchdog.cancel() }
        guard let job = try await waitUntilFinished(id: submitted.job.id), job.status.isFinished else {
            throw APIError(.timeout, "the request was cancelled before it finished")
        }
        return try await result(of: job, format: request.responseFormat).get()
    }

    /// A worker's slot and the engine's capacity for `request`, both free now, and the claim
    /// that records them; nil when either would have to be waited for (or the workers have not
    /// started: startup recovery runs first).
    private func immediateRun(for request: GenerationRequest, id: String, caller: Caller) async -> ImmediateRun? {
        guard startup.isOpened, slots.tryTake() else { return nil }
        let engine = await engine(
            for: QueueHead(
                id: id, model: request.model.rawValue, accountID: caller.account.id,
                byok: caller.account.hasMiniMaxKey))
        guard case .granted(let reservation) = engine.reserveCapacityNow(for: request.model) else {
            slots.release()
            return nil
        }
        // With no reference to load first, the "Generating" line goes in with the claim too.
        let generatingLogged = request.subjectReference == nil
        let start: @Sendable (JobRecord) -> ImmediateStart = { [self] job in
            var log = [startLine(attempt: 1, at: job.createdAt)]
            if generatingLogged {
                log.append(
                    JobLogLine(
                        at: job.createdAt, level: .info, source: .engine, message: Self.generatingLine(request)))
            }
            return ImmediateStart(engine: engine.name, lease: lease(from: job.createdAt), log: log)
        }
        return ImmediateRun(
            engine: engine, reservation: reservation, slots: slots, start: start, generatingLogged: generatingLogged)
    }

    /// A synchronous request's own run: the slot and capacity it holds, and how its job is claimed.
    private struct ImmediateRun: Sendable {
        let engine: any ImageEngine
        let reservation: CapacityReservation?
        let slots: JobSlots
        let start: @Sendable (JobRecord) -> ImmediateStart
        let generatingLogged: Bool

        /// The slot, and the capacity if the run did not use it.
        func giveBack() {
            reservation?.giveBack()
            slots.release()
        }
    }

    /// Submits and answers at once: fal's queue. A replay answers with the first request's job.
    package func enqueue(_ request: GenerationRequest, id: String, _ submission: Submission) async throws(APIError)
        -> JobSnapshot
    {
        JobSnapshot(record: try await submit(request, id: id, submission).job)
    }

    /// Fails a synchronous job that is still queued, telling its caller when to come back.
    private func withdrawIfNotStarted(id: String, model: ImageModel) async {
        do throws(APIError) {
            let ahead = try await queuePosition(id: id) ?? 0
            let interval = engine.startInterval(for: model)?.seconds ?? queue.synchronousStartLimit.seconds
            let retryAfter = max(1, Int((Double(ahead + 1) * interval).rounded(.up)))
            let error = APIError(
                .rateLimited,
                "the request did not start within \(String(format: "%g", queue.synchronousStartLimit.seconds)) s: "
                    + "\(ahead) requests are ahead of it in the queue; retry after \(retryAfter) s",
                retryAfterSeconds: retryAfter)
            let withdrawn = try await store.write("withdraw a job") { [jobs] in
                try jobs.failQueuedJob(id: id, failure: JobFailure(error), at: Date())
            }
            guard withdrawn else { return }
            if let job = try await job(id: id) { await discardInput(of: job) }
            metrics.jobFinished(outcome: JobStatus.failed.rawValue, code: error.code)
        } catch {
            return  // logged by `store`; the job runs when its turn comes, and its caller still waits
        }
        await log(
            jobID: id, "Withdrawn: not started within the synchronous wait limit", level: .warning, source: .queue)
        announce(.finished(jobID: id))
    }

    /// The job once it has finished, or as it stands when the waiting task is cancelled.
    func waitUntilFinished(id: String) async throws(APIError) -> JobRecord? {
        // Subscribed before the first read, so a finish between the two is not missed.
        let notices = events.subscribe(to: id)
        guard let current = try await job(id: id), !current.status.isFinished else { return try await job(id: id) }
        for await notice in notices {
            switch notice {
            case .finished: return try await job(id: id)
            case .recheck:
                if let current = try await job(id: id), current.status.isFinished { return current }
            case .changed: continue
            }
        }
        return try await job(id: id)
    }

    /// A finished job's outcome: its images (read back for `base64`), or its error.
    package func result(of job: JobSnapshot, format: ResponseFormat = .url) async -> Result<GenerationResult, APIError>
    {
        await result(of: job.record, format: format)
    }

    /// A finished task's outcome in the response format its request asked for (base64 images
    /// are read back), as the synchronous call would have answered.
    package func taskResult(of job: JobSnapshot) async -> Result<GenerationResult, APIError> {
        let queued = job.record.parameters.flatMap { try? QueuedRequest(json: $0) }
        return await result(of: job.record, format: queued?.responseFormat ?? .url)
    }

    /// `known`: the job's images and their bytes as its run just recorded them, so that nothing
    /// is read back.
    func result(
        of job: JobRecord, format: ResponseFormat = .url, known: (images: [StoredImage], bytes: [Data])? = nil
    ) async -> Result<GenerationResult, APIError> {
        guard job.status == .succeeded else {
            return .failure(job.failure.map(APIError.init) ?? APIError(.unknownError, "the job has not finished"))
        }
        var stored: [StoredImage] = known?.images ?? []
        if known == nil {
            do throws(APIError) {
                for id in job.resultImageIDs {
                    let image = try await store.read("read a result image") { [images] in try images.image(id: id) }
                    if let image, image.expiresAt > clock.now() { stored.append(image) }
                }
            } catch {
                return .failure(error)
            }
        }
        guard stored.count == job.resultImageIDs.count else {
            return .failure(APIError(.invalidParameters, "the result has expired", reason: .expired))
        }
        let duration = Duration.milliseconds(Int64((job.engineSeconds ?? 0) * 1000))
        let output: GenerationResult.Images
        switch format {
        case .url:
            output = .stored(stored.map(ResultImage.init))
        case .base64:
            // A passed-through image has no bytes here; the store's blobs answer for it as before.
            if let known, known.images.allSatisfy({ $0.sourceURL == nil }) {
                output = .inline(known.bytes)
                break
            }
            do throws(APIError) {
                var images: [Data] = []
                for image in stored {
                    guard
                        let bytes = try await readBlob(id: image.id, format: image.format, size: image.byteCount)
                    else {
                        logger.error("a result image is missing or incomplete", metadata: ["image": "\(image.id)"])
                        throw APIError(.systemError, "a result image could not be read")
                    }
                    images.append(bytes)
                }
                output = .inline(images)
            } catch {
                return .failure(error)
            }
        }
        return .success(
            GenerationResult(
                engine: job.engine ?? engine.name, images: output, blockedCount: job.failedCount,
                engineDuration: duration, jobID: job.id, cost: job.cost ?? .zero, format: stored.first?.format ?? .jpeg,
                identity: job.identity)
        )
    }

    /// A stored image's bytes; a failure of the blob store is logged and answered as 1033.
    func readBlob(id: String, format: OutputFormat, size: Int) async throws(APIError) -> Data? {
        do {
            return try await blobs.read(id: id, format: format, expectedSize: size)
        } catch {
            logger.error("cannot read an image", metadata: ["image": "\(id)", "error": "\(error)"])
            throw APIError(.systemError, "the image store failed to read an image")
        }
    }

    /// Cancels a queued job (it never runs) or asks a running one's engine to stop.
    package func cancel(_ snapshot: JobSnapshot) async throws(APIError) -> Cancellation {
        let job = snapshot.record
        let id = job.id
        let webhook = webhook(for: job, outcome: .failure(APIError(JobFailure.cancelled)))
        let outcome = try await store.write("cancel a job") { [jobs] in
            try jobs.requestCancellation(id: id, webhook: webhook, at: Date())
        }
        switch outcome {
        case .cancelled:
            await discardInput(of: job)
            await log(jobID: id, "Cancelled by the caller before it started", source: .queue)
            announce(.finished(jobID: id))
            if webhook != nil { webhookSignal.signal() }
        case .requested:
            await log(jobID: id, "Cancellation requested; asking the engine to stop", source: .queue)
            announce(.cancel(jobID: id))
        case .alreadyFinished, .notFound:
            break
        }
        return switch outcome {
        case .cancelled, .requested: .requested
        case .alreadyFinished: .alreadyFinished
        case .notFound: .notFound
        }
    }

    /// What a cancel did: asked for (a queued job is cancelled at once, a running one is asked to
    /// stop), too late, or there was no such job.
    package enum Cancellation: Sendable {
        case requested, alreadyFinished, notFound
    }

    func job(id: String) async throws(APIError) -> JobRecord? {
        try await store.read("read a job") { [jobs] in try jobs.job(id: id) }
    }

    /// The job `id` if `caller` may see it: a job is visible only to the keys of the account that
    /// submitted it, through the dialect it was submitted in (and, given `app`, that app).
    package func visibleJob(id: String, to caller: Caller, dialect: Dialect, app: String? = nil) async throws(APIError)
        -> JobSnapshot?
    {
        guard Identifier.isValid(id), let job = try await job(id: id), job.dialect == dialect,
            job.accountID == caller.account.id, app == nil || app == job.app
        else { return nil }
        return JobSnapshot(record: job)
    }

    /// The caller's account's jobs submitted in `dialect`, newest first.
    package func recentJobs(of caller: Caller, dialect: Dialect, limit: Int) async throws(APIError) -> [JobSnapshot] {
        let accountID = caller.account.id
        return try await store.read("list recent jobs") { [jobs] in
            try jobs.recentJobs(accountID: accountID, dialect: dialect, limit: limit)
        }.map(JobSnapshot.init)
    }

    /// The job as it stands now.
    package func snapshot(id: String) async throws(APIError) -> JobSnapshot? {
        try await job(id: id).map(JobSnapshot.init)
    }

    package func logs(jobID: String) async throws(APIError) -> [JobLogEntry] {
        try await store.read("read a job's log") { [jobs] in try jobs.logs(jobID: jobID) }.map { line in
            JobLogEntry(at: line.at, level: line.level, source: line.source, message: line.message)
        }
    }

    /// Requests ahead of a queued job; nil once it is no longer queued.
    package func queuePosition(id: String) async throws(APIError) -> Int? {
        try await store.read("read a queue position") { [jobs] in try jobs.queuePosition(id: id) }
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
}

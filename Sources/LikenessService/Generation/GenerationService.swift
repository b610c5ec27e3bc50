import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore
import Logging

/// The one path every generation takes, whatever dialect it arrived in, as the routes see it:
///
/// `JobAdmission` (prompt policy, limits, price, one transaction that records the job and its
/// input) → `JobRunner` (a queue worker, or the request itself when a slot is free: reference
/// intake and face check → engine → identity scores and the guard's regenerations → AIGC marker
/// → image files, then the job's completion, money and webhook in one transaction) → the answer,
/// read from `JobBook`.
///
/// Synchronous routes `generate`; fal's queue routes `enqueue` and poll. Dialects only translate
/// into `GenerationRequest` and out of `GenerationResult` or `JobSnapshot`; the service knows
/// none of them (a webhook's body comes from its `WebhookRendering`). Every store call runs
/// through `StoreCalls`, off the cooperative pool.
public struct GenerationService: Sendable {
    let admission: JobAdmission
    package let runner: JobRunner
    /// A synchronous request still queued after this long is withdrawn and answered as a rate limit.
    let synchronousStartLimit: Duration
    var book: JobBook { runner.book }

    package init(
        admission: AdmissionSettings, billing: Billing, runner: JobRunner, uploads: UploadService,
        synchronousStartLimit: Duration
    ) {
        self.admission = JobAdmission(
            settings: admission, billing: billing, book: runner.book, intake: runner.intake,
            characters: runner.characters, uploads: uploads)
        self.runner = runner
        self.synchronousStartLimit = synchronousStartLimit
    }

    public var engineName: String { runner.engine.name }

    /// Records a request refused before it had a canonical form (bad JSON, invalid fields).
    package func recordRejected(id: String, caller: Caller, dialect: Dialect, error: APIError) async {
        await admission.recordRejected(id: id, caller: caller, dialect: dialect, error: error)
    }

    /// Submits and waits: the synchronous routes of every dialect. When a worker's slot and the
    /// engine's capacity are free as the request arrives and nothing waits in the queue before
    /// it, the request runs its own job: claimed in the transaction that records it, answered
    /// from what the run recorded, with no worker to wake and nothing to read back. Otherwise a
    /// worker runs it; a job that has not started within `synchronousStartLimit` (the
    /// queue is long, or an upstream's pacing holds it) is withdrawn and answered as a rate
    /// limit with an estimated `Retry-After`. A replay (same `Idempotency-Key`) waits for the
    /// first request's job instead.
    package func generate(_ request: GenerationRequest, id: String, _ submission: Submission)
        async throws(APIError) -> GenerationResult
    {
        let immediate = await runner.immediateRun(for: request, id: id, caller: submission.caller)
        let submitted: JobAdmission.Submitted
        do throws(APIError) {
            submitted = try await admission.submit(request, id: id, submission, start: immediate?.start)
        } catch {
            immediate?.giveBack()
            throw error
        }
        if case .started(let job, let queued, let admitted) = submitted, let immediate {
            defer { immediate.giveBack() }
            let end = await runner.run(
                job, .submitted(queued, admitted), on: immediate.engine, reservation: immediate.reservation,
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
            try await Task.sleep(for: synchronousStartLimit)
            await withdrawIfNotStarted(id: id, model: request.model)
        }
        defer { watchdog.cancel() }
        switch try await waitUntilFinished(id: submitted.job.id) {
        case .completed(let run):
            return try await result(of: run.record, format: request.responseFormat, known: (run.images, run.bytes))
                .get()
        case .read(let job?) where job.status.isFinished:
            return try await result(of: job, format: request.responseFormat).get()
        case .read:
            throw APIError(.timeout, "the request was cancelled before it finished")
        }
    }

    /// Submits and answers at once: fal's queue. A replay answers with the first request's job.
    package func enqueue(_ request: GenerationRequest, id: String, _ submission: Submission) async throws(APIError)
        -> JobSnapshot
    {
        JobSnapshot(record: try await admission.submit(request, id: id, submission).job)
    }

    /// Fails a synchronous job that is still queued, telling its caller when to come back.
    private func withdrawIfNotStarted(id: String, model: ImageModel) async {
        do throws(APIError) {
            let ahead = try await queuePosition(id: id) ?? 0
            let interval = runner.engine.startInterval(for: model)?.seconds ?? synchronousStartLimit.seconds
            let retryAfter = max(1, Int((Double(ahead + 1) * interval).rounded(.up)))
            let error = APIError(
                .rateLimited,
                "the request did not start within \(String(format: "%g", synchronousStartLimit.seconds)) s: "
                    + "\(ahead) requests are ahead of it in the queue; retry after \(retryAfter) s",
                retryAfterSeconds: retryAfter)
            let withdrawn = try await book.store.write("withdraw a job") { [jobs = book.jobs] in
                try jobs.failQueuedJob(id: id, failure: JobFailure(error), at: Date())
            }
            guard withdrawn else { return }
            if let job = try await book.job(id: id) { await book.discardInput(of: job) }
            book.metrics.jobFinished(outcome: JobStatus.failed.rawValue, code: error.code)
        } catch {
            return  // logged by `store`; the job runs when its turn comes, and its caller still waits
        }
        await book.log(
            jobID: id, "Withdrawn: not started within the synchronous wait limit", level: .warning, source: .queue)
        book.announce(.finished(jobID: id))
    }

    /// How a wait for a job ended.
    enum WaitEnd: Sendable {
        /// It succeeded in this process, as its run recorded it.
        case completed(JobEvents.CompletedRun)
        /// The job as read from the store: finished, or as it stands when the wait was cancelled.
        case read(JobRecord?)
    }

    /// The job once it has finished, or as it stands when the waiting task is cancelled.
    func waitUntilFinished(id: String) async throws(APIError) -> WaitEnd {
        // Subscribed before the first read, so a finish between the two is not missed.
        let notices = book.events.subscribe(to: id)
        guard let current = try await book.job(id: id), !current.status.isFinished else {
            return .read(try await book.job(id: id))
        }
        for await notice in notices {
            switch notice {
            case .completed(let run): return .completed(run)
            case .finished: return .read(try await book.job(id: id))
            case .recheck:
                if let current = try await book.job(id: id), current.status.isFinished { return .read(current) }
            case .changed: continue
            }
        }
        return .read(try await book.job(id: id))
    }
}

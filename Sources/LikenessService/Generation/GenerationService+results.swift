import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore
import Logging

/// The caller's side of a job once it exists: its result, its cancellation, and what it may see.
extension GenerationService {
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
                    let image = try await book.store.read("read a result image") { [images = book.storage.images] in
                        try images.image(id: id)
                    }
                    if let image, image.expiresAt > book.clock.now() { stored.append(image) }
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
                        let bytes = try await book.readBlob(id: image.id, format: image.format, size: image.byteCount)
                    else {
                        book.logger.error("a result image is missing or incomplete", metadata: ["image": "\(image.id)"])
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
                engine: job.engine ?? runner.engine.name, images: output, blockedCount: job.failedCount,
                engineDuration: duration, jobID: job.id, cost: job.cost ?? .zero, format: stored.first?.format ?? .jpeg,
                identity: job.identity)
        )
    }

    /// Cancels a queued job (it never runs) or asks a running one's engine to stop.
    package func cancel(_ snapshot: JobSnapshot) async throws(APIError) -> Cancellation {
        let job = snapshot.record
        let id = job.id
        let webhook = book.webhook(for: job, outcome: .failure(APIError(JobFailure.cancelled)))
        let outcome = try await book.store.write("cancel a job") { [jobs = book.jobs] in
            try jobs.requestCancellation(id: id, webhook: webhook, at: Date())
        }
        switch outcome {
        case .cancelled:
            await book.discardInput(of: job)
            await book.log(jobID: id, "Cancelled by the caller before it started", source: .queue)
            book.announce(.finished(jobID: id))
            if webhook != nil { book.webhookSignal.signal() }
        case .requested:
            await book.log(jobID: id, "Cancellation requested; asking the engine to stop", source: .queue)
            book.announce(.cancel(jobID: id))
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

    /// The job `id` if `caller` may see it: a job is visible only to the keys of the account that
    /// submitted it, through the dialect it was submitted in (and, given `app`, that app).
    package func visibleJob(id: String, to caller: Caller, dialect: Dialect, app: String? = nil) async throws(APIError)
        -> JobSnapshot?
    {
        guard Identifier.isValid(id), let job = try await book.job(id: id), job.dialect == dialect,
            job.accountID == caller.account.id, app == nil || app == job.app
        else { return nil }
        return JobSnapshot(record: job)
    }

    /// The caller's account's jobs submitted in `dialect`, newest first.
    package func recentJobs(of caller: Caller, dialect: Dialect, limit: Int) async throws(APIError) -> [JobSnapshot] {
        let accountID = caller.account.id
        return try await book.store.read("list recent jobs") { [jobs = book.jobs] in
            try jobs.recentJobs(accountID: accountID, dialect: dialect, limit: limit)
        }.map(JobSnapshot.init)
    }

    /// The job as it stands now.
    package func snapshot(id: String) async throws(APIError) -> JobSnapshot? {
        try await book.job(id: id).map(JobSnapshot.init)
    }

    package func logs(jobID: String) async throws(APIError) -> [JobLogEntry] {
        try await book.store.read("read a job's log") { [jobs = book.jobs] in try jobs.logs(jobID: jobID) }.map {
            line in
            JobLogEntry(at: line.at, level: line.level, source: line.source, message: line.message)
        }
    }

    /// Requests ahead of a queued job; nil once it is no longer queued.
    package func queuePosition(id: String) async throws(APIError) -> Int? {
        try await book.store.read("read a queue position") { [jobs = book.jobs] in try jobs.queuePosition(id: id) }
    }

    /// "Look again" notices for one job, until the stream is dropped: for a status stream.
    package func notices(of jobID: String) -> AsyncStream<JobEvents.Notice> {
        book.events.subscribe(to: jobID)
    }
}

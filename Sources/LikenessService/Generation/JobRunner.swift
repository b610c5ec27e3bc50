import Foundation
import LikenessCore
import LikenessEngines
import LikenessFaces
import LikenessImaging
import LikenessStore
import Logging
import Synchronization

/// How the runner runs jobs: how many at once, how often one may be started again after an
/// interruption, and how long its images are kept.
package struct RunnerSettings: Sendable {
    /// Queue workers this process runs (0: a fleet replica that only takes requests).
    package var workers: Int
    package var maximumAttempts: Int
    package var imageLifetime: Duration

    package init(workers: Int, maximumAttempts: Int, imageLifetime: Duration) {
        self.workers = workers
        self.maximumAttempts = maximumAttempts
        self.imageLifetime = imageLifetime
    }
}

/// The engines a job may run on: the operator's (the configured router, or the preview engine),
/// and each BYOK account's own MiniMax key.
package struct JobEngines: Sendable {
    let operated: any ImageEngine
    let byok: BYOKEngines

    package init(operated: any ImageEngine, byok: BYOKEngines) {
        self.operated = operated
        self.byok = byok
    }
}

/// Runs jobs to their end: recovery after a restart, the queue's worker loop, the claim, the
/// reference's intake and face check, the engine, the identity guard, the finishing of images,
/// and the one transaction that records the result. A synchronous request's own run (claimed as
/// it is recorded) goes through the same `run`.
package struct JobRunner: Sendable {
    let settings: RunnerSettings
    let engines: JobEngines
    let intake: ReferenceIntake
    /// The reference's face, and the scores of the images made from it.
    let identity: IdentityCheck
    /// Stored characters, which a request may name as its reference.
    let characters: CharacterService
    package let book: JobBook
    var fleet: FleetRole { book.fleet }
    /// Generations running at once: the workers' and the synchronous requests' own.
    let slots: JobSlots
    /// Closed until startup recovery has run: no worker claims a job before then.
    package let startup = StartupGate()
    let activeWorkers = ActiveWorkers()

    package init(
        settings: RunnerSettings, engines: JobEngines, characters: CharacterService, book: JobBook
    ) {
        self.settings = settings
        self.engines = engines
        self.characters = characters
        self.intake = characters.intake
        self.identity = characters.identity
        self.book = book
        self.slots = JobSlots(count: settings.workers)
    }

    var engine: any ImageEngine { engines.operated }

    /// Settles the jobs a stopped process left running, before any worker starts: each runs
    /// again unless it was being cancelled or has used up `settings.maximumAttempts`. Alone on its
    /// store, every running job is such a leftover; in a fleet, only those whose lease lapsed.
    package func recoverInterruptedJobs() async throws(APIError) -> (requeued: Int, failed: Int) {
        let now = book.clock.now()
        let interrupted = try await book.store.read("read the interrupted jobs") {
            [jobs = book.jobs, shared = fleet.shared] in
            shared ? try jobs.lapsedJobs(at: now) : try jobs.runningJobs()
        }
        var requeued = 0
        var failed = 0
        for job in interrupted {
            if job.cancelRequested {
                await book.finish(job, as: .cancelled, APIError(JobFailure.cancelled))
                failed += 1
            } else if job.attempts >= settings.maximumAttempts {
                let cause = fleet.shared ? "its replica stopped" : "server restarts"
                await book.finish(
                    job, as: .failed,
                    APIError(.systemError, "interrupted by \(cause) \(job.attempts) times; not retried again"))
                failed += 1
            } else {
                // In a fleet the lease is checked again as the job is put back: its replica may
                // have renewed it since it was read.
                let putBack = try await book.store.write("queue a job again") {
                    [jobs = book.jobs, shared = fleet.shared] in
                    shared
                        ? try jobs.requeueLapsedJob(id: job.id, at: now)
                        : try jobs.requeueJob(id: job.id, refundAttempt: false)
                }
                guard putBack else { continue }
                let cause = fleet.shared ? "its replica stopped responding" : "the server stopped unexpectedly"
                await book.log(
                    jobID: job.id,
                    "Queued again after \(cause) (attempt \(job.attempts) of \(settings.maximumAttempts))",
                    level: .warning, source: .queue)
                requeued += 1
            }
        }
        if requeued > 0 { book.announce(.queued) }
        return (requeued, failed)
    }

    /// Claims the next queued job and runs it to its end. False when the queue was empty.
    ///
    /// Capacity comes first: the worker waits for the engine's pacing (an upstream's rate limit
    /// and concurrency cap) before it claims, so a waiting job stays queued with a true
    /// position. Once the capacity is granted the worker takes whatever job of that model is at
    /// the head then (another worker may have taken the one it waited for); with none, the
    /// capacity is given back.
    func runNextJob() async -> Bool {
        let next: QueueHead?
        do {
            next = try await book.store.read("read the queue") { [jobs = book.jobs] in try jobs.nextQueuedJob() }
        } catch {
            try? await Task.sleep(for: .seconds(1))  // a pause before reading again; cancellation ends it
            return false
        }
        guard let next else { return false }
        let engine = await engine(for: next)
        let reservation: CapacityReservation?
        do {
            reservation = try await engine.reserveCapacity(for: next.model.flatMap(ImageModel.init) ?? .image01)
        } catch {
            return false  // cancelled: the server is stopping
        }
        var claimed: ClaimedJob? = nil
        do throws(APIError) {
            // Without a reservation nothing was waited for, so the head just read is still the one
            // to try first; after a wait, the head is read again.
            var head =
                reservation == nil
                ? Optional(next)
                : try await book.store.read("read the queue") { [jobs = book.jobs] in try jobs.nextQueuedJob() }
            // The same model on the same engine: what the reserved capacity is good for.
            while let current = head, current.model == next.model, current.byok == next.byok,
                !next.byok || current.accountID == next.accountID
            {
                let engineName = engine.name
                let now = book.clock.now()
                let lease = fleet.lease(from: now)
                // The first log line goes in with the claim: one commit fewer before the engine starts.
                let startLog: @Sendable (Int) -> JobLogLine = { [self] attempt in startLine(attempt: attempt, at: now) }
                claimed = try await book.store.write("claim a job") { [jobs = book.jobs] in
                    try jobs.claimJob(id: current.id, engine: engineName, lease: lease, at: now, startLog: startLog)
                }
                if claimed != nil { break }
                head = try await book.store.read("read the queue") { [jobs = book.jobs] in try jobs.nextQueuedJob() }
            }
        } catch {
            reservation?.giveBack()
            try? await Task.sleep(for: .seconds(1))  // a pause before trying again; cancellation ends it
            return false
        }
        guard let claimed else {
            reservation?.giveBack()
            return true
        }
        // Whatever the job did not use (it failed before reaching the engine) goes back.
        defer { reservation?.giveBack() }
        _ = await run(claimed.record, .stored(claimed.input), on: engine, reservation: reservation)
        return true
    }

    /// How a run ended, for a caller that waits on it.
    enum RunEnd: Sendable {
        /// Succeeded and recorded: the job as completed, its images and their bytes.
        case completed(JobRecord, [StoredImage], [Data])
        /// Failed or cancelled (recorded), or put back in the queue as the server stops.
        case ended
    }

    /// What a run needs of a job's request: its stored input, or the request as it was
    /// submitted (a job its own request runs at once, never encoded and decoded on the way).
    enum RunInput: Sendable {
        case stored(JobInput)
        case submitted(QueuedRequest, GenerationRequest)
    }

    /// Runs a claimed job to its end and records how it ended. `generatingLogged`: its
    /// "Generating" line went in with the claim.
    func run(
        _ job: JobRecord, _ input: RunInput, on engine: any ImageEngine, reservation: CapacityReservation?,
        generatingLogged: Bool = false
    ) async -> RunEnd {
        book.metrics.queueWait(.seconds(max(0, book.clock.now().timeIntervalSince(job.createdAt))))
        if let deadline = job.startDeadline, deadline < book.clock.now() {
            await book.finish(
                job, as: .failed, APIError(.timeout, "the request was not started within its requested timeout"))
            return .ended
        }
        book.announce(.changed(jobID: job.id))

        // Its own task, so that a cancel request stops this job and not the worker.
        let task = Task {
            try await perform(job, input, on: engine, reservation: reservation, generatingLogged: generatingLogged)
        }
        book.running.insert(jobID: job.id) { task.cancel() }
        let outcome = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        book.running.remove(jobID: job.id)

        switch outcome {
        case .success(let output):
            return await complete(job, output)
        case .failure(let error as APIError):
            await book.finish(job, as: .failed, error)
        case .failure(is CancellationError):
            do throws(APIError) {
                if try await book.job(id: job.id)?.cancelRequested == true {
                    await book.finish(job, as: .cancelled, APIError(JobFailure.cancelled))
                } else {
                    // The server is stopping: the job runs again after the restart, at its place.
                    _ = try await book.store.write("put a job back in the queue") { [jobs = book.jobs] in
                        try jobs.requeueJob(id: job.id, refundAttempt: true)
                    }
                    book.logger.notice("job put back in the queue for the next start", metadata: ["job": "\(job.id)"])
                }
            } catch {
                // Left running (logged): the next start's recovery queues it again, counting this attempt.
            }
        case .failure(let error):
            book.logger.error("job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            await book.finish(job, as: .failed, APIError(.internalError, "the image engine failed"))
        }
        return .ended
    }

    /// An image as stored and served: the engine's, finished (watermark, output format).
    private struct FinishedImage: Sendable {
        var bytes: Data
        var size: PixelSize
        /// A passed-through image at its provider; no bytes here.
        var remoteURL: String?
    }

    private struct Output: Sendable {
        var images: [FinishedImage]
        /// The format every image of `images` is in.
        var format: OutputFormat
        var blockedCount: Int
        var engine: String
        var engineSeconds: Double
        var identity: IdentityReport?
    }

    /// The log line of a job's start (on which replica, in a fleet).
    func startLine(attempt: Int, at date: Date) -> JobLogLine {
        let place = fleet.shared ? " on \(fleet.replica.host) (\(fleet.replica.id))" : ""
        return JobLogLine(at: date, level: .info, source: .queue, message: "Started\(place) (attempt \(attempt))")
    }

    /// The operator's engines, or for a BYOK job the engine on its account's own key.
    func engine(for head: QueueHead) async -> any ImageEngine {
        guard head.byok, let accountID = head.accountID else { return engine }
        do throws(APIError) {
            return try await engines.byok.engine(accountID: accountID)
        } catch {
            return UnavailableEngine(name: "minimax-byok", error: error)
        }
    }

    /// Reference intake, engine, watermark. Throws `APIError` for failures the caller sees.
    private func perform(
        _ job: JobRecord, _ input: RunInput, on engine: any ImageEngine, reservation: CapacityReservation?,
        generatingLogged: Bool
    ) async throws -> Output {
        let id = job.id
        let queued: QueuedRequest
        let request: GenerationRequest
        switch input {
        case .submitted(let submittedQueued, let submittedRequest):
            (queued, request) = (submittedQueued, submittedRequest)
        case .stored(let stored):
            do {
                queued = try QueuedRequest(decoding: stored)
                // Jobs queued before inputs were files carry their reference in the database.
                var reference = stored.reference
                if reference == nil && queued.subjectReference == QueuedRequest.inlineReference {
                    reference = try await book.storage.blobs.readPrivate(.jobInput(jobID: id))
                }
                request = try queued.generationRequest(reference: reference)
            } catch {
                book.logger.error("unreadable job input", metadata: ["job": "\(id)", "error": "\(error)"])
                throw APIError(.systemError, "the queued request could not be read back")
            }
        }
        var reference: Data? = nil
        var referenceFace = IdentityCheck.Reference()
        if let subject = request.subjectReference {
            book.logLater(jobID: id, "Loading the subject reference", source: .queue)
            let bytes: Data
            switch subject.source {
            // Checked and stripped as it was admitted (`JobAdmission`).
            case .inline(let admitted):
                bytes = admitted
                referenceFace = try await identity.examine(reference: bytes, field: subject.field, logger: book.logger)
            case .remote:
                bytes = try await intake.load(subject)
                referenceFace = try await identity.examine(reference: bytes, field: subject.field, logger: book.logger)
            // Checked, and its faces found, when it was stored.
            case .character(let character):
                (bytes, referenceFace) = try await characters.subject(
                    character, accountID: job.accountID, field: subject.field)
            case .upload:
                throw APIError(.internalError, "an upload is taken as inline bytes when its job is admitted")
            }
            if let note = referenceFace.note {
                await book.log(jobID: id, "Identity: \(note)", level: .warning, source: .identity)
            }
            reference = bytes
        }
        if !generatingLogged { book.logLater(jobID: id, Self.generatingLine(request), source: .engine) }
        let engineJob = EngineJob(
            id: id, request: request, seeds: queued.seeds, referenceImage: reference, reservation: reservation)
        let started = ContinuousClock.now
        let output = try await engine.generate(engineJob) { progress in
            book.logLater(jobID: id, progress.message, source: .engine)
        }
        let engineSeconds = started.duration(to: .now).seconds
        guard !output.images.isEmpty else {
            throw APIError(.sensitiveOutput, "every image was withheld by content safety")
        }
        let checked = try await checkIdentity(of: output, job: engineJob, reference: referenceFace, engine: engine)
        let servedBy = output.engine ?? engine.name
        var images = checked.images
        if request.aigcWatermark || request.output.changesEngineOutput {
            // Off the cooperative pool: it decodes and re-encodes every image.
            images = try await RenderThreads.run {
                [images, watermark = request.aigcWatermark, encoding = request.output] in
                do {
                    return try images.map { image in
                        guard image.remoteURL == nil else { return image }
                        var finished = image
                        finished.jpeg = try ImageFinishing.finish(
                            image.jpeg, watermarkedBy: watermark ? servedBy : nil, as: encoding)
                        return finished
                    }
                } catch {
                    throw APIError(.internalError, "the images could not be finished (watermark, format): \(error)")
                }
            }
        }
        return Output(
            images: images.map { FinishedImage(bytes: $0.jpeg, size: $0.size, remoteURL: $0.remoteURL) },
            format: request.output.format, blockedCount: output.blockedCount + checked.withheld, engine: servedBy,
            engineSeconds: engineSeconds, identity: checked.report)
    }

    /// The log line a job's generation starts with.
    static func generatingLine(_ request: GenerationRequest) -> String {
        "Generating \(request.count) image\(request.count == 1 ? "" : "s") at \(request.size)"
    }

    /// Files first, then the job's completion with its image records and webhook in one
    /// transaction: a URL exists only for a complete file, and a result is recorded once.
    private func complete(_ job: JobRecord, _ output: Output) async -> RunEnd {
        let now = book.clock.now()
        let expiry = now.addingTimeInterval(settings.imageLifetime.seconds)
        var stored: [StoredImage] = []
        let completed: JobRecord
        do {
            for image in output.images {
                let record = StoredImage(
                    id: Identifier.make(), jobID: job.id, contentType: output.format.mimeType,
                    byteCount: image.bytes.count, width: image.size.width, height: image.size.height, createdAt: now,
                    expiresAt: expiry, sourceURL: image.remoteURL)
                if image.remoteURL == nil {
                    try await book.storage.blobs.write(image.bytes, id: record.id, format: output.format)
                }
                stored.append(record)
            }
            let webhook = book.webhook(
                for: job, outcome: .success(stored.map(ResultImage.init)), identity: output.identity)
            let images = stored
            // The last log line goes in with the completion, after every progress line before it.
            let storedLine = JobLogLine(
                at: now, level: .info, source: .queue,
                message: "Stored \(stored.count) image\(stored.count == 1 ? "" : "s")")
            await book.store.flushOrderedWrites()
            let recorded = try await book.store.writeRaw { [jobs = book.jobs] in
                try jobs.completeJob(
                    id: job.id, images: images, blockedCount: output.blockedCount, engine: output.engine,
                    engineSeconds: output.engineSeconds, identity: output.identity, webhook: webhook, log: storedLine,
                    at: now)
            }
            guard let recorded else {
                // Finished meanwhile (cancelled at the last moment): these files belong to nothing.
                for image in stored { await book.storage.blobs.delete(id: image.id, format: image.format) }
                return .ended
            }
            completed = recorded
            await book.discardInput(of: job)
            if webhook != nil { book.webhookSignal.signal() }
        } catch {
            book.logger.error("cannot store results", metadata: ["job": "\(job.id)", "error": "\(error)"])
            for image in stored { await book.storage.blobs.delete(id: image.id, format: image.format) }
            await book.finish(job, as: .failed, APIError(.systemError, "the images could not be stored"))
            return .ended
        }
        book.metrics.jobFinished(outcome: "succeeded", code: nil)
        book.metrics.images(delivered: stored.count, withheld: output.blockedCount)
        book.metrics.engineTime(engine: output.engine, model: job.model ?? "unknown", .seconds(output.engineSeconds))
        book.metrics.money(
            "charged", Settlement(reserved: job.reserved, price: job.price, delivered: stored.count).charge)
        book.logger.info(
            "generation finished",
            metadata: [
                "job": "\(job.id)", "engine": "\(output.engine)", "images": "\(stored.count)",
                "engine_ms": "\(Int(output.engineSeconds * 1000))",
            ])
        // No worker is woken here: one that ran a job looks at the queue again by itself, and a
        // job queued meanwhile woke one. Waking one per completion (most are requests' own runs)
        // had it take a slot to find the queue empty, and a request arriving then found no free
        // slot, was queued, and every request behind it queued too: the collapse at c = slots.
        let bytes = output.images.map(\.bytes)
        book.events.publish(.completed(.init(record: completed, images: stored, bytes: bytes)), jobID: job.id)
        book.announce(.finished(jobID: job.id))
        return .completed(completed, stored, bytes)
    }

    /// Runs workers until cancelled (graceful shutdown): each takes a free slot and the next
    /// job, or waits for one.
    func work() async {
        await startup.wait()
        await activeWorkers.counting {
            while await slots.take() {
                let ran = await runNextJob()
                slots.release()
                if ran { continue }
                await book.workSignal.wait()
            }
        }
    }
}

/// How to stop each job running now, so that a cancel request can reach it.
final class RunningJobs: Sendable {
    private let cancellers = Mutex<[String: @Sendable () -> Void]>([:])

    func insert(jobID: String, cancel: @escaping @Sendable () -> Void) {
        cancellers.withLock { $0[jobID] = cancel }
    }

    func remove(jobID: String) {
        _ = cancellers.withLock { $0.removeValue(forKey: jobID) }
    }

    func cancel(jobID: String) {
        cancellers.withLock { $0[jobID] }?()
    }
}

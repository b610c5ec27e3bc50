import Crypto
import Foundation
import LikenessCore
import LikenessStore
import Logging

/// What admission checks beyond the caller's limits and balance: the prompt policy and the
/// queue's length.
package struct AdmissionSettings: Sendable {
    package var promptPolicy: PromptPolicy
    package var maximumQueuedJobs: Int

    package init(promptPolicy: PromptPolicy, maximumQueuedJobs: Int) {
        self.promptPolicy = promptPolicy
        self.maximumQueuedJobs = maximumQueuedJobs
    }
}

/// Turns a canonical request into a durable job, or refuses it: the prompt policy, the queue's
/// length, the caller's concurrency limits and balance (`Billing` prices and reserves), the
/// idempotency key, and the one transaction that records the job with its input. A refusal is
/// recorded as a failed job, for the caller's usage.
struct JobAdmission: Sendable {
    let settings: AdmissionSettings
    let billing: Billing
    let book: JobBook
    let intake: ReferenceIntake
    let characters: CharacterService
    let uploads: UploadService

    /// Records a request refused before it had a canonical form (bad JSON, invalid fields).
    func recordRejected(id: String, caller: Caller, dialect: Dialect, error: APIError) async {
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: dialect, model: nil, parameters: nil, createdAt: book.clock.now(),
            status: .failed)
        job.accountID = caller.account.id
        job.failure = JobFailure(error)
        job.finishedAt = job.createdAt
        // Recorded for the caller's usage; the answer is the refusal either way.
        _ = try? await book.store.write("record a refused request") { [jobs = book.jobs, job] in try jobs.insertJob(job)
        }
    }

    /// What became of a submitted job.
    enum Submitted: Sendable {
        case queued(JobRecord)
        /// Claimed as it was queued (`start`), and running now; the request as admitted (an
        /// inline reference checked and stripped).
        case started(JobRecord, QueuedRequest, GenerationRequest)
        /// The idempotency key was already used for this same request: its job.
        case duplicate(JobRecord)

        var job: JobRecord {
            switch self {
            case .queued(let job), .started(let job, _, _), .duplicate(let job): job
            }
        }
    }

    /// Queues a job, after the prompt policy, the queue's length, the caller's concurrency limits
    /// and balance allow it, reserving its price. A refusal is recorded as a failed job and
    /// thrown. With an idempotency key already used for the same request, nothing is queued and
    /// the first request's job comes back (`duplicate`). With `start`, the job is claimed in the
    /// same transaction when nothing waits before it in the queue.
    func submit(
        _ submitted: GenerationRequest, id: String, _ submission: Submission,
        start: (@Sendable (JobRecord) -> ImmediateStart)? = nil
    ) async throws(APIError) -> Submitted {
        let caller = submission.caller
        // An upload is taken as it stands now, as inline bytes: the job does not depend on how
        // long the upload is kept. It was checked and stripped as it was uploaded.
        var request = submitted
        var uploadedBytes: Data? = nil
        if let subject = submitted.subjectReference, case .upload(let upload) = subject.source {
            let bytes: Data
            do throws(APIError) {
                bytes = try await uploads.open(upload, accountID: caller.account.id, field: subject.field).bytes
            } catch {
                await recordRejected(id: id, caller: caller, dialect: submission.dialect, error: error)
                throw error
            }
            uploadedBytes = bytes
            request.subjectReference?.source = .inline(bytes)
        }
        let seeds = request.imageSeeds()
        let queued = QueuedRequest(request, seeds: seeds)
        let parameters = try Self.encoded(queued)
        var job = JobRecord(
            id: id, keyID: caller.key.id, dialect: submission.dialect, model: request.model.rawValue,
            parameters: parameters, createdAt: book.clock.now())
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
        if case .character(let character)? = request.subjectReference?.source { job.characterID = character.rawValue }
        let quote = billing.quote(request, for: caller.account)
        (job.price, job.reserved) = (quote.price, quote.reserved)
        let fingerprint = submission.idempotencyKey == nil ? nil : try Self.fingerprint(request, submission)
        let admission = Admission(
            concurrentJobsPerKey: billing.limits(for: caller.key).concurrentJobs,
            concurrentJobsPerAccount: billing.limits(for: caller.account).concurrentJobs,
            idempotencyKey: submission.idempotencyKey,
            fingerprint: fingerprint,
            idempotencyWindow: billing.settings.idempotencyWindow, maximumQueuedJobs: settings.maximumQueuedJobs,
            startNow: start?(job))
        let outcome: EnqueueOutcome
        // An inline reference is written beside the images before the job is recorded, and
        // named by the job's id: megabytes stay out of the database's transactions. What is
        // written is the picture alone, without the photo's camera, GPS or author tags.
        var inputFile: Data? = nil
        do throws(APIError) {
            try settings.promptPolicy.check(request.prompt)
            // Checked here, so that a bad picture is refused before anything is queued, and
            // stored as the intake leaves it: the picture alone, without the photo's tags.
            if let subject = request.subjectReference {
                switch subject.source {
                case .inline:
                    if let uploadedBytes {
                        inputFile = uploadedBytes
                    } else {
                        inputFile = try await intake.load(subject)
                    }
                case .character(let character):
                    try await characters.requireExists(character, accountID: caller.account.id, field: subject.field)
                case .remote, .upload: break
                }
            }
            do {
                if let inputFile { try await book.storage.blobs.writePrivate(inputFile, as: .jobInput(jobID: id)) }
                let input = JobInput(request: parameters, reference: nil)
                outcome = try await book.store.writeRaw { [jobs = book.jobs, job] in
                    try jobs.enqueueJob(job, input: input, admission: admission)
                }
            } catch let refusal as AdmissionRefusal {
                throw APIError(refusal, request: request, price: job.price)
            } catch {
                book.logger.error("cannot queue job", metadata: ["job": "\(id)", "error": "\(error)"])
                throw APIError(.systemError, "the request could not be recorded; nothing was generated")
            }
        } catch {
            if inputFile != nil { await book.storage.blobs.deletePrivate(.jobInput(jobID: id)) }
            guard error.code != .systemError else { throw error }
            job.status = .failed
            job.failure = JobFailure(error)
            job.finishedAt = job.createdAt
            job.reserved = .zero
            // Recorded for the caller's usage; the answer is the refusal either way.
            _ = try? await book.store.write("record a refused job") { [jobs = book.jobs, job] in try jobs.insertJob(job)
            }
            throw error
        }
        if case .duplicate(let first) = outcome {
            if inputFile != nil { await book.storage.blobs.deletePrivate(.jobInput(jobID: id)) }
            book.logger.debug("idempotent replay", metadata: ["job": "\(first.id)", "request": "\(id)"])
            return .duplicate(first)
        }
        book.logger.debug(
            "job queued",
            metadata: [
                "job": "\(id)", "dialect": "\(submission.dialect.rawValue)", "account": "\(caller.account.id)",
                "reserved_usd": "\(job.reserved.usd)",
            ])
        book.metrics.money("reserved", job.reserved)
        if case .started(let running) = outcome {
            var admitted = request
            if let inputFile { admitted.subjectReference?.source = .inline(inputFile) }
            return .started(running, queued, admitted)
        }
        book.announce(.queued)
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

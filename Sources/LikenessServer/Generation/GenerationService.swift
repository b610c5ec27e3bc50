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
        /// JPEG bytes, for `base64` responses (not stored).
        case inline([Data])
    }

    public var engine: String
    public var images: Images
    public var blockedCount: Int
    /// Time inside the engine alone (no queueing, no storage), reported as `Server-Timing`.
    public var engineDuration: Duration
}

/// The one path every generation takes, whatever dialect it arrived in:
///
/// prompt policy → durable job record → reference intake → engine (bounded concurrency) →
/// AIGC marker → image files + job completion in one transaction.
///
/// Dialect adapters only translate into `GenerationRequest` and out of `GenerationResult`.
public struct GenerationService: Sendable {
    let engine: any ImageEngine
    let jobs: any JobRepository
    let blobs: FileBlobStore
    let intake: ReferenceIntake
    let promptPolicy: PromptPolicy
    let imageLifetime: Duration
    let limiter: ConcurrencyLimiter
    let logger: Logger

    init(
        engine: any ImageEngine, jobs: any JobRepository, blobs: FileBlobStore, fetcher: any ReferenceFetching,
        promptPolicy: PromptPolicy, imageLifetime: Duration, maximumConcurrentJobs: Int, logger: Logger
    ) {
        self.engine = engine
        self.jobs = jobs
        self.blobs = blobs
        self.intake = ReferenceIntake(fetcher: fetcher, limits: DecodeLimits())
        self.promptPolicy = promptPolicy
        self.imageLifetime = imageLifetime
        self.limiter = ConcurrencyLimiter(limit: maximumConcurrentJobs)
        self.logger = logger
    }

    public var engineName: String { engine.name }

    /// Records a request refused before it had a canonical form (bad JSON, invalid fields).
    public func recordRejected(id: String, keyID: String?, dialect: String, error: APIError) {
        var job = JobRecord(
            id: id, keyID: keyID, dialect: dialect, model: nil, parameters: nil, createdAt: Date(), status: .failed)
        job.statusCode = error.code.rawValue
        job.statusMessage = error.message
        job.finishedAt = job.createdAt
        do {
            try jobs.insertJob(job)
        } catch {
            logger.error("cannot record rejected request", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    public func generate(_ request: GenerationRequest, id: String, keyID: String?, dialect: String)
        async throws(APIError) -> GenerationResult
    {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(id)"
        let received = Date()
        let job = JobRecord(
            id: id, keyID: keyID, dialect: dialect, model: request.model.rawValue,
            parameters: RecordedParameters(request).json, createdAt: received)
        do {
            try jobs.insertJob(job)
        } catch {
            logger.error("cannot record job", metadata: ["error": "\(error)"])
            throw APIError(.systemError, "the request could not be recorded; nothing was generated")
        }
        do {
            try promptPolicy.check(request.prompt)
            let result = try await run(request, id: id, logger: logger)
            logger.info(
                "generation finished",
                metadata: [
                    "engine": "\(engine.name)", "images": "\(request.count - result.blockedCount)",
                    "milliseconds": "\(Int(Date().timeIntervalSince(received) * 1000))",
                ])
            return result
        } catch {
            logger.notice(
                "generation failed", metadata: ["code": "\(error.code.rawValue)", "message": "\(error.message)"])
            do {
                try jobs.failJob(id: id, statusCode: error.code.rawValue, message: error.message, at: Date())
            } catch let storeError {
                logger.error("cannot record job failure", metadata: ["error": "\(storeError)"])
            }
            throw error
        }
    }

    private func run(_ request: GenerationRequest, id: String, logger: Logger) async throws(APIError)
        -> GenerationResult
    {
        let reference = try await request.subjectReference.asyncMap { reference async throws(APIError) in
            try await intake.load(reference)
        }
        let engineJob = EngineJob(id: id, request: request, seeds: request.imageSeeds(), referenceImage: reference)
        let output: EngineOutput
        let engineDuration: Duration
        do {
            (output, engineDuration) = try await limiter.withPermit { [engine, jobs] in
                try jobs.markJobRunning(id: id, engine: engine.name, at: Date())
                let started = ContinuousClock.now
                var output = try await engine.generate(engineJob) { progress in
                    logger.debug("engine progress", metadata: ["message": "\(progress.message)"])
                }
                let engineDuration = started.duration(to: .now)
                if request.aigcWatermark {
                    // Inside the permit and off the cooperative pool: it decodes and re-encodes.
                    output.images = try await RenderThreads.run { [images = output.images] in
                        do {
                            return try images.map { image in
                                var marked = image
                                marked.jpeg = try AIGCMarker.apply(toJPEG: image.jpeg, engine: engine.name)
                                return marked
                            }
                        } catch {
                            throw APIError(.internalError, "the AIGC watermark could not be applied: \(error)")
                        }
                    }
                }
                return (output, engineDuration)
            }
        } catch let error as APIError {
            throw error
        } catch is CancellationError {
            throw APIError(.timeout, "the request was cancelled before it finished")
        } catch {
            logger.error("engine failed", metadata: ["error": "\(error)"])
            throw APIError(.internalError, "the image engine failed")
        }
        guard !output.images.isEmpty else {
            throw APIError(.sensitiveOutput, "every image was withheld by content safety")
        }
        return try finish(
            id: id, request: request, images: output.images, blockedCount: output.blockedCount,
            engineDuration: engineDuration)
    }

    private func finish(
        id: String, request: GenerationRequest, images: [EngineImage], blockedCount: Int, engineDuration: Duration
    ) throws(APIError) -> GenerationResult {
        let now = Date()
        do {
            switch request.responseFormat {
            case .base64:
                try jobs.completeJob(
                    id: id, images: [], deliveredCount: images.count, failedCount: blockedCount, at: now)
                return GenerationResult(
                    engine: engine.name, images: .inline(images.map(\.jpeg)), blockedCount: blockedCount,
                    engineDuration: engineDuration)
            case .url:
                let expiry = now.addingTimeInterval(TimeInterval(imageLifetime.components.seconds))
                var stored: [StoredImage] = []
                for image in images {
                    let record = StoredImage(
                        id: Identifier.make(), jobID: id, contentType: "image/jpeg", byteCount: image.jpeg.count,
                        width: image.size.width, height: image.size.height, createdAt: now, expiresAt: expiry)
                    // File first, record second: a URL exists only for a complete file.
                    try blobs.write(image.jpeg, id: record.id)
                    stored.append(record)
                }
                try jobs.completeJob(
                    id: id, images: stored, deliveredCount: stored.count, failedCount: blockedCount, at: now)
                return GenerationResult(
                    engine: engine.name, images: .stored(stored), blockedCount: blockedCount,
                    engineDuration: engineDuration)
            }
        } catch {
            logger.error("cannot store results", metadata: ["job": "\(id)", "error": "\(error)"])
            throw APIError(.systemError, "the images could not be stored")
        }
    }
}

/// The parameters kept in a job record: everything but image bytes.
struct RecordedParameters: Encodable {
    var prompt: String
    var aspectRatio: String?
    var width: Int
    var height: Int
    var n: Int
    var seed: Int64?
    var responseFormat: String
    var promptOptimizer: Bool
    var aigcWatermark: Bool
    var subjectReference: String?
    var style: LiveStyle?

    init(_ request: GenerationRequest) {
        prompt = request.prompt
        aspectRatio = request.aspectRatio?.rawValue
        width = request.size.width
        height = request.size.height
        n = request.count
        seed = request.seed
        responseFormat = request.responseFormat.rawValue
        promptOptimizer = request.promptOptimizer
        aigcWatermark = request.aigcWatermark
        subjectReference = request.subjectReference.map { reference in
            switch reference.source {
            case .inline(let bytes): "inline image, \(bytes.count) bytes"
            case .remote(let url): url.absoluteString
            }
        }
        style = request.style
    }

    var json: String? {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Optional {
    func asyncMap<T, E: Error>(_ transform: (Wrapped) async throws(E) -> T) async throws(E) -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

import Foundation
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessStore
import Logging

/// One request as its history shows it: the job, what it asked for, and each image it delivered.
package struct GenerationEntry: Sendable {
    package var job: JobRecord
    /// What the request asked for; nil for a request refused before it was queued.
    package var request: RecordedRequest?
    package var images: [RecordedImage]
}

/// A job's recorded parameters, as a history shows them (never reference bytes).
package struct RecordedRequest: Sendable, Hashable {
    package var model: String
    package var prompt: String
    package var aspectRatio: String?
    package var width: Int
    package var height: Int
    package var count: Int
    package var seed: Int64?
    package var responseFormat: String
    package var promptOptimizer: Bool
    package var aigcWatermark: Bool
    package var styleType: String?
    package var styleWeight: Double?
    package var referenceKind: ReferenceKind?
    /// The character's or upload's id, or the URL; nil for inline bytes (not kept after the job).
    package var reference: String?
    package var identityThreshold: Double?
    package var outputFormat: String?

    init(_ queued: QueuedRequest) {
        model = queued.model.rawValue
        prompt = queued.prompt
        aspectRatio = queued.aspectRatio?.rawValue
        width = queued.width
        height = queued.height
        count = queued.n
        seed = queued.seed
        responseFormat = queued.responseFormat.rawValue
        promptOptimizer = queued.promptOptimizer
        aigcWatermark = queued.aigcWatermark
        styleType = queued.style?.type.rawValue
        styleWeight = queued.style?.weight
        identityThreshold = queued.identityGuard?.threshold
        outputFormat = queued.outputFormat?.rawValue
        switch queued.subjectReference {
        case nil: break
        case QueuedRequest.inlineReference?: referenceKind = .inline
        case let text? where CharacterID(text) != nil: (referenceKind, reference) = (.character, text)
        case let text? where UploadID(text) != nil: (referenceKind, reference) = (.upload, text)
        case let text?: (referenceKind, reference) = (.url, text)
        }
    }
}

/// Where a request's reference came from.
package enum ReferenceKind: String, Sendable, Hashable {
    case character, upload, url, inline
}

/// One delivered image: nil `image` once it has expired (its seed and score stay).
package struct RecordedImage: Sendable, Hashable {
    package var image: ResultImage?
    /// The seed it was made with; nil when that is not known (content safety withheld some).
    package var seed: UInt64?
    package var identityScore: Double?
}

extension GenerationService {
    /// A page of `caller`'s account's history, newest first, as `query` filters it (its account
    /// is always the caller's).
    package func history(of caller: Caller, matching query: JobQuery) async throws(APIError) -> [GenerationEntry] {
        var query = query
        query.accountID = caller.account.id
        return try await entries(matching: query)
    }

    /// A page of every account's jobs, for the operator.
    package func jobs(matching query: JobQuery) async throws(APIError) -> [GenerationEntry] {
        try await entries(matching: query)
    }

    /// The job `id` with its log: only its own account's keys see it (any dialect), or any
    /// admin key with `asOperator`.
    package func generation(id: String, visibleTo caller: Caller, asOperator: Bool = false) async throws(APIError)
        -> (entry: GenerationEntry, logs: [JobLogEntry])?
    {
        guard Identifier.isValid(id), let job = try await book.job(id: id),
            asOperator || job.accountID == caller.account.id
        else { return nil }
        let entry = try await entries(for: [job])[0]
        return (entry, try await logs(jobID: id))
    }

    /// A small JPEG of a stored image (the whole picture, its longest side as a character photo's
    /// thumbnail), made from its bytes on each call (a browser keeps it while the image's URL
    /// lasts); nil when the image is gone, has expired, or was passed through.
    package func thumbnail(imageID: String, format: OutputFormat) async throws(APIError) -> Data? {
        let image = try await book.store.read("read an image") { [images = book.storage.images] in
            try images.image(id: imageID)
        }
        guard let image, image.expiresAt > book.clock.now(), image.format == format, image.sourceURL == nil,
            let bytes = try await book.readBlob(id: image.id, format: image.format, size: image.byteCount)
        else { return nil }
        do {
            return try await RenderThreads.run {
                try RasterImage.fitting(decoding: bytes, within: CharacterService.thumbnailSide)
                    .encoded(as: .jpeg(quality: 80))
            }
        } catch {
            book.logger.error("a stored image could not be made small", metadata: ["image": "\(imageID)"])
            throw APIError(.systemError, "the thumbnail could not be made")
        }
    }

    private func entries(matching query: JobQuery) async throws(APIError) -> [GenerationEntry] {
        let jobs = try await book.store.read("list jobs") { [jobs = book.jobs] in try jobs.jobs(matching: query) }
        return try await entries(for: jobs)
    }

    /// Each job with its images, all read in one call to the store.
    private func entries(for jobs: [JobRecord]) async throws(APIError) -> [GenerationEntry] {
        let ids = jobs.flatMap(\.resultImageIDs)
        let stored = try await book.store.read("read history images") { [images = book.storage.images] in
            var found: [String: StoredImage] = [:]
            for id in ids { found[id] = try images.image(id: id) }
            return found
        }
        let now = book.clock.now()
        return jobs.map { job in
            let queued = job.parameters.flatMap { try? QueuedRequest(json: $0) }
            let scores = job.identity?.scores ?? []
            // The request's seeds hold for its images when all were delivered and none made again.
            let seeds =
                job.identity?.seeds
                ?? (queued.map(\.seeds).flatMap { $0.count == job.resultImageIDs.count ? $0 : nil })
            let images = job.resultImageIDs.enumerated().map { index, id in
                RecordedImage(
                    image: stored[id].flatMap { $0.expiresAt > now ? ResultImage($0) : nil },
                    seed: seeds.flatMap { $0.indices.contains(index) ? $0[index] : nil },
                    identityScore: scores.indices.contains(index) ? scores[index] : nil)
            }
            return GenerationEntry(job: job, request: queued.map(RecordedRequest.init), images: images)
        }
    }
}

import Foundation
import LikenessAPI

/// What an engine is asked to do: one canonical request with its per-image seeds and, for a
/// subject reference, the reference photo already fetched and checked to be a JPEG or PNG.
public struct EngineJob: Sendable {
    public var id: String
    public var request: GenerationRequest
    public var seeds: [UInt64]
    public var referenceImage: Data?

    public init(id: String, request: GenerationRequest, seeds: [UInt64], referenceImage: Data? = nil) {
        precondition(seeds.count == request.count, "one seed per image")
        self.id = id
        self.request = request
        self.seeds = seeds
        self.referenceImage = referenceImage
    }
}

/// One finished image, encoded as JPEG.
public struct EngineImage: Sendable, Hashable {
    public var jpeg: Data
    public var size: PixelSize

    public init(jpeg: Data, size: PixelSize) {
        self.jpeg = jpeg
        self.size = size
    }
}

public struct EngineOutput: Sendable {
    public var images: [EngineImage]
    /// Images withheld by the engine's content safety: not returned, not billed.
    public var blockedCount: Int

    public init(images: [EngineImage], blockedCount: Int = 0) {
        self.images = images
        self.blockedCount = blockedCount
    }
}

/// A progress line an engine reports while it works (shown as queue log lines by the fal dialect).
public struct EngineProgress: Sendable, Hashable {
    public var message: String
    public var completedImages: Int

    public init(message: String, completedImages: Int) {
        self.message = message
        self.completedImages = completedImages
    }
}

/// Anything that turns a canonical request into images: the built-in preview renderer, or an
/// upstream provider. Engines throw `APIError` for failures a caller should see, and stop when
/// their task is cancelled.
public protocol ImageEngine: Sendable {
    /// Short stable name, reported in `X-Likeness-Engine` and in job records.
    var name: String { get }

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
}

import Foundation
import LikenessCore

/// What an engine is asked to do: one canonical request with its per-image seeds and, for a
/// subject reference, the reference photo already fetched and checked to be a JPEG or PNG.
public struct EngineJob: Sendable {
    public var id: String
    public var request: GenerationRequest
    public var seeds: [UInt64]
    public var referenceImage: Data?
    /// Capacity the worker reserved before it claimed this job (see `ImageEngine.reserveCapacity`).
    public var reservation: CapacityReservation?

    public init(
        id: String, request: GenerationRequest, seeds: [UInt64], referenceImage: Data? = nil,
        reservation: CapacityReservation? = nil
    ) {
        precondition(seeds.count == request.count, "one seed per image")
        self.id = id
        self.request = request
        self.seeds = seeds
        self.referenceImage = referenceImage
        self.reservation = reservation
    }

    /// The reference photo as a `data:` URL, the way providers take it inline.
    public var referenceDataURL: String? {
        guard let referenceImage else { return nil }
        let isPNG = referenceImage.starts(with: [0x89, 0x50, 0x4E, 0x47])
        return "data:image/\(isPNG ? "png" : "jpeg");base64,\(referenceImage.base64EncodedString())"
    }
}

/// One finished image, encoded as JPEG, or (for an upstream in passthrough mode) the
/// provider's own URL for it.
public struct EngineImage: Sendable, Hashable {
    public var jpeg: Data
    public var size: PixelSize
    /// Set when the image stays at the provider: served as this URL, never stored here.
    public var remoteURL: String?

    public init(jpeg: Data, size: PixelSize) {
        self.jpeg = jpeg
        self.size = size
    }

    public init(remoteURL: String, size: PixelSize) {
        self.jpeg = Data()
        self.size = size
        self.remoteURL = remoteURL
    }
}

public struct EngineOutput: Sendable {
    public var images: [EngineImage]
    /// Images withheld by the engine's content safety: not returned, not billed.
    public var blockedCount: Int
    /// The engine that made the images, when it is not the one asked (a router names the
    /// engine of its route that served).
    public var engine: String?

    public init(images: [EngineImage], blockedCount: Int = 0, engine: String? = nil) {
        self.images = images
        self.blockedCount = blockedCount
        self.engine = engine
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

    /// Waits until the engine could start a request for `model` now, and holds that capacity
    /// for the job the worker claims next, so that a job waiting for an upstream's rate limit
    /// stays queued (with a true queue position) instead of holding a worker as "running".
    /// Nil when the engine has no such limits (the default).
    func reserveCapacity(for model: ImageModel) async throws -> CapacityReservation?

    /// `reserveCapacity` without waiting: what it would return at once, or `.busy` when it would
    /// have to wait. For a job that starts now or else queues. `.granted(nil)` by default.
    func reserveCapacityNow(for model: ImageModel) -> ImmediateCapacity

    /// The sustained time between starts for `model`, when the engine is paced: how wait
    /// estimates (`Retry-After`) are made. Nil by default.
    func startInterval(for model: ImageModel) -> Duration?

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
}

extension ImageEngine {
    public func reserveCapacity(for model: ImageModel) async throws -> CapacityReservation? { nil }
    public func reserveCapacityNow(for model: ImageModel) -> ImmediateCapacity { .granted(nil) }
    public func startInterval(for model: ImageModel) -> Duration? { nil }
}

/// An engine's capacity for a request that starts now: granted (holding the reservation, nil
/// when the engine needs none), or busy (it would have to wait).
public enum ImmediateCapacity: Sendable {
    case granted(CapacityReservation?)
    case busy
}

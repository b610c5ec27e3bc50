import Foundation
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessImaging

/// An engine that answers at once with one small JPEG per image, labelled with the requested
/// size: for tests of everything around the engine (routes, queue, storage) at thousands of
/// requests, where rendering would dominate.
public struct InstantEngine: ImageEngine {
    public let name = "instant"
    private let jpeg: Data

    public init() throws {
        jpeg = try RasterImage.panel(width: 8, height: 8, colour: RGB(40, 90, 160), alpha: 255)
            .encoded(as: .jpeg(quality: 80))
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        EngineOutput(images: job.seeds.map { _ in EngineImage(jpeg: jpeg, size: job.request.size) })
    }
}

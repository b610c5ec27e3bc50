import Foundation
import LikenessAPI
import LikenessCore
import LikenessUpstream

/// Finished images and what they cost.
public struct Generation: Sendable, Hashable {
    /// The request's id (the job's, on Likeness): `job(id:)` finds it again.
    public var id: String
    public var images: [GeneratedImage]
    /// Images content safety withheld (not returned, not charged).
    public var withheldCount: Int
    /// The engine that made them (Likeness's `X-Likeness-Engine`); nil from MiniMax.
    public var engine: String?
    /// What the request was charged (Likeness's `X-Likeness-Cost-USD`); nil from MiniMax.
    public var cost: MicroDollars?
    /// About the subject reference's face (several found, or none); Likeness only.
    public var identityNote: String? = nil
}

/// One image: a URL that expires, or the bytes (`responseFormat: .base64`).
public struct GeneratedImage: Sendable, Hashable {
    public var url: URL?
    public var data: Data?
    /// Its size in pixels, when the request that made it is known.
    public var size: PixelSize?
    /// The seed that draws it again with `count: 1`, when the request gave one (image `i` of
    /// a request with seed `s` uses `s + i`).
    public var seed: Int64?
    /// How alike its face is to the reference's (0…1; dlib's same-person threshold is 0.5), for
    /// a subject-reference request that Likeness scored.
    public var identityScore: Double? = nil
    /// Whether it reached the request's `identityGuard` threshold, when it set one.
    public var identityPassed: Bool? = nil
}

extension Generation {
    /// A native answer read as a generation. `request` (when this client made it) gives sizes
    /// and seeds, which the answer itself does not carry.
    init(_ answer: LikenessClient.NativeAnswer, request: GenerationRequest?) throws(LikenessError) {
        let body = answer.body
        guard let id = body.id ?? body.taskID else {
            throw LikenessError(.transport, "the answer has no id")
        }
        var images: [GeneratedImage] = []
        if !body.imageURLs.isEmpty {
            images = body.imageURLs.map { GeneratedImage(url: URL(string: $0)) }
        } else {
            images = try body.imageBase64.map { text throws(LikenessError) in
                guard let data = Data(base64Encoded: text) else {
                    throw LikenessError(.transport, "an image of the answer is not base64")
                }
                return GeneratedImage(data: data)
            }
        }
        for index in images.indices {
            images[index].size = request?.size
            images[index].seed = request?.seed.map { $0 &+ Int64(index) }
            if body.identityScores.indices.contains(index) { images[index].identityScore = body.identityScores[index] }
            if body.identityPassed.indices.contains(index) { images[index].identityPassed = body.identityPassed[index] }
        }
        self.init(
            id: id, images: images, withheldCount: body.failedCount,
            engine: answer.header("X-Likeness-Engine"),
            cost: answer.header("X-Likeness-Cost-USD").flatMap(MicroDollars.init(usd:)), identityNote: body.identityNote
        )
    }
}

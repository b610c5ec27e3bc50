import Foundation

/// The canonical generation request: MiniMax-native semantics, validated, every default
/// applied. Every dialect translates into this; engines, billing and storage only see this.
public struct GenerationRequest: Sendable, Hashable {
    public var model: ImageModel
    public var prompt: String
    /// The ratio asked for, or nil when the caller gave a custom width and height.
    public var aspectRatio: AspectRatio?
    /// The exact output size in pixels.
    public var size: PixelSize
    public var count: Int
    /// The caller's seed; image `i` of the request uses `seed &+ i` (see `seeds(random:)`).
    public var seed: Int64?
    public var responseFormat: ResponseFormat
    public var promptOptimizer: Bool
    public var aigcWatermark: Bool
    public var subjectReference: SubjectReference?
    public var style: LiveStyle?
    public var output: OutputEncoding
    /// Images under an identity score are made again (`identity_threshold`); nil: scored only.
    public var identityGuard: IdentityGuard?

    public static let promptLengthRange = 1...1500
    public static let countRange = 1...9

    public init(
        model: ImageModel = .image01,
        prompt: String,
        aspectRatio: AspectRatio? = .square,
        size: PixelSize? = nil,
        count: Int = 1,
        seed: Int64? = nil,
        responseFormat: ResponseFormat = .url,
        promptOptimizer: Bool = false,
        aigcWatermark: Bool = false,
        subjectReference: SubjectReference? = nil,
        style: LiveStyle? = nil,
        output: OutputEncoding = .engineJPEG,
        identityGuard: IdentityGuard? = nil
    ) {
        self.model = model
        self.prompt = prompt
        self.aspectRatio = aspectRatio
        self.size = size ?? (aspectRatio ?? .square).pixelSize
        self.count = count
        self.seed = seed
        self.responseFormat = responseFormat
        self.promptOptimizer = promptOptimizer
        self.aigcWatermark = aigcWatermark
        self.subjectReference = subjectReference
        self.style = style
        self.output = output
        self.identityGuard = identityGuard
    }

    /// The per-image seeds: with a caller seed `s`, image `i` uses `s &+ i` (so image `i` can be
    /// reproduced alone with `n = 1` and seed `s + i`); without one, every image gets a fresh
    /// random seed.
    public func imageSeeds<G: RandomNumberGenerator>(using generator: inout G) -> [UInt64] {
        (0..<count).map { index in
            if let seed { UInt64(bitPattern: seed) &+ UInt64(index) } else { generator.next() }
        }
    }

    /// The reference photo's bytes, when they came inline rather than as a URL to fetch.
    public var inlineReference: Data? {
        if case .inline(let bytes) = subjectReference?.source { bytes } else { nil }
    }

    public func imageSeeds() -> [UInt64] {
        var generator = SystemRandomNumberGenerator()
        return imageSeeds(using: &generator)
    }
}

import Foundation

/// The file formats finished images are delivered in (`LikenessImaging.ImageFormat` is what a
/// decoder detects, a wider set).
public enum OutputFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case jpeg
    case png
    case webp

    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }

    /// The extension of stored files and image URLs.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .webp: "webp"
        }
    }

    public init?(mimeType: String) {
        guard let format = Self.allCases.first(where: { $0.mimeType == mimeType }) else { return nil }
        self = format
    }

    public init?(fileExtension: String) {
        guard let format = Self.allCases.first(where: { $0.fileExtension == fileExtension }) else { return nil }
        self = format
    }
}

/// How finished images are encoded: what OpenAI's `output_format` and `output_compression` ask.
/// Engines make JPEG; anything else is one re-encode after the engine (and the watermark).
public struct OutputEncoding: Sendable, Hashable {
    public var format: OutputFormat
    /// 0...100, for JPEG and WebP: the encoder's quality (OpenAI's `output_compression`, where
    /// 100 is the least compressed). Nil keeps the engine's JPEG as it is, or WebP's default.
    /// PNG is lossless and has no quality.
    public var quality: Int?

    public static let qualityRange = 0...100
    /// WebP's quality when the caller gives none: visually lossless at a third of PNG's size.
    public static let defaultWebPQuality = 90

    public init(format: OutputFormat = .jpeg, quality: Int? = nil) {
        self.format = format
        self.quality = format == .png ? nil : quality
    }

    /// The engine's own JPEG, untouched.
    public static let engineJPEG = OutputEncoding()

    /// Whether images must be re-encoded to honour this.
    public var changesEngineOutput: Bool { self != .engineJPEG }
}

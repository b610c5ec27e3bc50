import CVips
import Foundation

public enum ImageFormat: String, Sendable, Hashable {
    case jpeg, png, webp, gif, tiff, heif, svg, pdf, other

    /// Maps a libvips loader name (`VipsForeignLoadJpegBuffer`) to a format.
    init(loaderName: String) {
        let name = loaderName.lowercased()
        let known: [(String, ImageFormat)] = [
            ("jpeg", .jpeg), ("png", .png), ("webp", .webp), ("gif", .gif), ("tiff", .tiff),
            ("heif", .heif), ("svg", .svg), ("pdf", .pdf),
        ]
        self = known.first { name.contains($0.0) }?.1 ?? .other
    }
}

/// What an image's header says, read without decoding a single pixel.
public struct ImageHeader: Sendable, Hashable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }
}

/// Bounds an untrusted image must respect before it is decoded.
public struct DecodeLimits: Sendable, Hashable {
    public var minimumSide: Int
    public var maximumSide: Int
    /// Width × height; what a decompression bomb inflates.
    public var maximumPixels: Int

    public init(minimumSide: Int = 64, maximumSide: Int = 8192, maximumPixels: Int = 40_000_000) {
        self.minimumSide = minimumSide
        self.maximumSide = maximumSide
        self.maximumPixels = maximumPixels
    }

    public func check(_ header: ImageHeader) throws(ImagingError) {
        let sides = [header.width, header.height]
        guard sides.allSatisfy({ $0 >= minimumSide }) else {
            throw ImagingError(
                kind: .outOfLimits,
                message: "image is \(header.width)x\(header.height), smaller than \(minimumSide) pixels a side")
        }
        guard sides.allSatisfy({ $0 <= maximumSide }), header.width * header.height <= maximumPixels else {
            throw ImagingError(
                kind: .outOfLimits,
                message:
                    "image is \(header.width)x\(header.height), larger than \(maximumSide) pixels a side or \(maximumPixels) pixels"
            )
        }
    }
}

extension ImageHeader {
    /// Reads format and size from the bytes' header. Nothing is decoded, so this is safe to call
    /// on anything, including a decompression bomb.
    public init(probing bytes: Data) throws(ImagingError) {
        try Imaging.ensureStarted()
        let result: Result<ImageHeader, ImagingError> = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else {
                return .failure(ImagingError(kind: .unreadable, message: "empty image"))
            }
            guard let loader = lk_vips_loader_for(base, raw.count) else {
                return .failure(ImagingError.fromVips(.unreadable, "not a recognised image format"))
            }
            let format = ImageFormat(loaderName: String(cString: loader))
            guard let image = lk_vips_open(base, raw.count) else {
                return .failure(ImagingError.fromVips(.unreadable, "unreadable image header"))
            }
            defer { lk_vips_unref(image) }
            return .success(
                ImageHeader(format: format, width: Int(lk_vips_width(image)), height: Int(lk_vips_height(image))))
        }
        self = try result.get()
    }
}

extension ImageHeader {
    /// The XMP packet in the file's metadata (where the AIGC marker lives), read from the
    /// header without decoding; nil when there is none.
    public static func xmp(in bytes: Data) throws(ImagingError) -> String? {
        try Imaging.ensureStarted()
        let result: Result<String?, ImagingError> = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0, let image = lk_vips_open(base, raw.count) else {
                return .failure(ImagingError.fromVips(.unreadable, "unreadable image header"))
            }
            defer { lk_vips_unref(image) }
            var length = 0
            guard let packet = lk_vips_xmp(image, &length) else { return .success(nil) }
            return .success(String(decoding: UnsafeRawBufferPointer(start: packet, count: length), as: UTF8.self))
        }
        return try result.get()
    }
}

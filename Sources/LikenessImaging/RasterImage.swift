import CVips
import Foundation
import Synchronization

/// Held around every text render: Pango, fontconfig and their caches are not safe to use from two
/// threads at once. Text is a small part of a render, so serialising it costs little. (Pango's
/// own worker thread is outside any lock of ours; `RasterImage.text` explains how it is kept
/// out of harm's way.)
private let textRendering = Mutex(())

/// A decoded image in memory, owned by this object.
///
/// Deliberately not `Sendable`: drawing mutates it in place. Build one, draw, encode, and let it
/// go, all within one task.
public final class RasterImage {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        lk_vips_unref(UnsafeMutablePointer(pointer))
    }

    var vips: UnsafeMutablePointer<VipsImage> { UnsafeMutablePointer(pointer) }

    public var width: Int { Int(lk_vips_width(vips)) }
    public var height: Int { Int(lk_vips_height(vips)) }
    public var bands: Int { Int(lk_vips_bands(vips)) }

    static func wrap(_ image: UnsafeMutablePointer<VipsImage>?, _ context: String) throws(ImagingError)
        -> RasterImage
    {
        guard let image else { throw ImagingError.fromVips(.operationFailed, context) }
        return RasterImage(taking: OpaquePointer(image))
    }

    /// Decodes untrusted bytes into 8-bit sRGB, upright per EXIF orientation. The header is
    /// checked against `limits` before any pixel is decoded, and truncated data is an error.
    public convenience init(decoding bytes: Data, limits: DecodeLimits = DecodeLimits()) throws(ImagingError) {
        let header = try ImageHeader(probing: bytes)
        try limits.check(header)
        let result: Result<OpaquePointer, ImagingError> = bytes.withUnsafeBytes { raw in
            guard let lazy = lk_vips_open(raw.baseAddress, raw.count) else {
                return .failure(ImagingError.fromVips(.unreadable, "unreadable image"))
            }
            defer { lk_vips_unref(lazy) }
            // Decoding finishes here, while `bytes` is still alive: libvips does not copy them.
            guard let decoded = lk_vips_decode_rgb(lazy) else {
                return .failure(ImagingError.fromVips(.unreadable, "corrupt or truncated \(header.format.rawValue)"))
            }
            return .success(OpaquePointer(decoded))
        }
        self.init(taking: try result.get())
    }

    /// Decodes untrusted bytes straight to `width` × `height`, scaled and centre-cropped to fill.
    /// The header is checked against `limits` first; the source is streamed, so memory stays near
    /// the output's size, and truncated data is an error.
    public static func cover(
        decoding bytes: Data, width: Int, height: Int, limits: DecodeLimits = DecodeLimits()
    ) throws(ImagingError) -> RasterImage {
        let header = try ImageHeader(probing: bytes)
        try limits.check(header)
        let image = bytes.withUnsafeBytes { raw in
            lk_vips_thumbnail_cover(raw.baseAddress, raw.count, Int32(width), Int32(height))
        }
        guard let image else {
            throw ImagingError.fromVips(.unreadable, "corrupt or truncated \(header.format.rawValue)")
        }
        return RasterImage(taking: OpaquePointer(image))
    }

    /// Decodes untrusted bytes to fit within `side` × `side`, the whole picture kept (shrunk,
    /// never enlarged), upright. The header is checked against `limits` first, and the source is
    /// streamed, so memory stays near the output's size.
    public static func fitting(decoding bytes: Data, within side: Int, limits: DecodeLimits = DecodeLimits())
        throws(ImagingError) -> RasterImage
    {
        let header = try ImageHeader(probing: bytes)
        try limits.check(header)
        let image = bytes.withUnsafeBytes { raw in lk_vips_thumbnail_within(raw.baseAddress, raw.count, Int32(side)) }
        guard let image else {
            throw ImagingError.fromVips(.unreadable, "corrupt or truncated \(header.format.rawValue)")
        }
        return RasterImage(taking: OpaquePointer(image))
    }

    /// Lends the decoded pixels, interleaved 8-bit RGB, with the bytes from one row to the next.
    /// Only for images this module decoded (they are normalised into memory).
    public func withRGBPixels<Result>(_ body: (UnsafePointer<UInt8>, _ rowBytes: Int) throws -> Result) rethrows
        -> Result
    {
        precondition(bands == 3, "normalised images are RGB")
        var stride = 0
        let pixels = lk_vips_memory_pixels(vips, &stride)!
        return try withExtendedLifetime(self) { try body(pixels, stride) }
    }

    /// An image from interleaved 8-bit RGB bytes (`width * height * 3` of them).
    public convenience init(rgbPixels: [UInt8], width: Int, height: Int) throws(ImagingError) {
        precondition(rgbPixels.count == width * height * 3, "one RGB triple per pixel")
        try Imaging.ensureStarted()
        guard let image = rgbPixels.withUnsafeBytes({ lk_vips_from_rgb($0.baseAddress, Int32(width), Int32(height)) })
        else { throw ImagingError.fromVips(.operationFailed, "cannot wrap pixels") }
        self.init(taking: OpaquePointer(image))
    }

    /// A horizontal or vertical gradient canvas.
    public static func gradient(width: Int, height: Int, from start: RGB, to end: RGB, vertical: Bool)
        throws(ImagingError)
        -> RasterImage
    {
        try Imaging.ensureStarted()
        let image = lk_vips_gradient(Int32(width), Int32(height), vertical ? 1 : 0, start.components, end.components)
        return try wrap(image, "gradient failed")
    }

    /// A translucent block; `alpha` 0 is invisible, 255 opaque.
    public static func panel(width: Int, height: Int, colour: RGB, alpha: UInt8) throws(ImagingError) -> RasterImage {
        try Imaging.ensureStarted()
        return try wrap(
            lk_vips_solid_rgba(Int32(width), Int32(height), colour.components + [Double(alpha)]), "panel failed")
    }

    /// Plain text (not markup) rendered in `colour`, wrapped at `width`. With `fitHeight` the
    /// type is the largest of `textResolutions` whose block fits (the smallest if none does);
    /// otherwise it is set at the largest of them not above `dpi`. The font's size, when it has
    /// none, is Pango's default.
    ///
    /// Why a fixed ladder: each new type size is a new fontconfig pattern, which Pango 1.50 sorts
    /// on a worker thread of its own; that thread's last release of the pattern races the next
    /// render's use of the same table (a SIGFPE in `g_hash_table_lookup` under `libpangoft2`,
    /// reproduced by a loop of single-threaded renders with libvips's own fitting, which tries a
    /// new size at every step). With a dozen sizes the patterns stay cached and are not released.
    public static func text(
        _ plain: String, font: String, colour: RGB, width: Int, fitHeight: Int? = nil, dpi: Int = 72
    ) throws(ImagingError) -> RasterImage {
        try Imaging.ensureStarted()
        let markup = "<span foreground=\"\(colour.hex)\">\(escapeMarkup(plain))</span>"
        guard let fitHeight else {
            let resolution = textResolutions.first { $0 <= dpi } ?? textResolutions[textResolutions.count - 1]
            return try render(markup, font: font, width: width, dpi: resolution)
        }
        // Start near the size that would fill the box (a glyph about half an em wide, lines 1.3 em
        // apart, Pango's 12 pt default), then step down until the block fits.
        let glyphs = max(1, plain.count)
        let emPixels = (Double(width * fitHeight) / (Double(glyphs) * 0.5 * 1.3)).squareRoot()
        let estimate = Int(emPixels * 6)
        var index = textResolutions.firstIndex { $0 <= estimate } ?? textResolutions.count - 1
        while true {
            let image = try render(markup, font: font, width: width, dpi: textResolutions[index])
            if image.height <= fitHeight || index == textResolutions.count - 1 { return image }
            index += 1
        }
    }

    /// The resolutions text is set at, largest first (see `text`).
    static let textResolutions = [576, 480, 400, 336, 288, 240, 200, 168, 144, 120, 100, 84, 72, 60, 50, 42, 36]

    private static func render(_ markup: String, font: String, width: Int, dpi: Int) throws(ImagingError)
        -> RasterImage
    {
        // The shim returns a copy and frees the text operation, so all of Pango's work, its
        // layout's release included, happens under the lock.
        let rendered = textRendering.withLock { _ in
            lk_vips_text(markup, font, Int32(width), Int32(dpi))
        }
        return try wrap(rendered, "text rendering failed")
    }

    static func escapeMarkup(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // Control characters and noncharacters are invalid in Pango markup; a prompt may carry them.
            case _
            where (character.value < 0x20 && character != "\n") || (0x7F...0x9F).contains(character.value)
                || character.properties.isNoncharacterCodePoint:
                escaped += " "
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    public func fillRectangle(x: Int, y: Int, width: Int, height: Int, colour: RGB) throws(ImagingError) {
        guard lk_vips_fill_rect(vips, colour.components, Int32(x), Int32(y), Int32(width), Int32(height)) == 0 else {
            throw ImagingError.fromVips(.operationFailed, "drawing failed")
        }
    }

    public func fillCircle(centreX: Int, centreY: Int, radius: Int, colour: RGB) throws(ImagingError) {
        guard lk_vips_fill_circle(vips, colour.components, Int32(centreX), Int32(centreY), Int32(radius)) == 0 else {
            throw ImagingError.fromVips(.operationFailed, "drawing failed")
        }
    }

    /// `overlay` composited over this image at (x, y); alpha is flattened away.
    public func overlaying(_ overlay: RasterImage, x: Int, y: Int) throws(ImagingError) -> RasterImage {
        try RasterImage.wrap(lk_vips_overlay(vips, overlay.vips, Int32(x), Int32(y)), "composite failed")
    }

    /// Mirrored left to right.
    public func mirrored() throws(ImagingError) -> RasterImage {
        try RasterImage.wrap(lk_vips_mirror(vips), "mirror failed")
    }

    /// In shades of grey (still RGB).
    public func greyscale() throws(ImagingError) -> RasterImage {
        try RasterImage.wrap(lk_vips_greyscale(vips), "greyscale failed")
    }

    /// Turned by `degrees`, counter-clockwise, on a white background (the image grows to hold it).
    public func rotated(degrees: Double) throws(ImagingError) -> RasterImage {
        try RasterImage.wrap(lk_vips_rotate(vips, degrees), "rotation failed")
    }

    /// The colour at (x, y), for checks and tests.
    public func pixel(x: Int, y: Int) throws(ImagingError) -> RGB {
        var values = [Double](repeating: 0, count: 4)
        guard lk_vips_pixel(vips, Int32(x), Int32(y), &values, 4) >= 3 else {
            throw ImagingError.fromVips(.operationFailed, "cannot read pixel \(x),\(y)")
        }
        return RGB(UInt8(clamping: Int(values[0])), UInt8(clamping: Int(values[1])), UInt8(clamping: Int(values[2])))
    }

    public enum EncodedFormat: Sendable {
        case jpeg(quality: Int)
        case png
        case webp(quality: Int)
    }

    /// Encodes, writing `xmp` (an XMP packet) into the file's metadata when given: JPEG's APP1,
    /// WebP's XMP chunk, PNG's `XML:com.adobe.xmp` text chunk (zlib-compressed by libvips 8.14,
    /// so a byte search does not find it there; `ImageHeader.xmp(in:)` does).
    public func encoded(as format: EncodedFormat, xmp: String? = nil) throws(ImagingError) -> Data {
        var bytes: UnsafeMutableRawPointer? = nil
        var length = 0
        let (code, quality): (Int32, Int32) =
            switch format {
            case .jpeg(let quality): (0, Int32(quality))
            case .png: (1, 0)
            case .webp(let quality): (2, Int32(quality))
            }
        let xmpBytes = Array((xmp ?? "").utf8)
        let failed = xmpBytes.withUnsafeBufferPointer { packet in
            packet.withMemoryRebound(to: CChar.self) { chars in
                lk_vips_encode(vips, code, quality, xmp == nil ? nil : chars.baseAddress, chars.count, &bytes, &length)
            }
        }
        guard failed == 0, let bytes else { throw ImagingError.fromVips(.operationFailed, "encoding failed") }
        defer { lk_vips_free(bytes) }
        return Data(bytes: bytes, count: length)
    }
}

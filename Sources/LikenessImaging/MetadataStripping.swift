import CVips
import Foundation

extension ImageHeader {
    /// The picture in `bytes` with none of its file's metadata: no EXIF (camera, GPS, names,
    /// dates), XMP, IPTC, ICC profile or text. A photo of a person is personal data, and its
    /// tags say who took it, where and when. Decoded and encoded again, in the same format:
    /// upright (the EXIF orientation applied, since it goes), sRGB, a JPEG at `jpegQuality`, a
    /// PNG losslessly with its alpha. The header is checked against `limits` first; the rest is
    /// streamed, and truncated data is an error.
    public static func strippingMetadata(from bytes: Data, limits: DecodeLimits, jpegQuality: Int = 95)
        throws(ImagingError) -> Data
    {
        let header = try ImageHeader(probing: bytes)
        try limits.check(header)
        let format: Int32
        switch header.format {
        case .jpeg: format = 0
        case .png: format = 1
        default:
            throw ImagingError(kind: .unreadable, message: "only JPEG and PNG are re-encoded, not \(header.format)")
        }
        var output: UnsafeMutableRawPointer? = nil
        var length = 0
        let failed = bytes.withUnsafeBytes { raw in
            lk_vips_reencode_clean(raw.baseAddress, raw.count, format, Int32(jpegQuality), &output, &length)
        }
        guard failed == 0, let output else {
            throw ImagingError.fromVips(.unreadable, "corrupt or truncated \(header.format.rawValue)")
        }
        defer { lk_vips_free(output) }
        return Data(bytes: output, count: length)
    }
}

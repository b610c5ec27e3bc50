import CVips
import Foundation

/// A failure inside libvips, or an input refused before libvips was asked to decode it.
public struct ImagingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The bytes are not an image libvips can read, or are corrupt.
        case unreadable
        /// The header announces a size outside the limits (a decompression bomb, say).
        case outOfLimits
        /// An operation failed on a valid image (out of memory, a libvips bug).
        case operationFailed
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }

    static func fromVips(_ kind: Kind, _ context: String) -> ImagingError {
        let detail = String(cString: lk_vips_error()).trimmingCharacters(in: .whitespacesAndNewlines)
        lk_vips_error_clear()
        return ImagingError(kind: kind, message: detail.isEmpty ? context : "\(context): \(detail)")
    }
}

/// Process-wide libvips start-up. Every entry point of this module calls `ensureStarted()`.
public enum Imaging {
    private static let startResult: Int32 = lk_vips_start("likeness")

    public static func ensureStarted() throws(ImagingError) {
        guard startResult == 0 else {
            throw ImagingError.fromVips(.operationFailed, "libvips failed to start")
        }
    }

    /// The libvips version this process runs with, for logs and `/health`.
    public static var libraryVersion: String {
        "\(vips_version(0)).\(vips_version(1)).\(vips_version(2))"
    }
}

/// An sRGB colour, 8 bits a channel.
public struct RGB: Sendable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    var components: [Double] { [Double(red), Double(green), Double(blue)] }

    /// `#rrggbb`, as Pango markup wants it.
    public var hex: String {
        "#" + [red, green, blue].map { String(format: "%02x", $0) }.joined()
    }
}

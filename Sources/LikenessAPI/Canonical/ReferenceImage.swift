import Foundation

/// Where a subject-reference photo comes from. Both forms are still untrusted: the server
/// fetches URLs through its guarded fetcher and judges every byte string by its content.
public enum ReferenceSource: Sendable, Hashable {
    /// Bytes carried inline as a `data:` URL, already base64-decoded.
    case inline(Data)
    /// An http(s) URL the server must fetch.
    case remote(URL)

    /// The largest reference image accepted, in bytes (MiniMax's documented 10 MB).
    public static let maximumByteCount = 10 * 1024 * 1024

    /// Parses `image_file`: a `data:[<type>][;base64],<data>` URL or an http(s) URL.
    public static func parse(_ text: String, field: String) throws(APIError) -> ReferenceSource {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count >= 5, trimmed.prefix(5).lowercased() == "data:" {
            return .inline(try decodeDataURL(trimmed, field: field))
        }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw APIError.invalid(field, "must be a data URL or an http(s) URL")
        }
        return .remote(url)
    }

    private static func decodeDataURL(_ text: String, field: String) throws(APIError) -> Data {
        guard let comma = text.firstIndex(of: ",") else {
            throw APIError.invalid(field, "is a data URL without a comma before its data")
        }
        let header = text[text.index(text.startIndex, offsetBy: 5)..<comma].lowercased()
        guard header.split(separator: ";").contains("base64") else {
            throw APIError.invalid(field, "must be a base64 data URL (data:image/jpeg;base64,...)")
        }
        let payload = text[text.index(after: comma)...]
        // Refuse before decoding: 4 base64 characters carry 3 bytes.
        guard payload.utf8.count <= (maximumByteCount / 3 + 2) * 4 + 4096 else {
            throw APIError.invalid(field, "is larger than \(maximumByteCount / (1024 * 1024)) MB")
        }
        // Line breaks inside base64 are common (MIME encoders wrap at 76); anything else is an error.
        let compact = String(payload.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) })
        guard let bytes = Data(base64Encoded: compact),
            !bytes.isEmpty
        else {
            throw APIError.invalid(field, "is not valid base64")
        }
        guard bytes.count <= maximumByteCount else {
            throw APIError.invalid(field, "is larger than \(maximumByteCount / (1024 * 1024)) MB")
        }
        return bytes
    }
}

/// A subject reference: MiniMax supports one, of type `character`.
public struct SubjectReference: Sendable, Hashable {
    public var source: ReferenceSource

    public init(source: ReferenceSource) {
        self.source = source
    }
}

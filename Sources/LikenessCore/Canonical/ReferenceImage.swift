import Foundation

/// Where a subject-reference photo comes from. Both forms are still untrusted: the server
/// fetches URLs through its guarded fetcher and judges every byte string by its content.
public enum ReferenceSource: Sendable, Hashable {
    /// Bytes carried inline as a `data:` URL, already base64-decoded.
    case inline(Data)
    /// An http(s) URL the server must fetch.
    case remote(URL)
    /// A character the caller stored before (`POST /v1/characters`): its photos, already
    /// checked, and their faces, already found.
    case character(CharacterID)
    /// A file the caller uploaded before (fal's storage flow, OpenAI's `files.create`),
    /// checked as it was uploaded.
    case upload(UploadID)

    /// The largest reference image accepted, in bytes (MiniMax's documented 10 MB).
    public static let maximumByteCount = 10 * 1024 * 1024

    /// Parses `image_file`: a `data:[<type>][;base64],<data>` URL or an http(s) URL.
    ///
    /// Works on UTF-8 bytes throughout: a data URL can be 14 MB, and walking it by `Character`
    /// (grapheme breaking) would cost seconds.
    public static func parse(_ text: String, field: String) throws(APIError) -> ReferenceSource {
        let bytes = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else {
            throw APIError.invalid(field, "must be a data URL or an http(s) URL")
        }
        let trimmed = Substring(bytes[first...last])
        if trimmed.utf8.prefix(5).map({ $0 | 0x20 }) == Array("data:".utf8) {
            return .inline(try decodeDataURL(trimmed, field: field))
        }
        guard let url = URL(string: String(trimmed)), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw APIError.invalid(field, "must be a data URL or an http(s) URL")
        }
        return .remote(url)
    }

    private static func decodeDataURL(_ text: Substring, field: String) throws(APIError) -> Data {
        let bytes = text.utf8
        guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")) else {
            throw APIError.invalid(field, "is a data URL without a comma before its data")
        }
        let header = String(Substring(bytes[bytes.index(bytes.startIndex, offsetBy: 5)..<comma])).lowercased()
        guard header.split(separator: ";").contains("base64") else {
            throw APIError.invalid(field, "must be a base64 data URL (data:image/jpeg;base64,...)")
        }
        let payload = bytes[bytes.index(after: comma)...]
        // Refuse before decoding: 4 base64 characters carry 3 bytes.
        guard payload.count <= (maximumByteCount / 3 + 2) * 4 + 4096 else {
            throw APIError.invalid(field, "is larger than \(maximumByteCount / (1024 * 1024)) MB")
        }
        // Line breaks inside base64 are common (MIME encoders wrap at 76); anything else is an error.
        let decoded = Base64.decode(Substring(payload).utf8)
        guard let decoded, !decoded.isEmpty else {
            throw APIError.invalid(field, "is not valid base64")
        }
        guard decoded.count <= maximumByteCount else {
            throw APIError.invalid(field, "is larger than \(maximumByteCount / (1024 * 1024)) MB")
        }
        return decoded
    }
}

/// A stored character's id: `chr_` then 32 lowercase hex digits. Any other text is not one, so a
/// malformed id is refused as the caller's mistake before anything is looked up.
public struct CharacterID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public static let prefix = "chr_"

    public init?(_ text: some StringProtocol) {
        guard isPrefixedIdentifier(text, prefix: Self.prefix) else { return nil }
        rawValue = String(text)
    }

    public var description: String { rawValue }
}

/// An uploaded file's id: `file-` then 32 lowercase hex digits, as OpenAI's file ids look.
public struct UploadID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public static let prefix = "file-"

    public init?(_ text: some StringProtocol) {
        guard isPrefixedIdentifier(text, prefix: Self.prefix) else { return nil }
        rawValue = String(text)
    }

    public var description: String { rawValue }
}

/// `prefix` then 32 lowercase hex digits.
private func isPrefixedIdentifier(_ text: some StringProtocol, prefix: String) -> Bool {
    let digits = text.utf8.dropFirst(prefix.utf8.count)
    return text.hasPrefix(prefix) && digits.count == 32
        && digits.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}

/// A subject reference: MiniMax supports one, of type `character`.
public struct SubjectReference: Sendable, Hashable {
    public var source: ReferenceSource
    /// The field as the caller spelled it (`image_url` for fal, `image` on the edits form), so
    /// that what is found wrong when it is loaded, later and elsewhere, names it their way.
    public var field: String

    public static let miniMaxField = "subject_reference[0].image_file"

    public init(source: ReferenceSource, field: String = SubjectReference.miniMaxField) {
        self.source = source
        self.field = field
    }
}

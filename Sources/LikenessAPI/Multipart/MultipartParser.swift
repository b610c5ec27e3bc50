import Foundation
import LikenessCore

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Hashable {
    public var name: String
    public var filename: String?
    public var contentType: String?
    public var body: Data

    public var isFile: Bool { filename != nil }
}

public struct MultipartLimits: Sendable, Hashable {
    /// A part with a filename.
    public var maximumFileBytes: Int
    /// A part without one (a form field).
    public var maximumFieldBytes: Int
    public var maximumParts: Int
    public var maximumHeaderBytes: Int

    public init(
        maximumFileBytes: Int = ReferenceSource.maximumByteCount, maximumFieldBytes: Int = 64 * 1024,
        maximumParts: Int = 64, maximumHeaderBytes: Int = 16 * 1024
    ) {
        self.maximumFileBytes = maximumFileBytes
        self.maximumFieldBytes = maximumFieldBytes
        self.maximumParts = maximumParts
        self.maximumHeaderBytes = maximumHeaderBytes
    }
}

/// An incremental `multipart/form-data` parser: feed it the body chunk by chunk as it arrives.
/// It holds at most one part plus a delimiter's worth of lookahead, and refuses a part the moment
/// it passes its limit, so an oversized upload is stopped without being read to the end.
public struct MultipartParser: Sendable {
    private enum State: Sendable {
        case preamble
        case afterDelimiter
        case headers
        case body(MultipartPart)
        case done
    }

    private let delimiter: [UInt8]  // "\r\n--" + boundary
    private let limits: MultipartLimits
    private var pending: [UInt8] = []
    private var state = State.preamble
    private var partCount = 0

    public init(boundary: String, limits: MultipartLimits = MultipartLimits()) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.limits = limits
    }

    /// The boundary of a `multipart/form-data` Content-Type, quoted or not.
    public static func boundary(contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else {
                continue
            }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    static func malformed(_ reason: String) -> APIError {
        APIError(.invalidParameters, "invalid multipart body: \(reason)")
    }

    /// Consumes a chunk and returns the parts it completed.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws(APIError) -> [MultipartPart] {
        pending.append(contentsOf: chunk)
        var completed: [MultipartPart] = []
        while try step(&completed) {}
        return completed
    }

    /// Call after the last chunk: the body must have ended with the closing delimiter.
    public func finish() throws(APIError) {
        guard case .done = state else { throw Self.malformed("the body ended before its closing boundary") }
    }

    /// Advances as far as the buffered bytes allow; false when more input is needed.
    private mutating func step(_ completed: inout [MultipartPart]) throws(APIError) -> Bool {
        switch state {
        case .preamble:
            // The first delimiter may open the body without the leading CRLF.
            let opening = Array(delimiter.dropFirst(2))
            guard let index = Self.find(opening, in: pending) else {
                guard pending.count < limits.maximumHeaderBytes else { throw Self.malformed("no opening boundary") }
                return false
            }
            pending.removeSubrange(0..<(index + opening.count))
            state = .afterDelimiter
            return true

        case .afterDelimiter:
            guard pending.count >= 2 else { return false }
            if pending[0] == UInt8(ascii: "-") && pending[1] == UInt8(ascii: "-") {
                state = .done
                pending.removeAll()
                return false
            }
            guard pending[0] == 0x0D && pending[1] == 0x0A else { throw Self.malformed("bad bytes after a boundary") }
            pending.removeSubrange(0..<2)
            state = .headers
            return true

        case .headers:
            guard let end = Self.find(Array("\r\n\r\n".utf8), in: pending) else {
                guard pending.count < limits.maximumHeaderBytes else { throw Self.malformed("part headers too long") }
                return false
            }
            let headerText = String(decoding: pending[0..<end], as: UTF8.self)
            pending.removeSubrange(0..<(end + 4))
            partCount += 1
            guard partCount <= limits.maximumParts else {
                throw Self.malformed("more than \(limits.maximumParts) parts")
            }
            state = .body(try Self.part(fromHeaders: headerText))
            return true

        case .body(var part):
            let limit = part.isFile ? limits.maximumFileBytes : limits.maximumFieldBytes
            if let index = Self.find(delimiter, in: pending) {
                part.body.append(contentsOf: pending[0..<index])
                try Self.check(part, limit: limit)
                pending.removeSubrange(0..<(index + delimiter.count))
                completed.append(part)
                state = .afterDelimiter
                return true
            }
            // Keep a delimiter's worth of bytes: the delimiter may straddle two chunks.
            let safe = pending.count - (delimiter.count - 1)
            if safe > 0 {
                part.body.append(contentsOf: pending[0..<safe])
                pending.removeSubrange(0..<safe)
                try Self.check(part, limit: limit)
            }
            state = .body(part)
            return false

        case .done:
            pending.removeAll()
            return false
        }
    }

    private static func check(_ part: MultipartPart, limit: Int) throws(APIError) {
        guard part.body.count <= limit else {
            throw APIError.invalid(part.name, "is larger than \(limit) bytes")
        }
    }

    private static func part(fromHeaders text: String) throws(APIError) -> MultipartPart {
        var name: String? = nil
        var filename: String? = nil
        var contentType: String? = nil
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let header = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if header == "content-type" { contentType = value }
            guard header == "content-disposition" else { continue }
            for parameter in splitParameters(value).dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                var parameterValue = pair[1]
                if parameterValue.hasPrefix("\""), parameterValue.hasSuffix("\""), parameterValue.count >= 2 {
                    parameterValue = String(parameterValue.dropFirst().dropLast())
                        .replacingOccurrences(of: "\\\"", with: "\"")
                }
                switch pair[0].lowercased() {
                case "name": name = parameterValue
                case "filename": filename = parameterValue
                default: break
                }
            }
        }
        guard let name else { throw malformed("a part has no Content-Disposition name") }
        return MultipartPart(name: name, filename: filename, contentType: contentType, body: Data())
    }

    /// Splits `form-data; name="a;b"; filename="x"` on semicolons outside quotes.
    static func splitParameters(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// The first index of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pattern in
                var index = 0
                let last = hay.count - pattern.count
                while index <= last {
                    guard let hit = hay[index...last].firstIndex(of: first) else { return nil }
                    if memcmp(hay.baseAddress! + hit, pattern.baseAddress!, pattern.count) == 0 { return hit }
                    index = hit + 1
                }
                return nil
            }
        }
    }
}

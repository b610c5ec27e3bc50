import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

func multipartBody(boundary: String, parts: [(name: String, filename: String?, body: [UInt8])]) -> [UInt8] {
    var bytes: [UInt8] = Array("preamble to ignore\r\n".utf8)
    for part in parts {
        var header = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
        if let filename = part.filename { header += "; filename=\"\(filename)\"\r\nContent-Type: image/jpeg" }
        bytes += Array((header + "\r\n\r\n").utf8) + part.body + Array("\r\n".utf8)
    }
    return bytes + Array("--\(boundary)--\r\n".utf8)
}

@Suite("Multipart parser")
struct MultipartParserTests {
    let boundary = "----likeness-boundary-7MA4YWxkTrZu0gW"

    @Test("parses fields and files whatever the chunk size", arguments: [1, 2, 3, 7, 64, 4096, 1 << 20])
    func chunking(chunkSize: Int) throws {
        // The file holds bytes that look like a boundary's start, to tempt a naive parser.
        let file: [UInt8] = Array("\r\n--not-the-boundary\r\n".utf8) + (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let body = multipartBody(
            boundary: boundary, parts: [("prompt", nil, Array("a;b \"quoted\"".utf8)), ("image[]", "face.jpg", file)])
        var parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var index = 0
        while index < body.count {
            parts += try parser.feed(body[index..<min(body.count, index + chunkSize)])
            index += chunkSize
        }
        try parser.finish()
        #expect(parts.count == 2)
        #expect(parts[0].name == "prompt" && !parts[0].isFile)
        #expect(String(decoding: parts[0].body, as: UTF8.self) == "a;b \"quoted\"")
        #expect(parts[1].name == "image[]" && parts[1].filename == "face.jpg" && parts[1].contentType == "image/jpeg")
        #expect(Array(parts[1].body) == file)
    }

    @Test("the boundary comes from the Content-Type, quoted or not")
    func boundaryParameter() {
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(MultipartParser.boundary(contentType: "application/json") == nil)
        #expect(MultipartParser.boundary(contentType: "multipart/form-data") == nil)
    }

    @Test("a file over its limit is refused as soon as it passes it")
    func fileLimit() {
        var parser = MultipartParser(boundary: boundary, limits: MultipartLimits(maximumFileBytes: 1000))
        let head = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n\r\n".utf8)
        #expect(throws: APIError.self) {
            _ = try parser.feed(head)
            // No closing boundary is ever sent: the limit alone must stop it.
            for _ in 0..<100 { _ = try parser.feed([UInt8](repeating: 0x41, count: 100)) }
        }
    }

    @Test("a field over its limit, too many parts, and truncated bodies are refused")
    func otherLimits() {
        let longField = multipartBody(
            boundary: boundary, parts: [("prompt", nil, [UInt8](repeating: 0x61, count: 70_000))])
        var parser = MultipartParser(boundary: boundary)
        #expect(throws: APIError.self) { _ = try parser.feed(longField) }

        let many = multipartBody(boundary: boundary, parts: (0..<5).map { ("f\($0)", nil, [0x61]) })
        var limited = MultipartParser(boundary: boundary, limits: MultipartLimits(maximumParts: 4))
        #expect(throws: APIError.self) { _ = try limited.feed(many) }

        let whole = multipartBody(boundary: boundary, parts: [("prompt", nil, Array("x".utf8))])
        var truncated = MultipartParser(boundary: boundary)
        #expect(throws: Never.self) { _ = try truncated.feed(whole.prefix(whole.count - 10)) }
        #expect(throws: APIError.self) { try truncated.finish() }
    }

    @Test("garbage is refused")
    func garbage() {
        var parser = MultipartParser(boundary: boundary)
        #expect(throws: APIError.self) { _ = try parser.feed([UInt8](repeating: 0x20, count: 20_000)) }
        var noName = MultipartParser(boundary: boundary)
        #expect(throws: APIError.self) {
            _ = try noName.feed(Array("--\(boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(boundary)--".utf8))
        }
    }
}

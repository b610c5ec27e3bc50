import Foundation
import LikenessEngines
import LikenessTestSupport
import Testing

@testable import LikenessAPI
@testable import LikenessCore

/// Mutated and random inputs to every parser of untrusted bytes: each must answer with an
/// `APIError` or a value, never crash. Seeded, so a failure reproduces.
@Suite("Hostile inputs to the wire parsers")
struct HostileInputTests {
    static let validBody = Data(
        #"{"model":"image-01","prompt":"a lighthouse","aspect_ratio":"16:9","n":2,"seed":5,"response_format":"base64","subject_reference":[{"type":"character","image_file":"data:image/jpeg;base64,/9j/4AAQ"}]}"#
            .utf8)

    @Test("mutated JSON bodies give a request or a 2013, in both dialects")
    func mutatedJSON() {
        var generator = SplitMix64(seed: 2013)
        for body in HostileBodies.byteMutations(of: Self.validBody, count: 2000, using: &generator) {
            do {
                _ = try MiniMaxRequest.parse(body)
            } catch {
                #expect(error.code == .invalidParameters)
            }
            do {
                _ = try OpenAIImageRequest.parse(json: body, aliases: .standard)
            } catch {
                #expect(error.code == .invalidParameters)
            }
        }
    }

    @Test("mutated fields give a request or a 2013 in every dialect, and what validates has a visible prompt")
    func mutatedFields() throws {
        var generator = SplitMix64(seed: 4711)
        let object = try JSONSerialization.jsonObject(with: Self.validBody) as! [String: Any]
        for _ in 0..<2000 {
            let body = try JSONSerialization.data(
                withJSONObject: HostileBodies.fieldMutation(of: object, using: &generator))
            for dialect in 0..<3 {
                do throws(APIError) {
                    let request =
                        switch dialect {
                        case 0: try MiniMaxRequest.parse(body)
                        case 1: try OpenAIImageRequest.parse(json: body, aliases: .standard)
                        default: try FalApp.subjectReference.parse(json: body)
                        }
                    let visible = request.prompt.unicodeScalars.contains(where: \.isVisible)
                    #expect(visible)
                    #expect(GenerationRequest.countRange.contains(request.count))
                } catch {
                    #expect(error.code == .invalidParameters && error.field != nil)
                }
            }
        }
    }

    @Test("deeply nested and oversized JSON values are refused cleanly")
    func pathologicalJSON() {
        let deep = Data((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8)
        #expect(throws: APIError.self) { try MiniMaxRequest.parse(deep) }
        let hugeNumber = Data(#"{"model":"image-01","prompt":"x","n":1e400,"seed":99999999999999999999999}"#.utf8)
        #expect(throws: APIError.self) { try MiniMaxRequest.parse(hugeNumber) }
    }

    @Test("random bytes through the multipart parser end in parts or a 2013")
    func randomMultipart() {
        var generator = SplitMix64(seed: 7)
        let boundary = "b0undary"
        let valid = Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhello\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n\u{1}\u{2}\u{3}\r\n--\(boundary)--\r\n"
                .utf8)
        for body in HostileBodies.byteMutations(of: valid, count: 2000, using: &generator) {
            var parser = MultipartParser(boundary: boundary)
            do {
                var start = 0
                while start < body.count {
                    let end = min(body.count, start + Int.random(in: 1...64, using: &generator))
                    _ = try parser.feed(body[start..<end])
                    start = end
                }
                try parser.finish()
            } catch {
                #expect(error.code == .invalidParameters)
            }
        }
    }

    @Test("random data URLs decode or give a 2013")
    func randomDataURLs() {
        var generator = SplitMix64(seed: 99)
        let alphabet = Array("ABCDEFabcdef0123456789+/=\r\n !-_".utf8)
        for _ in 0..<2000 {
            let payload = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            let text = "data:image/png;base64," + String(decoding: payload, as: UTF8.self)
            do {
                _ = try ReferenceSource.parse(text, field: "image_file")
            } catch {
                #expect(error.code == .invalidParameters)
            }
        }
    }
}

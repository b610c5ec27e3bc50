import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

@Suite("Base64")
struct Base64Tests {
    func decode(_ text: String) -> Data? {
        Base64.decode(Substring(text).utf8)
    }

    @Test("agrees with Foundation on every length and byte value")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            #expect(decode(bytes.base64EncodedString()) == bytes)
            #expect(decode(bytes.base64EncodedString(options: .lineLength76Characters)) == bytes)
        }
    }

    @Test("padding is optional; line breaks are skipped")
    func lenient() {
        #expect(decode("QUJD") == Data("ABC".utf8))
        #expect(decode("QUI") == Data("AB".utf8))
        #expect(decode("QUI=") == Data("AB".utf8))
        #expect(decode("QQ==\r\n") == Data("A".utf8))
        #expect(decode("QU\nJD") == Data("ABC".utf8))
    }

    @Test("anything else is refused", arguments: ["QUJ$", "Q", "QUJDQ", "Q===", "@@@@", "QU=D"])
    func invalid(text: String) {
        #expect(decode(text) == nil)
    }
}

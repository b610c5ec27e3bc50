import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

@Suite("money: micro-dollars on the wire")
struct MoneyTests {
    @Test(
        "decimal dollar strings parse exactly",
        arguments: [
            ("0.01", 10_000), ("12", 12_000_000), ("12.5", 12_500_000), (".5", 500_000), ("-2.25", -2_250_000),
            ("0.000001", 1), ("+3", 3_000_000), ("12.", 12_000_000),
        ] as [(String, Int64)])
    func parses(text: String, micros: Int64) {
        #expect(MicroDollars(usd: text)?.value == micros)
    }

    @Test("anything else is refused", arguments: ["", "abc", "1.0000001", "1e3", "1,000", "-", ".", "0x10", "1.2.3"])
    func refuses(text: String) {
        #expect(MicroDollars(usd: text) == nil)
    }

    @Test("amounts print with at least two decimals and no trailing zeros beyond")
    func prints() {
        #expect(MicroDollars(10_000).usd == "0.01")
        #expect(MicroDollars(10_500).usd == "0.0105")
        #expect(MicroDollars(12_000_000).usd == "12.00")
        #expect(MicroDollars(-40_000).usd == "-0.04")
        #expect(MicroDollars.zero.usd == "0.00")
    }

    @Test("a share rounds half up to the micro-dollar: the 5% top-up fee")
    func share() {
        #expect(MicroDollars(10_000_000).share(basisPoints: 500).value == 500_000)
        #expect(MicroDollars(10).share(basisPoints: 500).value == 1)  // 0.5 rounds up
        #expect(MicroDollars(9).share(basisPoints: 500).value == 0)  // 0.45 rounds down
    }

    @Test("JSON takes a string or a number, and writes a string")
    func json() throws {
        struct Body: Codable { var amount: MicroDollars }
        let decoded = try JSONDecoder().decode([Body].self, from: Data(#"[{"amount":"0.10"},{"amount":0.1}]"#.utf8))
        #expect(decoded.map(\.amount.value) == [100_000, 100_000])
        #expect(
            String(decoding: try JSONEncoder().encode(Body(amount: MicroDollars(100_000))), as: UTF8.self)
                == #"{"amount":"0.10"}"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Body.self, from: Data(#"{"amount":"ten"}"#.utf8))
        }
    }

    @Test("usage CSV quotes the fields that need it")
    func csv() {
        #expect(UsageRow.csvField("plain") == "plain")
        #expect(UsageRow.csvField("a,b") == "\"a,b\"")
        #expect(UsageRow.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}

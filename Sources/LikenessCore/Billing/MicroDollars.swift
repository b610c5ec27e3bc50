import Foundation

/// An amount of US dollars in integer millionths: every price, balance and ledger row.
///
/// Integers, so that sums are exact: a million $0.01 charges add up to $10,000.00, not to
/// whatever a binary fraction rounds to. Amounts are read from and written as decimal strings
/// (`"0.01"`, `"12.345"`), never through a `Double`.
public struct MicroDollars: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var value: Int64

    public static let zero = MicroDollars(0)
    public static let perDollar: Int64 = 1_000_000

    public init(_ value: Int64) {
        self.value = value
    }

    /// Parses `12`, `12.5`, `0.010`, `-3.25`: at most six decimal places, no exponent, no
    /// thousands separators. Nil for anything else, or past ±$9 trillion.
    public init?(usd text: String) {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        let negative = digits.first == "-"
        if negative || digits.first == "+" { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2, whole.count <= 13,
            whole.allSatisfy(\.isASCIIDigit)
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 6, fraction.allSatisfy(\.isASCIIDigit), !(whole.isEmpty && fraction.isEmpty) else {
            return nil
        }
        let paddedFraction = fraction + String(repeating: "0", count: 6 - fraction.count)
        let magnitude = (Int64(whole) ?? 0) * Self.perDollar + (Int64(paddedFraction) ?? 0)
        value = negative ? -magnitude : magnitude
    }

    /// Decimal dollars with at least two decimal places and no trailing zeros past them:
    /// `0.01`, `0.0105`, `12.00`, `-0.04`.
    public var usd: String {
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(Self.perDollar)
        var fraction = String(magnitude % UInt64(Self.perDollar))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (value < 0 ? "-" : "") + "\(whole).\(fraction)"
    }

    public var description: String { "$" + usd }

    public static func < (lhs: MicroDollars, rhs: MicroDollars) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: MicroDollars, rhs: MicroDollars) -> MicroDollars { MicroDollars(lhs.value + rhs.value) }
    public static func - (lhs: MicroDollars, rhs: MicroDollars) -> MicroDollars { MicroDollars(lhs.value - rhs.value) }
    public static func * (lhs: MicroDollars, count: Int) -> MicroDollars { MicroDollars(lhs.value * Int64(count)) }
    public static prefix func - (amount: MicroDollars) -> MicroDollars { MicroDollars(-amount.value) }

    /// This amount × `basisPoints` / 10 000, rounded half up to the micro-dollar (a top-up's
    /// platform fee: 500 basis points is 5%).
    public func share(basisPoints: Int64) -> MicroDollars {
        MicroDollars((value * basisPoints + 5_000) / 10_000)
    }

    // Encoded as the decimal string, like every amount on the wire; a JSON number is taken too
    // (by its shortest decimal spelling, so 0.1 is $0.10).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(describing: try container.decode(Double.self))
        }
        guard let amount = MicroDollars(usd: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a dollar amount: \(text)"))
        }
        self = amount
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(usd)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

import Foundation
import LikenessCore

/// OpenAI's `size` (`"1792x1024"`) in MiniMax terms.
public enum OpenAISize {
    public enum Resolved: Sendable, Hashable {
        case aspectRatio(AspectRatio)
        case custom(PixelSize)
    }

    /// amux's table, exactly: the sizes DALL-E and GPT-image clients send, and MiniMax's own.
    public static let table: [String: AspectRatio] = [
        "1024x1024": .square, "1792x1024": .wide16x9, "1024x1792": .tall9x16,
        "1536x1024": .landscape3x2, "1248x832": .landscape3x2, "1024x1536": .portrait2x3, "832x1248": .portrait2x3,
        "1152x864": .landscape4x3, "864x1152": .portrait3x4, "1344x576": .ultraWide21x9,
    ]

    /// The table first; then `W:H` reduced to lowest terms and matched to the eight ratios; then,
    /// unlike amux (which drops it), a valid custom size (512...2048, multiples of 8) as
    /// width × height. Anything else is a 400 naming `size`. `"auto"` means the default.
    public static func resolve(_ text: String) throws(APIError) -> Resolved? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.isEmpty || trimmed == "auto" { return nil }
        if let ratio = table[trimmed] { return .aspectRatio(ratio) }
        let sides = trimmed.split(separator: "x", omittingEmptySubsequences: false)
        guard sides.count == 2, let width = Int(sides[0]), let height = Int(sides[1]), width > 0, height > 0 else {
            throw APIError.invalid("size", "must be WIDTHxHEIGHT, such as 1024x1024 (got \(text))")
        }
        // Compared in lowest terms on both sides: 21:9 itself reduces to 7:3.
        if let ratio = AspectRatio.allCases.first(where: { $0.reduced == reduce(width, height) }) {
            return .aspectRatio(ratio)
        }
        let valid = [width, height].allSatisfy {
            PixelSize.customSideRange.contains($0) && $0 % PixelSize.customSideMultiple == 0
        }
        guard valid else {
            throw APIError.invalid(
                "size", "\(text) matches none of the eight aspect ratios and is not 512...2048 a side in multiples of 8"
            )
        }
        return .custom(PixelSize(width: width, height: height))
    }

    static func reduce(_ width: Int, _ height: Int) -> [Int] {
        let divisor = greatestCommonDivisor(width, height)
        return [width / divisor, height / divisor]
    }

    static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        b == 0 ? a : greatestCommonDivisor(b, a % b)
    }
}

extension AspectRatio {
    /// The ratio in lowest terms (`21:9` is `[7, 3]`).
    var reduced: [Int] {
        let sides = rawValue.split(separator: ":").compactMap { Int($0) }
        return OpenAISize.reduce(sides[0], sides[1])
    }
}

import Foundation

/// The prompt check that runs before any work: a prompt containing a blocked phrase is refused
/// with 1026. Matching ignores case, width and accents (NFKC + case folding) and treats any run of
/// whitespace and punctuation as one space, so `"Blocked-Phrase"` matches `"blocked phrase"`.
public struct PromptPolicy: Sendable, Hashable {
    public let blockedPhrases: [String]
    private let normalisedPhrases: [String]

    public init(blockedPhrases: [String]) {
        self.blockedPhrases = blockedPhrases
        self.normalisedPhrases = blockedPhrases.map(Self.normalise).filter { !$0.isEmpty }
    }

    /// The default list: phrases no image service should render. Operators extend or replace it
    /// (`LIKENESS_SAFETY_BLOCKED_PHRASES`, `LIKENESS_SAFETY_PHRASES_FILE`).
    public static let defaultBlockedPhrases = [
        "child sexual abuse", "csam", "child porn", "underage nude", "nude child", "naked child",
        "sexualized minor", "minor sexual", "bestiality", "revenge porn", "non-consensual intimate",
    ]

    public static let standard = PromptPolicy(blockedPhrases: defaultBlockedPhrases)

    /// Throws 1026 when the prompt contains a blocked phrase. The message does not echo the phrase.
    public func check(_ prompt: String) throws(APIError) {
        let text = " " + Self.normalise(prompt) + " "
        for phrase in normalisedPhrases where text.contains(" " + phrase + " ") {
            throw APIError(.sensitivePrompt, "the prompt contains content the content policy does not allow")
        }
    }

    static func normalise(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var words: [Substring] = []
        for word in folded.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            words.append(word)
        }
        return words.joined(separator: " ")
    }
}

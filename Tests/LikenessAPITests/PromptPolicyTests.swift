import Testing

@testable import LikenessAPI
@testable import LikenessCore

@Suite("Prompt policy")
struct PromptPolicyTests {
    let policy = PromptPolicy(blockedPhrases: ["forbidden thing", "Verboten"])

    @Test(
        "a blocked phrase is 1026 whatever its case, width, accents or punctuation",
        arguments: [
            "draw a forbidden thing", "FORBIDDEN THING now", "forbidden-thing", "ｆｏｒｂｉｄｄｅｎ　ｔｈｉｎｇ", "verbóten",
            "x,forbidden...thing!",
        ])
    func blocked(prompt: String) {
        #expect(throws: APIError(.sensitivePrompt, "the prompt contains content the content policy does not allow")) {
            try policy.check(prompt)
        }
    }

    @Test(
        "phrases match whole words, not fragments", arguments: ["forbidden things", "unverboten", "a thing forbidden"])
    func notBlocked(prompt: String) throws {
        try policy.check(prompt)
    }

    @Test("the shipped list is active by default")
    func defaultList() {
        #expect(throws: APIError.self) { try PromptPolicy.standard.check("CSAM") }
        #expect(throws: Never.self) { try PromptPolicy.standard.check("a child playing in a park") }
    }
}

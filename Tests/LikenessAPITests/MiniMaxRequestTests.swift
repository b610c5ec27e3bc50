import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

/// Parses a JSON body given as a Swift dictionary literal.
func parse(_ fields: [String: Any]) throws(APIError) -> GenerationRequest {
    let data = try! JSONSerialization.data(withJSONObject: fields)
    return try MiniMaxRequest.parse(data)
}

func parseError(_ fields: [String: Any]) -> APIError? {
    do {
        _ = try parse(fields)
        return nil
    } catch {
        return error
    }
}

nonisolated(unsafe) let base: [String: Any] = ["model": "image-01", "prompt": "a lighthouse at dawn"]

func with(_ extra: [String: Any]) -> [String: Any] {
    base.merging(extra) { $1 }
}

@Suite("MiniMax request: model and prompt")
struct ModelAndPromptTests {
    @Test("the seed's text-to-image example parses with its values")
    func seedExample() throws {
        let request = try parse([
            "model": "image-01",
            "prompt": "A man in a white t-shirt, full-body, standing front view, outdoors",
            "aspect_ratio": "16:9", "response_format": "url", "n": 3, "prompt_optimizer": true,
        ])
        #expect(request.model == .image01)
        #expect(request.aspectRatio == .wide16x9)
        #expect(request.size == PixelSize(width: 1280, height: 720))
        #expect(request.count == 3)
        #expect(request.responseFormat == .url)
        #expect(request.promptOptimizer)
        #expect(!request.aigcWatermark)
    }

    @Test("defaults: 1:1 at 1024x1024, one image, url, no optimizer, no watermark")
    func defaults() throws {
        let request = try parse(base)
        #expect(request.aspectRatio == .square)
        #expect(request.size == PixelSize(width: 1024, height: 1024))
        #expect(request.count == 1)
        #expect(request.responseFormat == .url)
        #expect(request.seed == nil)
        #expect(!request.promptOptimizer && !request.aigcWatermark)
    }

    @Test("model is required and must be image-01 or image-01-live", arguments: [nil, "image-02", "dall-e-3", ""])
    func invalidModel(model: String?) {
        var fields = base
        fields["model"] = model
        let error = parseError(fields)
        #expect(error?.code == .invalidParameters)
        #expect(error?.field == "model")
    }

    @Test("image-01-live is accepted")
    func liveModel() throws {
        #expect(try parse(with(["model": "image-01-live"])).model == .image01Live)
    }

    @Test("prompt is required, 1 to 1500 characters, not blank", arguments: ["", "   \n "])
    func blankPrompt(prompt: String) {
        let error = parseError(with(["prompt": prompt]))
        #expect(error?.code == .invalidParameters)
        #expect(error?.field == "prompt")
        #expect(error?.message.contains("1500") == true)
    }

    @Test("prompt length counts characters, not bytes")
    func promptCountsCharacters() throws {
        let chinese = String(repeating: "猫", count: 1500)  // 4500 bytes of UTF-8
        #expect(try parse(with(["prompt": chinese])).prompt == chinese)
        #expect(parseError(with(["prompt": chinese + "猫"]))?.field == "prompt")
        #expect(parseError(with(["prompt": String(repeating: "a", count: 1501)]))?.field == "prompt")
    }

    @Test("a missing prompt names the field")
    func missingPrompt() {
        #expect(parseError(["model": "image-01"])?.message == "invalid params, prompt is required")
    }
}

@Suite("MiniMax request: sizes")
struct SizeTests {
    @Test(
        "each aspect ratio renders at MiniMax's exact size",
        arguments: [
            ("1:1", 1024, 1024), ("16:9", 1280, 720), ("4:3", 1152, 864), ("3:2", 1248, 832),
            ("2:3", 832, 1248), ("3:4", 864, 1152), ("9:16", 720, 1280), ("21:9", 1344, 576),
        ])
    func ratioSizes(ratio: String, width: Int, height: Int) throws {
        #expect(try parse(with(["aspect_ratio": ratio])).size == PixelSize(width: width, height: height))
    }

    @Test("an unknown aspect ratio is refused", arguments: ["5:4", "1x1", "16:10", ""])
    func unknownRatio(ratio: String) {
        #expect(parseError(with(["aspect_ratio": ratio]))?.field == "aspect_ratio")
    }

    @Test("21:9 is image-01 only")
    func ultraWideNotLive() {
        let error = parseError(with(["model": "image-01-live", "aspect_ratio": "21:9"]))
        #expect(error?.field == "aspect_ratio")
        #expect(error?.message.contains("image-01-live") == true)
    }

    @Test("width and height give a custom size")
    func customSize() throws {
        let request = try parse(with(["width": 1536, "height": 512]))
        #expect(request.size == PixelSize(width: 1536, height: 512))
        #expect(request.aspectRatio == nil)
    }

    @Test("width and height must come together")
    func together() {
        #expect(parseError(with(["width": 1024]))?.field == "height")
        #expect(parseError(with(["height": 1024]))?.field == "width")
    }

    @Test(
        "each side is 512...2048 and a multiple of 8",
        arguments: [(504, 1024), (2056, 1024), (1020, 1024), (1024, 2049)])
    func sideRules(width: Int, height: Int) {
        let error = parseError(with(["width": width, "height": height]))
        #expect(error?.code == .invalidParameters)
        #expect(error?.message.contains("multiple of 8") == true)
    }

    @Test("custom sizes are image-01 only")
    func customNotLive() {
        #expect(parseError(with(["model": "image-01-live", "width": 1024, "height": 1024]))?.field == "width")
    }

    @Test("aspect_ratio wins and width/height are then ignored, even invalid ones")
    func ratioWins() throws {
        let request = try parse(with(["aspect_ratio": "9:16", "width": 3, "height": 5000]))
        #expect(request.size == PixelSize(width: 720, height: 1280))
        let mistyped = try parse(with(["aspect_ratio": "9:16", "width": "wide", "height": [1]]))
        #expect(mistyped.size == PixelSize(width: 720, height: 1280))
    }
}

@Suite("MiniMax request: scalar fields")
struct ScalarFieldTests {
    @Test("response_format is url or base64")
    func responseFormat() throws {
        #expect(try parse(with(["response_format": "base64"])).responseFormat == .base64)
        #expect(parseError(with(["response_format": "b64_json"]))?.field == "response_format")
    }

    @Test("n is an integer in 1...9", arguments: [0, 10, -1])
    func countRange(n: Int) {
        #expect(parseError(with(["n": n]))?.field == "n")
    }

    @Test("n accepts 1 and 9")
    func countBounds() throws {
        #expect(try parse(with(["n": 1])).count == 1)
        #expect(try parse(with(["n": 9])).count == 9)
    }

    @Test("wrong types are 2013 naming field and type")
    func wrongTypes() {
        #expect(parseError(with(["n": "2"]))?.message == "invalid params, n must be an integer, not a string")
        #expect(parseError(with(["seed": 1.5]))?.field == "seed")
        #expect(parseError(with(["seed": "42"]))?.field == "seed")
        #expect(parseError(with(["prompt_optimizer": "true"]))?.field == "prompt_optimizer")
        #expect(parseError(with(["aigc_watermark": 1]))?.field == "aigc_watermark")
        #expect(parseError(with(["prompt": 12]))?.field == "prompt")
        #expect(parseError(with(["subject_reference": "x"]))?.field == "subject_reference")
    }

    @Test("seed takes any 64-bit integer, negative included")
    func seed() throws {
        #expect(try parse(with(["seed": 42])).seed == 42)
        #expect(try parse(with(["seed": -7])).seed == -7)
        #expect(try parse(with(["seed": Int64.max])).seed == Int64.max)
    }

    @Test("null reads as absent and unknown fields are ignored")
    func nullsAndUnknowns() throws {
        let request = try parse(with(["n": NSNull(), "quality": "hd", "user": "u-1", "extra": ["a": 1]]))
        #expect(request.count == 1)
    }

    @Test("malformed JSON and non-object bodies are 2013")
    func malformedBodies() {
        for body in ["{", "[]", "\"text\"", "", "{\"model\": }"] {
            #expect(throws: APIError.self) { try MiniMaxRequest.parse(Data(body.utf8)) }
            do {
                _ = try MiniMaxRequest.parse(Data(body.utf8))
            } catch {
                #expect(error.code == .invalidParameters)
            }
        }
    }
}

@Suite("MiniMax request: subject reference and style")
struct ReferenceAndStyleTests {
    let jpegDataURL = "data:image/jpeg;base64," + Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).base64EncodedString()

    @Test("the seed's image-to-image example parses with a remote reference")
    func remoteReference() throws {
        let request = try parse(
            with([
                "aspect_ratio": "16:9", "n": 2,
                "subject_reference": [["type": "character", "image_file": "https://example.com/face.jpg"]],
            ]))
        #expect(request.subjectReference?.source == .remote(URL(string: "https://example.com/face.jpg")!))
        #expect(request.count == 2)
    }

    @Test("a data URL is decoded, line breaks in the base64 allowed")
    func inlineReference() throws {
        let wrapped = "data:image/jpeg;base64,/9j/\n4AEC\r\nAw=="
        let request = try parse(with(["subject_reference": [["type": "character", "image_file": wrapped]]]))
        #expect(request.subjectReference?.source == .inline(Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])))
        _ = try parse(with(["subject_reference": [["type": "character", "image_file": jpegDataURL]]]))
    }

    @Test("an empty subject_reference array means none")
    func emptyArray() throws {
        #expect(try parse(with(["subject_reference": []])).subjectReference == nil)
    }

    @Test("only one element is supported")
    func oneElement() {
        let element = ["type": "character", "image_file": jpegDataURL]
        let error = parseError(with(["subject_reference": [element, element]]))
        #expect(error?.field == "subject_reference")
        #expect(error?.message.contains("only one") == true)
    }

    @Test("type must be character")
    func typeCharacter() {
        #expect(
            parseError(with(["subject_reference": [["type": "style", "image_file": jpegDataURL]]]))?.field
                == "subject_reference[0].type")
        #expect(
            parseError(with(["subject_reference": [["image_file": jpegDataURL]]]))?.field == "subject_reference[0].type"
        )
    }

    @Test(
        "image_file must be a data URL or an http(s) URL",
        arguments: [
            "ftp://example.com/a.jpg", "file:///etc/passwd", "/tmp/a.jpg", "example.com/a.jpg", "https://", "",
            "data:image/jpeg,notbase64", "data:image/jpeg;base64,!!!!", "data:image/jpeg;base64",
        ])
    func imageFileForms(value: String) {
        let error = parseError(with(["subject_reference": [["type": "character", "image_file": value]]]))
        #expect(error?.code == .invalidParameters)
        #expect(error?.field == "subject_reference[0].image_file")
    }

    @Test("an inline reference over 10 MB is refused")
    func tooLarge() {
        let payload = Data(count: 10 * 1024 * 1024 + 1).base64EncodedString()
        let error = parseError(
            with(["subject_reference": [["type": "character", "image_file": "data:image/png;base64," + payload]]]))
        #expect(error?.message.contains("10 MB") == true)
    }

    @Test("style belongs to image-01-live")
    func styleOnlyLive() throws {
        let style: [String: Any] = ["style_type": "水彩", "style_weight": 0.5]
        #expect(parseError(with(["style": style]))?.field == "style")
        let request = try parse(with(["model": "image-01-live", "style": style]))
        #expect(request.style == LiveStyle(type: .watercolor, weight: 0.5))
    }

    @Test("style_type is one of the four and style_weight in (0, 1], default 0.8")
    func styleRules() throws {
        func live(_ style: [String: Any]) -> [String: Any] { with(["model": "image-01-live", "style": style]) }
        #expect(parseError(live(["style_type": "anime"]))?.field == "style.style_type")
        #expect(parseError(live(["style_type": "漫画", "style_weight": 0]))?.field == "style.style_weight")
        #expect(parseError(live(["style_type": "漫画", "style_weight": 1.01]))?.field == "style.style_weight")
        #expect(try parse(live(["style_type": "中世纪"])).style == LiveStyle(type: .medieval, weight: 0.8))
        #expect(try parse(live(["style_type": "元气", "style_weight": 1])).style?.weight == 1)
    }
}

@Suite("Seeds")
struct SeedTests {
    @Test("image i of a seeded request uses seed + i")
    func derivation() {
        let request = GenerationRequest(prompt: "p", count: 3, seed: 41)
        #expect(request.imageSeeds() == [41, 42, 43])
        let negative = GenerationRequest(prompt: "p", count: 2, seed: -1)
        #expect(negative.imageSeeds() == [UInt64.max, 0])
    }

    @Test("without a seed every image gets a different seed")
    func random() {
        let request = GenerationRequest(prompt: "p", count: 9)
        #expect(Set(request.imageSeeds()).count == 9)
        #expect(request.imageSeeds() != request.imageSeeds())
    }
}

import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

func openAI(_ fields: [String: Any], aliases: ModelAliases = .standard) throws(APIError) -> GenerationRequest {
    try OpenAIImageRequest.parse(json: try! JSONSerialization.data(withJSONObject: fields), aliases: aliases)
}

func openAIError(_ fields: [String: Any]) -> APIError? {
    do {
        _ = try openAI(fields)
        return nil
    } catch {
        return error
    }
}

@Suite("OpenAI size mapping")
struct OpenAISizeTests {
    @Test(
        "amux's table, exactly",
        arguments: [
            ("1024x1024", "1:1"), ("1792x1024", "16:9"), ("1024x1792", "9:16"), ("1536x1024", "3:2"),
            ("1248x832", "3:2"),
            ("1024x1536", "2:3"), ("832x1248", "2:3"), ("1152x864", "4:3"), ("864x1152", "3:4"), ("1344x576", "21:9"),
        ])
    func table(size: String, ratio: String) throws {
        #expect(try OpenAISize.resolve(size) == .aspectRatio(AspectRatio(rawValue: ratio)!))
    }

    @Test(
        "other sizes reduce to lowest terms and match a ratio",
        arguments: [
            ("512x512", "1:1"), ("1920x1080", "16:9"), ("800x600", "4:3"), ("2100x900", "21:9"), ("600x900", "2:3"),
        ])
    func reduced(size: String, ratio: String) throws {
        #expect(try OpenAISize.resolve(size) == .aspectRatio(AspectRatio(rawValue: ratio)!))
    }

    @Test("a valid custom size becomes width and height")
    func custom() throws {
        #expect(try OpenAISize.resolve("1536x640") == .custom(PixelSize(width: 1536, height: 640)))
        #expect(try OpenAISize.resolve("2048x520") == .custom(PixelSize(width: 2048, height: 520)))
    }

    @Test(
        "anything else is 400 naming size",
        arguments: ["256x100", "4096x1000", "1000x1001", "big", "1024", "x", "-1x5"])
    func invalid(size: String) {
        #expect(throws: APIError.self) { try OpenAISize.resolve(size) }
        do {
            _ = try OpenAISize.resolve(size)
        } catch {
            #expect(error.field == "size")
        }
    }

    @Test("auto and empty mean the default")
    func auto() throws {
        #expect(try OpenAISize.resolve("auto") == nil)
        #expect(try openAI(["prompt": "x", "size": "auto"]).size == PixelSize(width: 1024, height: 1024))
    }
}

@Suite("OpenAI request translation")
struct OpenAITranslationTests {
    @Test(
        "every standard alias names its model",
        arguments: [
            ("MiniMax-Image-01", ImageModel.image01), ("image-01", .image01), ("minimax/image-01", .image01),
            ("minimax/minimax-image-01-subject-reference", .image01), ("MiniMax-Image-01-live", .image01Live),
            ("image-01-live", .image01Live),
        ])
    func aliases(name: String, model: ImageModel) throws {
        #expect(try openAI(["model": name, "prompt": "x"]).model == model)
    }

    @Test("an unknown model is an unknown-model error; configured aliases extend the list")
    func unknownModel() throws {
        let error = openAIError(["model": "dall-e-3", "prompt": "x"])
        #expect(error?.reason == .unknownModel)
        #expect(OpenAIError(error!).status == 404)
        let custom = try ModelAliases.standard.adding(["team-default=image-01-live"])
        #expect(try openAI(["model": "team-default", "prompt": "x"], aliases: custom).model == .image01Live)
        #expect(throws: APIError.self) { try ModelAliases.standard.adding(["broken"]) }
    }

    @Test("a missing model means image-01")
    func defaultModel() throws {
        #expect(try openAI(["prompt": "x"]).model == .image01)
    }

    @Test("response_format url, b64_json and base64")
    func responseFormats() throws {
        #expect(try openAI(["prompt": "x", "response_format": "url"]).responseFormat == .url)
        #expect(try openAI(["prompt": "x", "response_format": "b64_json"]).responseFormat == .base64)
        #expect(try openAI(["prompt": "x", "response_format": "base64"]).responseFormat == .base64)
        #expect(openAIError(["prompt": "x", "response_format": "png"])?.field == "response_format")
    }

    @Test("aspect_ratio wins over width/height, which win over size")
    func precedence() throws {
        #expect(try openAI(["prompt": "x", "size": "1792x1024", "aspect_ratio": "3:4"]).aspectRatio == .portrait3x4)
        let custom = try openAI(["prompt": "x", "size": "1792x1024", "width": 1024, "height": 512])
        #expect(custom.size == PixelSize(width: 1024, height: 512))
        #expect(try openAI(["prompt": "x", "size": "1792x1024"]).aspectRatio == .wide16x9)
    }

    @Test("n, seed, prompt_optimizer and aigc_watermark pass through")
    func passThrough() throws {
        let request = try openAI(["prompt": "x", "n": 4, "seed": 9, "prompt_optimizer": true, "aigc_watermark": true])
        #expect(request.count == 4 && request.seed == 9 && request.promptOptimizer && request.aigcWatermark)
        #expect(openAIError(["prompt": "x", "n": 0])?.field == "n")
    }

    @Test("subject_reference image_file may be an array: the first non-empty element")
    func imageFileArray() throws {
        let request = try openAI([
            "prompt": "x",
            "subject_reference": [
                ["type": "character", "image_file": ["", "https://example.com/face.jpg", "https://b"]]
            ],
        ])
        #expect(request.subjectReference?.source == .remote(URL(string: "https://example.com/face.jpg")!))
        let error = openAIError(["prompt": "x", "subject_reference": [["type": "character", "image_file": [""]]]])
        #expect(error?.field == "subject_reference[0].image_file")
    }

    @Test("DALL-E fields never fail a request")
    func dalleFields() throws {
        let request = try openAI([
            "prompt": "x", "style": "vivid", "quality": "hd", "user": "u", "output_format": "png", "background": "auto",
            "moderation": "low", "output_compression": 80, "stream": false,
        ])
        #expect(request.style == nil)
    }

    @Test("style nested or flat for image-01-live; ignored on image-01")
    func styles() throws {
        let nested = try openAI([
            "model": "image-01-live", "prompt": "x", "style": ["style_type": "水彩", "style_weight": 0.4],
        ])
        #expect(nested.style == LiveStyle(type: .watercolor, weight: 0.4))
        let flat = try openAI(["model": "image-01-live", "prompt": "x", "style_type": "漫画", "style_weight": 0.5])
        #expect(flat.style == LiveStyle(type: .comic, weight: 0.5))
        #expect(try openAI(["model": "image-01", "prompt": "x", "style": ["style_type": "水彩"]]).style == nil)
        #expect(
            openAIError(["model": "image-01-live", "prompt": "x", "style_type": "anime"])?.field == "style_type")
    }

    @Test("edit forms: text fields are typed, the image becomes the reference")
    func editForm() throws {
        let request = try OpenAIImageRequest.parse(
            form: [
                "model": "MiniMax-Image-01", "prompt": "p", "n": "2", "size": "1024x1536", "seed": "7",
                "aigc_watermark": "true",
            ],
            reference: Data([1, 2, 3]), aliases: .standard
        ).request
        #expect(request.count == 2 && request.seed == 7 && request.aigcWatermark)
        #expect(request.aspectRatio == .portrait2x3)
        #expect(request.subjectReference?.source == .inline(Data([1, 2, 3])))
        #expect(throws: APIError.self) {
            try OpenAIImageRequest.parse(form: ["prompt": "p", "n": "two"], reference: nil, aliases: .standard)
        }
    }
}

@Suite("OpenAI errors")
struct OpenAIErrorTests {
    @Test(
        "each catalogue code maps to its status and type",
        arguments: [
            (StatusCode.invalidParameters, 400, "invalid_request_error"),
            (.authenticationFailed, 401, "authentication_error"),
            (.invalidAPIKey, 401, "authentication_error"), (.insufficientBalance, 402, "insufficient_credits"),
            (.sensitivePrompt, 403, "content_policy_violation"), (.sensitiveOutput, 403, "content_policy_violation"),
            (.rateLimited, 429, "rate_limit_error"), (.timeout, 504, "server_error"),
            (.internalError, 500, "server_error"),
            (.systemError, 500, "server_error"),
        ])
    func mapping(code: StatusCode, status: Int, type: String) {
        let error = OpenAIError(APIError(code))
        // 1008's code is spelled out, as gateways answer an empty wallet.
        let expectedCode = code == .insufficientBalance ? "insufficient_credits" : String(code.rawValue)
        #expect(error.status == status && error.type == type && error.code == expectedCode)
    }

    @Test("the body is OpenAI's shape with param and a Retry-After for rate limits")
    func body() throws {
        let error = OpenAIError(APIError.invalid("n", "must be an integer in 1...9"))
        let object = try JSONSerialization.jsonObject(with: error.jsonData()) as! [String: [String: Any]]
        #expect(object["error"]?["param"] as? String == "n")
        #expect(object["error"]?["code"] as? String == "2013")
        #expect(object["error"]?["type"] as? String == "invalid_request_error")
        #expect(OpenAIError(APIError(.rateLimited, retryAfterSeconds: 7)).retryAfterSeconds == 7)
        #expect(OpenAIError(APIError(.rateLimited)).retryAfterSeconds == 1)
    }

    @Test("the success body has created and url or b64_json entries")
    func success() throws {
        let urls =
            try JSONSerialization.jsonObject(
                with: OpenAIImagesResponse.jsonData(
                    created: Date(timeIntervalSince1970: 1_700_000_000), images: .urls(["u1", "u2"])))
            as! [String: Any]
        #expect(urls["created"] as? Int == 1_700_000_000)
        #expect((urls["data"] as? [[String: String]])?.map { $0["url"] } == ["u1", "u2"])
        let base64 =
            try JSONSerialization.jsonObject(
                with: OpenAIImagesResponse.jsonData(created: Date(), images: .base64(["QUJD"]))) as! [String: Any]
        #expect((base64["data"] as? [[String: String]])?.first?["b64_json"] == "QUJD")
    }
}

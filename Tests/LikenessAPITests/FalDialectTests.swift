import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

func fal(_ app: FalApp, _ fields: [String: Any]) throws(APIError) -> GenerationRequest {
    try app.parse(json: try! JSONSerialization.data(withJSONObject: fields))
}

func falError(_ app: FalApp, _ fields: [String: Any]) -> APIError? {
    do {
        _ = try fal(app, fields)
        return nil
    } catch {
        return error
    }
}

@Suite("fal dialect")
struct FalDialectTests {
    @Test("the seed's example: prompt, image_url, aspect_ratio, num_images")
    func seedExample() throws {
        let request = try fal(
            .subjectReference,
            [
                "prompt": "A beautiful woman with a crown on her head.", "image_url": "https://example.com/face.png",
                "aspect_ratio": "1:1", "num_images": 1,
            ])
        #expect(request.subjectReference?.source == .remote(URL(string: "https://example.com/face.png")!))
        #expect(request.count == 1 && request.responseFormat == .url && request.model == .image01)
    }

    @Test("text-to-image takes no reference and defaults like fal")
    func textToImage() throws {
        let request = try fal(.textToImage, ["prompt": "x", "prompt_optimizer": true, "image_url": "https://ignored"])
        #expect(request.subjectReference == nil && request.count == 1 && request.aspectRatio == .square)
        #expect(request.promptOptimizer)
    }

    @Test("errors name fal's fields")
    func fieldNames() {
        let count = falError(.textToImage, ["prompt": "x", "num_images": 10])
        #expect(count?.field == "num_images")
        #expect(count?.message == "invalid params, num_images must be an integer in 1...9")
        #expect(falError(.subjectReference, ["prompt": "x"])?.field == "image_url")
        #expect(falError(.subjectReference, ["prompt": "x", "image_url": "ftp://x/y.jpg"])?.field == "image_url")
        #expect(falError(.textToImage, ["prompt": "x", "aspect_ratio": "5:4"])?.field == "aspect_ratio")
    }

    @Test("validation is 422 with detail[{loc, msg, type}]; other codes map to statuses")
    func errors() throws {
        let missing = FalError(APIError.missing("image_url"))
        #expect(missing.status == 422)
        let object = try JSONSerialization.jsonObject(with: missing.body) as! [String: [[String: Any]]]
        #expect(object["detail"]?.first?["loc"] as? [String] == ["body", "image_url"])
        #expect(object["detail"]?.first?["type"] as? String == "missing")
        #expect(FalError(APIError(.sensitivePrompt)).status == 422)
        #expect(FalError(APIError(.invalidAPIKey)).status == 401)
        #expect(FalError(APIError(.rateLimited)).status == 429)
        #expect(FalError(APIError(.internalError)).status == 500)
        let plain = try JSONSerialization.jsonObject(with: FalError(APIError(.invalidAPIKey)).body) as! [String: Any]
        #expect(plain["detail"] as? String == "invalid API key")
    }

    @Test("output is images[{url, content_type, file_name, file_size, width, height}]")
    func output() throws {
        let data = FalResponse.jsonData(images: [
            FalImage(
                url: "https://h/a.jpg", contentType: "image/jpeg", fileName: "a.jpg", fileSize: 10, width: 2, height: 3)
        ])
        let object = try JSONSerialization.jsonObject(with: data) as! [String: [[String: Any]]]
        let image = try #require(object["images"]?.first)
        #expect(image["url"] as? String == "https://h/a.jpg" && image["content_type"] as? String == "image/jpeg")
        #expect(image["file_size"] as? Int == 10 && image["width"] as? Int == 2 && image["height"] as? Int == 3)
    }
}

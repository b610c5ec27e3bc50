import Foundation
import LikenessUpstream
import Testing

@testable import LikenessAPI
@testable import LikenessCore

@Suite("reading upstream answers")
struct UpstreamWireTests {
    @Test("MiniMax counts are read as integers or strings, base_resp first")
    func miniMaxCounts() throws {
        let integers = try MiniMaxUpstream.readAnswer(
            Data(
                #"{"data":{"image_urls":["u1"]},"metadata":{"success_count":1,"failed_count":2},"base_resp":{"status_code":0,"status_msg":"success"}}"#
                    .utf8))
        let strings = try MiniMaxUpstream.readAnswer(
            Data(
                #"{"data":{"image_urls":["u1"]},"metadata":{"success_count":"1","failed_count":"2"},"base_resp":{"status_code":"0","status_msg":"success"}}"#
                    .utf8))
        #expect(integers == strings)
        #expect(integers.failedCount == 2 && integers.imageURLs == ["u1"])
        let failure = try MiniMaxUpstream.readAnswer(
            Data(#"{"base_resp":{"status_code":1002,"status_msg":"rate limit exceeded(RPM)"}}"#.utf8))
        #expect(failure.statusCode == 1002 && failure.imageURLs.isEmpty)
        #expect(throws: UpstreamWire.MalformedAnswer.self) { try MiniMaxUpstream.readAnswer(Data("<html>".utf8)) }
    }

    @Test("the native request carries the canonical fields and the reference as a character")
    func miniMaxRequest() throws {
        let request = GenerationRequest(
            model: .image01Live, prompt: "p", aspectRatio: nil, size: PixelSize(width: 512, height: 768), count: 3,
            seed: 7, style: LiveStyle(type: .watercolor, weight: 0.5))
        let body = try #require(
            try JSONSerialization.jsonObject(
                with: MiniMaxUpstream.requestBody(request, referenceDataURL: "data:image/jpeg;base64,AA=="))
                as? [String: Any])
        #expect(body["model"] as? String == "image-01-live" && body["n"] as? Int == 3 && body["seed"] as? Int == 7)
        #expect(body["width"] as? Int == 512 && body["height"] as? Int == 768 && body["aspect_ratio"] == nil)
        #expect((body["style"] as? [String: Any])?["style_type"] as? String == "水彩")
        let reference = try #require((body["subject_reference"] as? [[String: Any]])?.first)
        #expect(reference["type"] as? String == "character")
    }

    @Test("fal refuses what its app cannot take, so the router can try another engine")
    func falUnsupported() {
        let sized = GenerationRequest(prompt: "p", aspectRatio: nil, size: PixelSize(width: 512, height: 512))
        #expect(throws: APIError.self) { try FalUpstream.requestBody(sized, referenceDataURL: nil) }
    }
}

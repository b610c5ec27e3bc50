import Foundation
import Testing

@testable import LikenessAPI
@testable import LikenessCore

@Suite("MiniMax response")
struct MiniMaxResponseTests {
    func json(_ response: MiniMaxResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: response.jsonData()) as! [String: Any]
    }

    @Test("success carries counts as strings and base_resp 0/success")
    func success() throws {
        let object = try json(.success(id: "03ff3cd0820949eb8a410056b5f21d38", imageURLs: ["a", "b"], failedCount: 1))
        let metadata = object["metadata"] as! [String: Any]
        #expect(metadata["success_count"] as? String == "2")
        #expect(metadata["failed_count"] as? String == "1")
        let baseResponse = object["base_resp"] as! [String: Any]
        #expect(baseResponse["status_code"] as? Int == 0)
        #expect(baseResponse["status_msg"] as? String == "success")
        #expect((object["data"] as! [String: Any])["image_urls"] as? [String] == ["a", "b"])
    }

    @Test("failure carries the code and message")
    func failure() throws {
        let object = try json(.failure(id: "x", APIError(.invalidAPIKey)))
        let baseResponse = object["base_resp"] as! [String: Any]
        #expect(baseResponse["status_code"] as? Int == 2049)
        #expect(object["data"] == nil)
    }

    @Test("messages are escaped and the body decodes back to the same response")
    func escapingRoundTrip() throws {
        let message = "invalid params, \"quoted\" \\ back\nslash \u{01} 你好 /path"
        let failure = MiniMaxResponse.failure(id: "abc", APIError(.invalidParameters, message))
        #expect(try JSONDecoder().decode(MiniMaxResponse.self, from: failure.jsonData()) == failure)
        let success = MiniMaxResponse.success(id: "abc", imageBase64: ["QUJD", "REVG"], failedCount: 0)
        #expect(try JSONDecoder().decode(MiniMaxResponse.self, from: success.jsonData()) == success)
        let urls = MiniMaxResponse.success(id: "abc", imageURLs: ["http://h/v1/files/a.jpg?x=1&y=2"], failedCount: 2)
        #expect(try JSONDecoder().decode(MiniMaxResponse.self, from: urls.jsonData()) == urls)
        #expect(String(decoding: urls.jsonData(), as: UTF8.self).contains("http://h/v1/files/a.jpg"))
    }

    @Test("the catalogue has MiniMax's documented codes")
    func codes() {
        #expect(StatusCode.rateLimited.rawValue == 1002)
        #expect(StatusCode.authenticationFailed.rawValue == 1004)
        #expect(StatusCode.insufficientBalance.rawValue == 1008)
        #expect(StatusCode.sensitivePrompt.rawValue == 1026)
        #expect(StatusCode.invalidParameters.rawValue == 2013)
        #expect(StatusCode.invalidAPIKey.rawValue == 2049)
    }
}

/// The MiniMax-native response body, success or failure.
///
/// MiniMax answers failures with HTTP 200 and a non-zero `base_resp.status_code`, and its
/// clients read `base_resp` first; Likeness does the same (see README, "Errors").
public struct MiniMaxResponse: Sendable, Codable, Hashable {
    public struct ImageData: Sendable, Codable, Hashable {
        public var imageURLs: [String]?
        public var imageBase64: [String]?

        enum CodingKeys: String, CodingKey {
            case imageURLs = "image_urls"
            case imageBase64 = "image_base64"
        }
    }

    public struct Metadata: Sendable, Codable, Hashable {
        /// Strings, as in MiniMax's own examples (its schema says integers; clients take both).
        public var successCount: String
        public var failedCount: String

        enum CodingKeys: String, CodingKey {
            case successCount = "success_count"
            case failedCount = "failed_count"
        }
    }

    public struct BaseResponse: Sendable, Codable, Hashable {
        public var statusCode: Int
        public var statusMessage: String

        enum CodingKeys: String, CodingKey {
            case statusCode = "status_code"
            case statusMessage = "status_msg"
        }
    }

    public var id: String?
    public var data: ImageData?
    public var metadata: Metadata?
    public var baseResponse: BaseResponse

    enum CodingKeys: String, CodingKey {
        case id, data, metadata
        case baseResponse = "base_resp"
    }

    public static func success(
        id: String, imageURLs: [String]? = nil, imageBase64: [String]? = nil, failedCount: Int
    ) -> MiniMaxResponse {
        let delivered = imageURLs?.count ?? imageBase64?.count ?? 0
        return MiniMaxResponse(
            id: id,
            data: ImageData(imageURLs: imageURLs, imageBase64: imageBase64),
            metadata: Metadata(successCount: String(delivered), failedCount: String(failedCount)),
            baseResponse: BaseResponse(statusCode: StatusCode.success.rawValue, statusMessage: "success")
        )
    }

    public static func failure(id: String?, _ error: APIError) -> MiniMaxResponse {
        MiniMaxResponse(
            id: id, data: nil, metadata: nil,
            baseResponse: BaseResponse(statusCode: error.code.rawValue, statusMessage: error.message))
    }
}

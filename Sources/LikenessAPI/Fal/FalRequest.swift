import Foundation
import LikenessCore

/// fal.ai's MiniMax apps, `fal-ai/minimax/image-01` and `fal-ai/minimax/image-01/subject-reference`.
/// It only translates: fal's fields become a `GenerationDraft`, validated by the rules every
/// dialect shares, with errors naming fal's fields.
public enum FalApp: String, Sendable, CaseIterable {
    case textToImage = "fal-ai/minimax/image-01"
    case subjectReference = "fal-ai/minimax/image-01/subject-reference"

    /// fal's names for the canonical fields whose names differ from MiniMax's.
    static let spelling = FieldSpelling.minimax.renaming([
        .count: "num_images", .subjectReference: "image_url", .referenceImage: "image_url",
    ])

    /// A JSON body for this app: `prompt`, `aspect_ratio`, `num_images`, `prompt_optimizer`, and
    /// for subject-reference the required `image_url` (http(s) or data URL). Unknown fields are
    /// ignored. Results are always URLs, as fal's are.
    public func parse(json body: consuming Data) throws(APIError) -> GenerationRequest {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        let fields = FieldReader(object)
        var draft = GenerationDraft(model: .image01, responseFormat: .url)
        draft.prompt = try fields.string("prompt")
        draft.aspectRatio = try fields.string("aspect_ratio")
        draft.count = try fields.integer("num_images")
        draft.promptOptimizer = try fields.bool("prompt_optimizer")
        try draft.readIdentityFields(fields)
        if self == .subjectReference {
            draft.references = [.init(type: "character", image: try fields.string("image_url").map { .text($0) })]
        }
        return try GenerationRequest(validating: draft, spelling: Self.spelling)
    }
}

/// fal's output: `{"images": [{url, content_type, file_name, file_size, width, height}]}`.
public struct FalImage: Sendable, Hashable {
    public var url: String
    public var contentType: String
    public var fileName: String
    public var fileSize: Int
    public var width: Int
    public var height: Int

    public init(url: String, contentType: String, fileName: String, fileSize: Int, width: Int, height: Int) {
        self.url = url
        self.contentType = contentType
        self.fileName = fileName
        self.fileSize = fileSize
        self.width = width
        self.height = height
    }
}

public enum FalResponse {
    /// `identity` adds each image's score (see `JSONWriter.identityFields`).
    public static func jsonData(images: [FalImage], identity: IdentityReport? = nil) -> Data {
        var writer = JSONWriter(reservingCapacity: 256 * images.count + 16)
        writer.raw("{\"images\":[")
        for (index, image) in images.enumerated() {
            writer.raw(index == 0 ? "{\"url\":" : ",{\"url\":")
            writer.string(image.url)
            writer.raw(",\"content_type\":")
            writer.string(image.contentType)
            writer.raw(",\"file_name\":")
            writer.string(image.fileName)
            writer.raw(",\"file_size\":")
            writer.integer(image.fileSize)
            writer.raw(",\"width\":")
            writer.integer(image.width)
            writer.raw(",\"height\":")
            writer.integer(image.height)
            writer.identityFields(identity, image: index)
            writer.raw("}")
        }
        writer.raw("]")
        writer.identityNote(identity)
        writer.raw("}")
        return Data(writer.bytes)
    }
}

/// An error as fal answers it: validation failures are 422 with
/// `{"detail": [{"loc": ["body", field], "msg", "type"}]}`; everything else is `{"detail": message}`.
///
/// | catalogue code | HTTP |
/// |---|---|
/// | 2013 | 422, type `value_error` (`missing` for a required field) |
/// | 1026, 1027 | 422, type `content_policy_violation` |
/// | 1004, 2049 | 401 |
/// | 1008 | 402 |
/// | 1002, 1041, 2056 | 429 |
/// | 1001 | 504 |
/// | any code with reason `upstream` | 502 (503 for an upstream rate limit) |
/// | others | 500 |
///
/// A cancelled request's result answers 400, an expired one 410, each with its message.
public struct FalError: Error, Sendable, Hashable {
    public var status: Int
    public var body: Data

    public init(_ error: APIError) {
        switch error.reason {
        case .cancelled?:
            self.init(status: 400, message: error.message)
            return
        case .expired?:
            self.init(status: 410, message: error.message)
            return
        case .upstream?:
            self.init(status: error.code == .rateLimited ? 503 : 502, message: error.message)
            return
        case .notFound?:
            self.init(status: 404, message: error.message)
            return
        case .forbidden?:
            self.init(status: 403, message: error.message)
            return
        default:
            break
        }
        switch error.code {
        case .invalidParameters, .sensitivePrompt, .sensitiveOutput:
            let type =
                error.code == .invalidParameters
                ? (error.violation == .missing ? "missing" : "value_error") : "content_policy_violation"
            var writer = JSONWriter()
            writer.raw("{\"detail\":[{\"loc\":[\"body\"")
            if let field = error.field {
                writer.raw(",")
                writer.string(field)
            }
            writer.raw("],\"msg\":")
            writer.string(error.message)
            writer.raw(",\"type\":")
            writer.string(type)
            writer.raw("}]}")
            self.init(status: 422, body: Data(writer.bytes))
        case .authenticationFailed, .invalidAPIKey: self.init(status: 401, message: error.message)
        case .insufficientBalance: self.init(status: 402, message: error.message)
        case .rateLimited, .connectionLimit, .usageLimitExceeded: self.init(status: 429, message: error.message)
        case .timeout: self.init(status: 504, message: error.message)
        default: self.init(status: 500, message: error.message)
        }
    }

    init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }

    init(status: Int, message: String) {
        var writer = JSONWriter()
        writer.raw("{\"detail\":")
        writer.string(message)
        writer.raw("}")
        self.init(status: status, body: Data(writer.bytes))
    }
}

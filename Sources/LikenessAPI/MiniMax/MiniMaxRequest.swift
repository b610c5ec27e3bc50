import Foundation
import LikenessCore

/// The MiniMax-native `POST /v1/image_generation` body, read into the canonical request. The
/// wire's types are checked here; the contract's rules are `GenerationRequest(validating:)`'s.
/// Unknown fields are ignored.
public enum MiniMaxRequest {
    /// `body` is consumed: its bytes are released as soon as the JSON is parsed, before a
    /// 14 MB data URL is decoded (peak memory per request is a budgeted quantity).
    public static func parse(_ body: consuming Data) throws(APIError) -> GenerationRequest {
        try parseSubmission(body).request
    }

    /// The request, and whether it asks to be answered at once with a task id.
    public static func parseSubmission(_ body: consuming Data) throws(APIError) -> (
        request: GenerationRequest, async: AsyncSubmission
    ) {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        let fields = FieldReader(object)
        let async = try AsyncSubmission.read(fields)
        return (try GenerationRequest(validating: try draft(fields), spelling: .minimax), async)
    }

    static func draft(_ fields: FieldReader) throws(APIError) -> GenerationDraft {
        guard let name = try fields.string("model") else { throw APIError.missing("model") }
        guard let model = ImageModel(rawValue: name) else {
            throw APIError.invalid("model", "must be image-01 or image-01-live")
        }
        var draft = GenerationDraft(model: model)
        if let format = try fields.string("response_format") {
            guard let known = ResponseFormat(rawValue: format) else {
                throw APIError.invalid("response_format", "must be url or base64")
            }
            draft.responseFormat = known
        }
        try draft.readSharedFields(fields)
        try draft.readIdentityFields(fields)
        draft.aspectRatio = try fields.string("aspect_ratio")
        // Documented: with aspect_ratio, width and height are ignored entirely, whatever they hold.
        if draft.aspectRatio == nil {
            draft.width = try fields.integer("width")
            draft.height = try fields.integer("height")
        }
        draft.references = try GenerationDraft.subjectReferences(in: fields) { element throws(APIError) in
            try element.string("image_file")
        }
        if let style = try fields.object("style") {
            let reader = FieldReader(style, path: "style.")
            draft.style = .init(type: try reader.string("style_type"), weight: try reader.number("style_weight"))
        }
        return draft
    }
}

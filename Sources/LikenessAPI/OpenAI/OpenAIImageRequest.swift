import Foundation
import LikenessCore

/// The OpenAI-compatible image dialect (`/v1/images/generations` and `/v1/images/edits`), as
/// gateways such as amux and AIgateway expose image-01. It only translates: the OpenAI body
/// becomes a `GenerationDraft`, and `GenerationRequest(validating:)` applies the rules every
/// dialect shares, naming fields as this caller spelled them.
///
/// What it maps: `model` through the aliases; `size` (see `OpenAISize`); `response_format`
/// `url`/`b64_json`/`base64`; `subject_reference` at the top level (which is also where the
/// SDK's `extra_body` puts it) with `image_file` as a string or an array; `style` nested or flat
/// (`style_type`/`style_weight`); `background` `auto` or `opaque` (`transparent` is refused:
/// image-01 makes opaque images); `output_format` (`jpeg`, `png`, `webp`) and
/// `output_compression` (the JPEG or WebP quality); `stream` and `async` (see `Submission`).
/// What it accepts and ignores: DALL-E's string `style` (`vivid`/`natural`), `quality`,
/// `moderation` (`auto`/`low`), `user`, `partial_images`; and `style` on image-01, which has no
/// effect upstream either.
public enum OpenAIImageRequest {
    /// A request, and how it asks to be answered.
    public struct Submission: Sendable {
        public var request: GenerationRequest
        /// `"async": true` and `callback_url`: answer at once with a task.
        public var async: AsyncSubmission
        /// `stream: true`: answer with server-sent events, one `…completed` event per image (as
        /// base64, as OpenAI streams them). No partial images: image-01 makes none.
        public var stream: Bool
    }

    /// A `/v1/images/generations` JSON body.
    public static func parse(json body: consuming Data, aliases: ModelAliases) throws(APIError) -> GenerationRequest {
        try parseSubmission(json: body, aliases: aliases).request
    }

    public static func parseSubmission(json body: consuming Data, aliases: ModelAliases) throws(APIError)
        -> Submission
    {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        let fields = FieldReader(object)
        let (draft, spelling) = try draft(fields, aliases: aliases)
        return try submission(draft, spelling: spelling, fields: fields)
    }

    /// Validates the draft, with the answer's mode from `fields`.
    static func submission(_ draft: GenerationDraft, spelling: FieldSpelling, fields: FieldReader) throws(APIError)
        -> Submission
    {
        var draft = draft
        let stream = try fields.bool("stream") ?? false
        if stream { draft.responseFormat = .base64 }
        return Submission(
            request: try GenerationRequest(validating: draft, spelling: spelling),
            async: try AsyncSubmission.read(fields), stream: stream)
    }

    /// A `/v1/images/edits` JSON body: the generation fields, and `images`, one `{"image_url"}`
    /// (an http(s) or data URL) or `{"file_id"}` (a file uploaded with `files.create`), the
    /// subject reference.
    public static func parse(editJSON body: consuming Data, aliases: ModelAliases) throws(APIError)
        -> Submission
    {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        let fields = FieldReader(object)
        if fields.contains("mask") { throw maskRefusal }
        guard let images = try fields.array("images"), !images.isEmpty else {
            throw APIError.missing("images", ": one {\"image_url\"}, the subject reference photo")
        }
        guard images.count == 1 else {
            throw APIError.invalid("images", "only one reference image is supported (got \(images.count))")
        }
        guard case .object(let image) = images[0] else { throw APIError.invalid("images[0]", "must be an object") }
        let element = FieldReader(image, path: "images[0].")
        // `file_id` names a file uploaded with `files.create`; `image_url` a URL.
        let reference: GenerationDraft.Image
        let field: String
        if let fileID = try element.string("file_id") {
            (reference, field) = (.upload(fileID), "images[0].file_id")
        } else if let url = try element.string("image_url"), !url.isEmpty {
            (reference, field) = (.text(url), "images[0].image_url")
        } else {
            throw APIError.missing("images[0].image_url", " (or images[0].file_id)")
        }
        var (draft, spelling) = try draft(fields, aliases: aliases)
        draft.references = [GenerationDraft.Reference(type: "character", image: reference)]
        spelling = spelling.renaming([.subjectReference: "images", .referenceImage: field])
        return try submission(draft, spelling: spelling, fields: fields)
    }

    static let maskRefusal = APIError(
        .invalidParameters,
        "invalid params, mask is not supported: image-01 takes a character reference, not an edit mask",
        field: "mask", reason: .unsupported)

    /// A `/v1/images/edits` form as its parts: text fields, and exactly one `image` (or
    /// `image[]`) part, the subject reference. OpenAI's `mask` has no meaning for image-01.
    public static func parse(parts: [MultipartPart], aliases: ModelAliases) throws(APIError) -> Submission {
        if parts.contains(where: { $0.name == "mask" }) { throw maskRefusal }
        let isImage = { (part: MultipartPart) in part.name == "image" || part.name == "image[]" }
        let images = parts.filter(isImage)
        guard images.count <= 1 else {
            throw APIError.invalid("image", "only one reference image is supported (got \(images.count))")
        }
        guard let image = images.first, !image.body.isEmpty else {
            throw APIError.missing("image", ": the subject reference photo")
        }
        var form: [String: String] = [:]
        for part in parts where !part.isFile && !isImage(part) && form[part.name] == nil {
            form[part.name] = String(decoding: part.body, as: UTF8.self)
        }
        return try parse(form: form, reference: image.body, aliases: aliases)
    }

    /// A `/v1/images/edits` form: its text fields and the one reference image, if any.
    public static func parse(form: [String: String], reference: Data?, aliases: ModelAliases) throws(APIError)
        -> Submission
    {
        var fields: [String: JSONValue] = [:]
        for (name, text) in form where name != "subject_reference" {  // the image part is the reference
            fields[name] = try typedFormValue(name: name, text: text)
        }
        let reader = FieldReader(fields)
        var (draft, spelling) = try draft(reader, aliases: aliases)
        draft.references = reference.map { [GenerationDraft.Reference(type: "character", image: .bytes($0))] }
        spelling = spelling.renaming([.subjectReference: "image", .referenceImage: "image"])
        return try submission(draft, spelling: spelling, fields: reader)
    }

    static let integerFields: Set<String> = [
        "n", "seed", "width", "height", "output_compression", "identity_max_attempts",
    ]
    static let booleanFields: Set<String> = ["prompt_optimizer", "aigc_watermark", "stream", "async"]
    static let numberFields: Set<String> = ["style_weight", "identity_threshold"]

    /// Form values are all text; the fields MiniMax types as numbers or booleans are read as such.
    static func typedFormValue(name: String, text: String) throws(APIError) -> JSONValue {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if integerFields.contains(name) {
            guard let value = Int64(trimmed) else { throw APIError.invalid(name, "must be an integer (got \(text))") }
            return .integer(value)
        }
        if booleanFields.contains(name) {
            switch trimmed.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw APIError.invalid(name, "must be true or false (got \(text))")
            }
        }
        if numberFields.contains(name) {
            guard let value = Double(trimmed) else { throw APIError.invalid(name, "must be a number (got \(text))") }
            return .number(value)
        }
        return .string(text)
    }

    /// OpenAI-shaped fields → the canonical draft, and how this body spelled the fields it used.
    static func draft(_ fields: FieldReader, aliases: ModelAliases) throws(APIError) -> (
        GenerationDraft, FieldSpelling
    ) {
        var spelling = FieldSpelling.minimax
        var draft = GenerationDraft()
        if let name = try fields.string("model") {
            guard let known = aliases.model(named: name) else {
                throw APIError(
                    .invalidParameters, "The model `\(name)` does not exist or you do not have access to it.",
                    field: "model", reason: .unknownModel)
            }
            draft.model = known
        }
        try draft.readSharedFields(fields)
        try draft.readIdentityFields(fields)

        switch try fields.string("background") {
        case nil, "auto", "opaque": break
        case "transparent":
            throw APIError(
                .invalidParameters,
                "invalid params, background transparent is not supported: image-01 makes opaque images",
                field: "background", reason: .unsupported)
        default: throw APIError.invalid("background", "must be auto, opaque or transparent")
        }

        draft.outputFormat = try fields.string("output_format")
        draft.outputCompression = try fields.integer("output_compression")

        if let format = try fields.string("response_format") {
            switch format {
            case "url": draft.responseFormat = .url
            case "b64_json", "base64": draft.responseFormat = .base64
            default: throw APIError.invalid("response_format", "must be url, b64_json or base64")
            }
        }

        // aspect_ratio wins over width/height, which win over size.
        if fields.contains("aspect_ratio") {
            draft.aspectRatio = try fields.string("aspect_ratio")
        } else if fields.contains("width") || fields.contains("height") {
            draft.width = try fields.integer("width")
            draft.height = try fields.integer("height")
        } else if let size = try fields.string("size") {
            switch try OpenAISize.resolve(size) {
            case .aspectRatio(let ratio)?: draft.aspectRatio = ratio.rawValue
            case .custom(let pixels)?:
                draft.width = Int64(pixels.width)
                draft.height = Int64(pixels.height)
                spelling = spelling.renaming([.width: "size", .height: "size"])
            case nil: break
            }
        }

        draft.references = try GenerationDraft.subjectReferences(in: fields, imageFile: imageFile)

        // DALL-E's string `style` (vivid, natural) and any style on image-01 change nothing upstream.
        if draft.model == .image01Live {
            if case .object(let style)? = fields.object["style"] {
                let reader = FieldReader(style, path: "style.")
                draft.style = .init(type: try reader.string("style_type"), weight: try reader.number("style_weight"))
            } else if fields.contains("style_type") {
                draft.style = .init(type: try fields.string("style_type"), weight: try fields.number("style_weight"))
                spelling = spelling.renaming([.styleType: "style_type", .styleWeight: "style_weight"])
            }
        }
        return (draft, spelling)
    }

    /// `image_file` may be an array (amux accepts that): its first non-empty string is used.
    static func imageFile(_ element: FieldReader) throws(APIError) -> String? {
        guard case .array(let candidates)? = element.object["image_file"] else {
            return try element.string("image_file")
        }
        for case .string(let text) in candidates where !text.isEmpty { return text }
        return nil
    }
}

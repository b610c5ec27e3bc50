import Foundation

/// The OpenAI-compatible image dialect (`/v1/images/generations` and `/v1/images/edits`), as
/// gateways such as amux and AIgateway expose image-01. The adapter only translates: it rewrites
/// the OpenAI body into MiniMax-native fields and lets `MiniMaxRequest` apply every rule, so the
/// two dialects cannot drift apart.
///
/// What it maps: `model` through the aliases; `size` (see `OpenAISize`); `response_format`
/// `url`/`b64_json`/`base64`; `subject_reference` at the top level (which is also where the
/// SDK's `extra_body` puts it) with `image_file` as a string or an array; `style` nested or flat
/// (`style_type`/`style_weight`). What it ignores without failing: DALL-E's string `style`
/// (`vivid`/`natural`), `quality`, `user`, `output_format` (results are always JPEG),
/// `background`, `moderation`, `output_compression`, `stream`, `partial_images`; and `style`
/// on image-01, which has no effect upstream either.
public enum OpenAIImageRequest {
    /// A `/v1/images/generations` JSON body.
    public static func parse(json body: consuming Data, aliases: ModelAliases) throws(APIError) -> GenerationRequest {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        return try MiniMaxRequest.parse(FieldReader(try translate(object, aliases: aliases)))
    }

    /// A `/v1/images/edits` form: its text fields and the one reference image, if any.
    public static func parse(form: [String: String], reference: Data?, aliases: ModelAliases) throws(APIError)
        -> GenerationRequest
    {
        var fields: [String: JSONValue] = [:]
        for (name, text) in form {
            fields[name] = try typedFormValue(name: name, text: text)
        }
        fields["subject_reference"] = nil  // the image part is the reference
        var request = try MiniMaxRequest.parse(FieldReader(try translate(fields, aliases: aliases)))
        request.subjectReference = reference.map { SubjectReference(source: .inline($0)) }
        return request
    }

    static let integerFields: Set<String> = ["n", "seed", "width", "height"]
    static let booleanFields: Set<String> = ["prompt_optimizer", "aigc_watermark"]
    static let numberFields: Set<String> = ["style_weight"]

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

    /// OpenAI-shaped fields → MiniMax-native fields.
    static func translate(_ object: [String: JSONValue], aliases: ModelAliases) throws(APIError) -> [String: JSONValue]
    {
        let fields = FieldReader(object)
        var native: [String: JSONValue] = [:]

        let model: ImageModel
        if let name = try fields.string("model") {
            guard let known = aliases.model(named: name) else {
                throw APIError(
                    .invalidParameters, "The model `\(name)` does not exist or you do not have access to it.",
                    field: "model", reason: .unknownModel)
            }
            model = known
        } else {
            model = .image01
        }
        native["model"] = .string(model.rawValue)

        for name in ["prompt", "n", "seed", "prompt_optimizer", "aigc_watermark"] {
            native[name] = object[name]
        }

        if let format = try fields.string("response_format") {
            switch format {
            case "url": native["response_format"] = .string("url")
            case "b64_json", "base64": native["response_format"] = .string("base64")
            default: throw APIError.invalid("response_format", "must be url, b64_json or base64")
            }
        }

        // aspect_ratio wins over width/height, which win over size.
        if fields.contains("aspect_ratio") {
            native["aspect_ratio"] = object["aspect_ratio"]
        } else if fields.contains("width") || fields.contains("height") {
            native["width"] = object["width"]
            native["height"] = object["height"]
        } else if let size = try fields.string("size") {
            switch try OpenAISize.resolve(size) {
            case .aspectRatio(let ratio)?: native["aspect_ratio"] = .string(ratio.rawValue)
            case .custom(let pixels)?:
                native["width"] = .integer(Int64(pixels.width))
                native["height"] = .integer(Int64(pixels.height))
            case nil: break
            }
        }

        if let references = try fields.array("subject_reference") {
            native["subject_reference"] = .array(references.map(flattenImageFile))
        }

        if model == .image01Live {
            if case .object? = object["style"] {
                native["style"] = object["style"]
            } else if fields.contains("style_type") {
                var style: [String: JSONValue] = ["style_type": object["style_type"] ?? .null]
                style["style_weight"] = object["style_weight"]
                native["style"] = .object(style)
            }
        }
        return native
    }

    /// `image_file` may be an array (amux accepts that): its first non-empty string is used.
    static func flattenImageFile(_ element: JSONValue) -> JSONValue {
        guard case .object(var object) = element, case .array(let candidates)? = object["image_file"] else {
            return element
        }
        object["image_file"] =
            candidates.first {
                if case .string(let text) = $0 { !text.isEmpty } else { false }
            } ?? .null
        return .object(object)
    }
}

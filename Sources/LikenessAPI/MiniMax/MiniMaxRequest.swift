import Foundation

/// The MiniMax-native `POST /v1/image_generation` body, read into the canonical request.
/// Every rule of the documented contract lives here; unknown fields are ignored.
public enum MiniMaxRequest {
    /// `body` is consumed: its bytes are released as soon as the JSON is parsed, before a
    /// 14 MB data URL is decoded (peak memory per request is a budgeted quantity).
    public static func parse(_ body: consuming Data) throws(APIError) -> GenerationRequest {
        let object = try JSONValue.parseObject(body)
        _ = consume body
        return try parse(FieldReader(object))
    }

    public static func parse(_ fields: FieldReader) throws(APIError) -> GenerationRequest {
        let model = try parseModel(fields)
        let prompt = try parsePrompt(fields)

        var aspectRatio: AspectRatio? = nil
        var size: PixelSize? = nil
        if let ratioText = try fields.string("aspect_ratio") {
            guard let ratio = AspectRatio(rawValue: ratioText) else {
                throw APIError.invalid(
                    "aspect_ratio", "must be one of \(AspectRatio.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard ratio.isSupported(by: model) else {
                throw APIError.invalid("aspect_ratio", "21:9 is not supported by \(model.rawValue)")
            }
            // Documented: aspect_ratio wins and width/height are ignored entirely.
            aspectRatio = ratio
        } else if fields.contains("width") || fields.contains("height") {
            size = try parseCustomSize(fields, model: model)
        } else {
            aspectRatio = .square
        }

        let count = try fields.integer("n") ?? 1
        guard GenerationRequest.countRange.contains(Int(clamping: count)) else {
            throw APIError.invalid("n", "must be an integer in 1...9")
        }

        let responseFormat: ResponseFormat
        if let formatText = try fields.string("response_format") {
            guard let format = ResponseFormat(rawValue: formatText) else {
                throw APIError.invalid("response_format", "must be url or base64")
            }
            responseFormat = format
        } else {
            responseFormat = .url
        }

        return GenerationRequest(
            model: model,
            prompt: prompt,
            aspectRatio: aspectRatio,
            size: size,
            count: Int(count),
            seed: try fields.integer("seed"),
            responseFormat: responseFormat,
            promptOptimizer: try fields.bool("prompt_optimizer") ?? false,
            aigcWatermark: try fields.bool("aigc_watermark") ?? false,
            subjectReference: try parseSubjectReference(fields),
            style: try parseStyle(fields, model: model)
        )
    }

    static func parseModel(_ fields: FieldReader) throws(APIError) -> ImageModel {
        guard let name = try fields.string("model") else {
            throw APIError.invalid("model", "is required")
        }
        guard let model = ImageModel(rawValue: name) else {
            throw APIError.invalid("model", "must be image-01 or image-01-live")
        }
        return model
    }

    static func parsePrompt(_ fields: FieldReader) throws(APIError) -> String {
        guard let prompt = try fields.string("prompt") else {
            throw APIError.invalid("prompt", "is required")
        }
        // Counted in Unicode scalars, as MiniMax's own (Python) limit counts characters.
        let length = prompt.unicodeScalars.count
        guard GenerationRequest.promptLengthRange.contains(length),
            !prompt.allSatisfy(\.isWhitespace)
        else {
            throw APIError.invalid("prompt", "must be 1 to 1500 characters and not blank (got \(length))")
        }
        return prompt
    }

    static func parseCustomSize(_ fields: FieldReader, model: ImageModel) throws(APIError) -> PixelSize {
        guard model == .image01 else {
            throw APIError.invalid("width", "and height are only supported by image-01")
        }
        guard let width = try fields.integer("width"), let height = try fields.integer("height") else {
            throw APIError.invalid(fields.contains("width") ? "height" : "width", "must be set together with the other")
        }
        for (name, side) in [("width", width), ("height", height)] {
            guard PixelSize.customSideRange.contains(Int(clamping: side)),
                side % Int64(PixelSize.customSideMultiple) == 0
            else {
                throw APIError.invalid(name, "must be in 512...2048 and a multiple of 8 (got \(side))")
            }
        }
        return PixelSize(width: Int(width), height: Int(height))
    }

    static func parseSubjectReference(_ fields: FieldReader) throws(APIError) -> SubjectReference? {
        guard let elements = try fields.array("subject_reference"), !elements.isEmpty else { return nil }
        guard elements.count == 1 else {
            throw APIError.invalid("subject_reference", "supports only one element (got \(elements.count))")
        }
        guard case .object(let object) = elements[0] else {
            throw APIError.invalid("subject_reference[0]", "must be an object")
        }
        let element = FieldReader(object, path: "subject_reference[0].")
        guard let type = try element.string("type") else {
            throw APIError.invalid("subject_reference[0].type", "is required")
        }
        guard type == "character" else {
            throw APIError.invalid("subject_reference[0].type", "must be character")
        }
        guard let imageFile = try element.string("image_file"), !imageFile.isEmpty else {
            throw APIError.invalid("subject_reference[0].image_file", "is required")
        }
        return SubjectReference(source: try ReferenceSource.parse(imageFile, field: "subject_reference[0].image_file"))
    }

    static func parseStyle(_ fields: FieldReader, model: ImageModel) throws(APIError) -> LiveStyle? {
        guard let object = try fields.object("style") else { return nil }
        guard model == .image01Live else {
            throw APIError.invalid("style", "is only supported by image-01-live")
        }
        let style = FieldReader(object, path: "style.")
        guard let typeText = try style.string("style_type") else {
            throw APIError.invalid("style.style_type", "is required")
        }
        guard let type = LiveStyleType(rawValue: typeText) else {
            throw APIError.invalid(
                "style.style_type", "must be one of \(LiveStyleType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let weight = try style.number("style_weight") ?? LiveStyle.defaultWeight
        guard weight > 0, weight <= 1 else {
            throw APIError.invalid("style.style_weight", "must be in (0, 1]")
        }
        return LiveStyle(type: type, weight: weight)
    }
}

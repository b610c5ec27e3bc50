import Foundation

/// The canonical request's fields as a dialect read them off its wire, before any rule applies.
///
/// A dialect fills a draft from its own body (wire types are its business: a string where a number
/// belongs is its error), and `GenerationRequest(validating:spelling:)` applies every rule of the
/// contract once, for all dialects, naming each field the way the caller spelled it.
public struct GenerationDraft: Sendable, Hashable {
    /// Model names are a dialect's vocabulary (aliases, defaults), so it resolves them.
    public var model: ImageModel
    public var prompt: String?
    public var aspectRatio: String?
    public var width: Int64?
    public var height: Int64?
    public var count: Int64?
    public var seed: Int64?
    public var responseFormat: ResponseFormat
    public var promptOptimizer: Bool?
    public var aigcWatermark: Bool?
    /// Every element the caller sent; nil or empty means no reference.
    public var references: [Reference]?
    public var style: Style?
    /// `output_format` and `output_compression`, as sent.
    public var outputFormat: String?
    public var outputCompression: Int64?
    /// The consistency guard's fields, as sent (`IdentityGuard`).
    public var identityThreshold: Double?
    public var identityMaxAttempts: Int64?
    public var identityPolicy: String?

    public struct Reference: Sendable, Hashable {
        public var type: String?
        public var image: Image?

        public init(type: String?, image: Image?) {
            self.type = type
            self.image = image
        }
    }

    /// The reference photo as it came: a `data:` or http(s) URL, the bytes of an uploaded file,
    /// a stored character's id (`character_id`), or an uploaded file's (`file_id`).
    public enum Image: Sendable, Hashable {
        case text(String)
        case bytes(Data)
        case character(String)
        case upload(String)
    }

    public struct Style: Sendable, Hashable {
        public var type: String?
        public var weight: Double?

        public init(type: String?, weight: Double?) {
            self.type = type
            self.weight = weight
        }
    }

    public init(model: ImageModel = .image01, responseFormat: ResponseFormat = .url) {
        self.model = model
        self.responseFormat = responseFormat
    }
}

/// The canonical request's fields, for naming them in errors.
public enum RequestField: Sendable, Hashable, CaseIterable {
    case model, prompt, aspectRatio, width, height, count, seed, responseFormat, promptOptimizer, aigcWatermark
    case subjectReference, referenceType, referenceImage, referenceCharacter
    case style, styleType, styleWeight
    case outputFormat, outputCompression
}

/// How one dialect spells each canonical field, so that an error names what the caller sent:
/// MiniMax's `n` is fal's `num_images`; its `subject_reference[0].image_file` is fal's `image_url`
/// and the edits form's `image` part.
public struct FieldSpelling: Sendable, Hashable {
    private var names: [RequestField: String]

    public init(_ names: [RequestField: String]) {
        self.names = names
    }

    public subscript(field: RequestField) -> String {
        names[field] ?? Self.minimax.names[field] ?? "\(field)"
    }

    /// This spelling with some fields named otherwise.
    public func renaming(_ overrides: [RequestField: String]) -> FieldSpelling {
        FieldSpelling(names.merging(overrides) { _, new in new })
    }

    /// MiniMax's own names, which the other dialects mostly share.
    public static let minimax = FieldSpelling([
        .model: "model", .prompt: "prompt", .aspectRatio: "aspect_ratio", .width: "width", .height: "height",
        .count: "n", .seed: "seed", .responseFormat: "response_format", .promptOptimizer: "prompt_optimizer",
        .aigcWatermark: "aigc_watermark", .subjectReference: "subject_reference",
        .referenceType: "subject_reference[0].type", .referenceImage: "subject_reference[0].image_file",
        .referenceCharacter: "subject_reference[0].character_id",
        .style: "style", .styleType: "style.style_type", .styleWeight: "style.style_weight",
        .outputFormat: "output_format", .outputCompression: "output_compression",
    ])
}

extension GenerationRequest {
    /// Applies every rule of the image-01 contract to `draft`: the one validation all dialects share.
    /// Errors are 2013 with the field in `spelling` and the rule it broke.
    public init(validating draft: GenerationDraft, spelling: FieldSpelling) throws(APIError) {
        let model = draft.model
        let prompt = try Self.validPrompt(draft.prompt, name: spelling[.prompt])

        var aspectRatio: AspectRatio? = nil
        var size: PixelSize? = nil
        if let ratioText = draft.aspectRatio {
            guard let ratio = AspectRatio(rawValue: ratioText) else {
                throw APIError.invalid(
                    spelling[.aspectRatio],
                    "must be one of \(AspectRatio.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard ratio.isSupported(by: model) else {
                throw APIError.invalid(spelling[.aspectRatio], "21:9 is not supported by \(model.rawValue)")
            }
            // Documented: aspect_ratio wins and width/height are ignored entirely.
            aspectRatio = ratio
        } else if draft.width != nil || draft.height != nil {
            size = try Self.validCustomSize(draft, spelling: spelling)
        } else {
            aspectRatio = .square
        }

        let count = draft.count ?? 1
        guard Self.countRange.contains(Int(clamping: count)) else {
            throw APIError.invalid(spelling[.count], "must be an integer in 1...9")
        }

        let reference = try Self.validReference(draft.references, spelling: spelling)
        self.init(
            model: model, prompt: prompt, aspectRatio: aspectRatio, size: size, count: Int(count), seed: draft.seed,
            responseFormat: draft.responseFormat, promptOptimizer: draft.promptOptimizer ?? false,
            aigcWatermark: draft.aigcWatermark ?? false, subjectReference: reference,
            style: try Self.validStyle(draft.style, model: model, spelling: spelling),
            output: try Self.validOutput(draft, spelling: spelling),
            identityGuard: try Self.validIdentityGuard(draft, hasReference: reference != nil))
    }

    static func validOutput(_ draft: GenerationDraft, spelling: FieldSpelling) throws(APIError) -> OutputEncoding {
        var format = OutputFormat.jpeg
        if let text = draft.outputFormat {
            // "jpg" too: clients write either.
            guard let known = text == "jpg" ? .jpeg : OutputFormat(rawValue: text) else {
                throw APIError.invalid(spelling[.outputFormat], "must be jpeg, png or webp")
            }
            format = known
        }
        guard let compression = draft.outputCompression else { return OutputEncoding(format: format) }
        guard OutputEncoding.qualityRange.contains(Int(clamping: compression)) else {
            throw APIError.invalid(spelling[.outputCompression], "must be an integer in 0...100")
        }
        // PNG is lossless: OpenAI documents the field for jpeg and webp, and PNG ignores it.
        return OutputEncoding(format: format, quality: Int(compression))
    }

    static func validPrompt(_ prompt: String?, name: String) throws(APIError) -> String {
        guard let prompt else { throw APIError.missing(name) }
        // Counted in Unicode scalars, as MiniMax's own (Python) limit counts characters.
        let length = prompt.unicodeScalars.count
        guard promptLengthRange.contains(length), !prompt.allSatisfy(\.isWhitespace) else {
            throw APIError.invalid(name, "must be 1 to 1500 characters and not blank (got \(length))")
        }
        // A prompt of control, format or other invisible characters describes nothing, and no
        // engine can caption it.
        guard prompt.unicodeScalars.contains(where: \.isVisible) else {
            throw APIError.invalid(name, "must contain at least one visible character")
        }
        return prompt
    }

    static func validCustomSize(_ draft: GenerationDraft, spelling: FieldSpelling) throws(APIError) -> PixelSize {
        let (widthName, heightName) = (spelling[.width], spelling[.height])
        guard draft.model.takesCustomSize else {
            throw APIError.invalid(
                widthName,
                widthName == heightName
                    ? "must be one of the aspect ratios: custom sizes are only supported by image-01"
                    : "and \(heightName) are only supported by image-01")
        }
        guard let width = draft.width, let height = draft.height else {
            throw APIError.invalid(
                draft.width != nil ? heightName : widthName, "must be set together with the other")
        }
        for (name, side) in [(widthName, width), (heightName, height)] {
            guard PixelSize.customSideRange.contains(Int(clamping: side)),
                side % Int64(PixelSize.customSideMultiple) == 0
            else {
                throw APIError.invalid(name, "must be in 512...2048 and a multiple of 8 (got \(side))")
            }
        }
        return PixelSize(width: Int(width), height: Int(height))
    }

    static func validReference(_ references: [GenerationDraft.Reference]?, spelling: FieldSpelling) throws(APIError)
        -> SubjectReference?
    {
        guard let references, let reference = references.first else { return nil }
        guard references.count == 1 else {
            throw APIError.invalid(
                spelling[.subjectReference], "supports only one element (got \(references.count))")
        }
        guard let type = reference.type else { throw APIError.missing(spelling[.referenceType]) }
        guard type == "character" else { throw APIError.invalid(spelling[.referenceType], "must be character") }
        switch reference.image {
        case .text(let text)? where !text.isEmpty:
            return SubjectReference(
                source: try ReferenceSource.parse(text, field: spelling[.referenceImage]),
                field: spelling[.referenceImage])
        case .bytes(let bytes)? where !bytes.isEmpty:
            return SubjectReference(source: .inline(bytes), field: spelling[.referenceImage])
        case .character(let text)?:
            guard let id = CharacterID(text) else {
                throw APIError.invalid(spelling[.referenceCharacter], "must be a character id (chr_ and 32 hex digits)")
            }
            return SubjectReference(source: .character(id), field: spelling[.referenceCharacter])
        case .upload(let text)?:
            guard let id = UploadID(text) else {
                throw APIError.invalid(spelling[.referenceImage], "must be a file id (file- and 32 hex digits)")
            }
            return SubjectReference(source: .upload(id), field: spelling[.referenceImage])
        default:
            throw APIError.missing(spelling[.referenceImage])
        }
    }

    static func validStyle(_ style: GenerationDraft.Style?, model: ImageModel, spelling: FieldSpelling)
        throws(APIError) -> LiveStyle?
    {
        guard let style else { return nil }
        guard !model.styles.isEmpty else {
            throw APIError.invalid(spelling[.style], "is only supported by image-01-live")
        }
        guard let typeText = style.type else { throw APIError.missing(spelling[.styleType]) }
        guard let type = LiveStyleType(rawValue: typeText) else {
            throw APIError.invalid(
                spelling[.styleType],
                "must be one of \(LiveStyleType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let weight = style.weight ?? LiveStyle.defaultWeight
        guard weight > 0, weight <= 1 else { throw APIError.invalid(spelling[.styleWeight], "must be in (0, 1]") }
        return LiveStyle(type: type, weight: weight)
    }
}

extension Unicode.Scalar {
    /// Whether the scalar draws something: not a space, control, format, separator, noncharacter,
    /// default-ignorable or unassigned code point.
    public var isVisible: Bool {
        let properties = self.properties
        if properties.isWhitespace || properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint {
            return false
        }
        switch properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned:
            return false
        default:
            return true
        }
    }
}

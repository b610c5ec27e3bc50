import Foundation
import LikenessCore

/// The MCP dialect: the tools an agent calls (`generate_image`, `generate_from_reference`,
/// `list_jobs`, `get_job`) and how their arguments become the canonical request. Arguments arrive
/// as the JSON object of a `tools/call`; like every dialect, this only translates, and errors
/// name the argument as the agent spelled it.
public enum MCPTools {
    public enum Name: String, Sendable, CaseIterable {
        case generateImage = "generate_image"
        case generateFromReference = "generate_from_reference"
        case listJobs = "list_jobs"
        case getJob = "get_job"
    }

    /// A generation tool's call: the request, and whether to wait for the images (the default)
    /// or answer at once with the job id to poll with `get_job`.
    public struct Generation: Sendable {
        public var request: GenerationRequest
        public var wait: Bool
    }

    /// The reference's argument: an http(s) or `data:` URL (`likeness mcp` turns a local file
    /// path into a `data:` URL before the call leaves the agent's machine), or a stored
    /// character's id (`chr_…`).
    public static let referenceArgument = "reference"

    static let spelling = FieldSpelling.minimax.renaming([
        .subjectReference: referenceArgument, .referenceType: referenceArgument,
        .referenceImage: referenceArgument, .referenceCharacter: referenceArgument, .style: "style",
        .styleType: "style", .styleWeight: "style_weight",
    ])

    /// `generate_image` or `generate_from_reference` arguments (a JSON object) → the request.
    public static func generation(_ tool: Name, arguments: Data) throws(APIError) -> Generation {
        let fields = FieldReader(try JSONValue.parseObject(arguments))
        var draft = GenerationDraft()
        if let name = try fields.string("model") {
            guard let model = ImageModel(rawValue: name) else {
                throw APIError.invalid("model", "must be image-01 or image-01-live")
            }
            draft.model = model
        }
        draft.prompt = try fields.string("prompt")
        draft.aspectRatio = try fields.string("aspect_ratio")
        draft.count = try fields.integer("n")
        draft.seed = try fields.integer("seed")
        draft.aigcWatermark = try fields.bool("aigc_watermark")
        if let style = try fields.string("style") {
            draft.style = .init(type: style, weight: try fields.number("style_weight"))
        }
        if tool == .generateFromReference {
            guard let reference = try fields.string(referenceArgument), !reference.isEmpty else {
                throw APIError.missing(referenceArgument)
            }
            let image: GenerationDraft.Image =
                reference.hasPrefix(CharacterID.prefix) ? .character(reference) : .text(reference)
            draft.references = [.init(type: "character", image: image)]
        }
        return Generation(
            request: try GenerationRequest(validating: draft, spelling: spelling),
            wait: try fields.bool("wait") ?? true)
    }

    /// `get_job`'s argument.
    public static func jobID(arguments: Data) throws(APIError) -> String {
        guard let id = try FieldReader(try JSONValue.parseObject(arguments)).string("job_id") else {
            throw APIError.missing("job_id")
        }
        return id
    }

    /// `list_jobs`'s argument: how many, newest first (default 10, at most 50).
    public static func listLimit(arguments: Data) throws(APIError) -> Int {
        guard let limit = try FieldReader(try JSONValue.parseObject(arguments)).integer("limit") else { return 10 }
        guard (1...50).contains(limit) else { throw APIError.invalid("limit", "must be an integer in 1...50") }
        return Int(limit)
    }
}

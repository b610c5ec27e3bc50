import Foundation
import LikenessCore

/// What MiniMax's native API and the OpenAI-compatible gateways spell the same way, read once
/// for both dialects.
extension GenerationDraft {
    /// The fields MiniMax named and the OpenAI-compatible gateways kept under the same names:
    /// `prompt`, `n`, `seed`, `prompt_optimizer`, `aigc_watermark`.
    public mutating func readSharedFields(_ fields: FieldReader) throws(APIError) {
        prompt = try fields.string("prompt")
        count = try fields.integer("n")
        seed = try fields.integer("seed")
        promptOptimizer = try fields.bool("prompt_optimizer")
        aigcWatermark = try fields.bool("aigc_watermark")
    }

    /// The consistency guard's fields, Likeness's own and spelled alike in every dialect:
    /// `identity_threshold`, `identity_max_attempts`, `identity_policy`.
    public mutating func readIdentityFields(_ fields: FieldReader) throws(APIError) {
        identityThreshold = try fields.number("identity_threshold")
        identityMaxAttempts = try fields.integer("identity_max_attempts")
        identityPolicy = try fields.string("identity_policy")
    }

    /// `subject_reference`, the array of `{"type", "image_file"}` objects that MiniMax defined and
    /// the OpenAI-compatible gateways took over (or `{"type", "character_id"}`, Likeness's). `imageFile` reads an element's image (the
    /// dialects differ in what they accept there). Only the first element is read: the contract
    /// allows one, and says so before looking at the others.
    public static func subjectReferences(
        in fields: FieldReader, imageFile: (FieldReader) throws(APIError) -> String?
    ) throws(APIError) -> [Reference]? {
        guard let elements = try fields.array("subject_reference"), !elements.isEmpty else { return nil }
        // More than one breaks the contract's rule whatever they hold; validation says so.
        guard elements.count == 1 else { return Array(repeating: .init(type: nil, image: nil), count: elements.count) }
        guard case .object(let object) = elements[0] else {
            throw APIError.invalid("subject_reference[0]", "must be an object")
        }
        let reader = FieldReader(object, path: "subject_reference[0].")
        let type = try reader.string("type")
        // Likeness's own: a character stored before, in place of the photo.
        if let character = try reader.string("character_id") {
            guard !reader.contains("image_file") else {
                throw APIError.invalid("subject_reference[0]", "takes image_file or character_id, not both")
            }
            return [.init(type: type, image: .character(character))]
        }
        return [.init(type: type, image: try imageFile(reader).map(GenerationDraft.Image.text))]
    }
}

/// The asynchronous mode the native and OpenAI dialects share: `"async": true` in the body (or
/// `Prefer: respond-async`, which the route reads) answers at once with a task id, and an
/// optional `callback_url` is sent the result when the task ends.
public struct AsyncSubmission: Sendable, Hashable {
    public var requested: Bool
    public var callbackURL: String?

    public init(requested: Bool = false, callbackURL: String? = nil) {
        self.requested = requested
        self.callbackURL = callbackURL
    }

    public static func read(_ fields: FieldReader) throws(APIError) -> AsyncSubmission {
        var submission = AsyncSubmission(requested: try fields.bool("async") ?? false)
        if let callback = try fields.string("callback_url") {
            guard let url = URL(string: callback), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host(percentEncoded: false)?.isEmpty == false
            else {
                throw APIError.invalid("callback_url", "must be an http or https URL")
            }
            submission.callbackURL = callback
        }
        return submission
    }
}

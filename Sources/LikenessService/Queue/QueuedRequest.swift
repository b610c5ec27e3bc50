import Foundation
import LikenessCore
import LikenessStore

/// A canonical request as the queue keeps it: every field, and the per-image seeds fixed at
/// submission (so a job retried after a crash renders the same images). It is the job record's
/// `parameters` JSON; inline reference bytes travel beside it in the job's input, not in it.
struct QueuedRequest: Codable, Hashable {
    var model: ImageModel
    var prompt: String
    var aspectRatio: AspectRatio?
    var width: Int
    var height: Int
    var n: Int
    var seed: Int64?
    var seeds: [UInt64]
    var responseFormat: ResponseFormat
    var promptOptimizer: Bool
    var aigcWatermark: Bool
    var style: LiveStyle?
    /// The reference's URL, a stored character's id, or `inline` (the bytes are in the job input).
    var subjectReference: String?
    /// How the caller spelled the reference's field, when not MiniMax's way (absent then, so
    /// the native form of a request, and its idempotency fingerprint, are as before).
    var referenceField: String?
    /// `output_format` and `output_compression`, absent for the engine's JPEG (so older jobs, and
    /// the fingerprints of requests without them, read as before).
    var outputFormat: OutputFormat?
    var outputQuality: Int?
    /// Absent without `identity_threshold` (so older jobs read as before).
    var identityGuard: IdentityGuard?

    static let inlineReference = "inline"

    init(_ request: GenerationRequest, seeds: [UInt64]) {
        model = request.model
        prompt = request.prompt
        aspectRatio = request.aspectRatio
        width = request.size.width
        height = request.size.height
        n = request.count
        seed = request.seed
        self.seeds = seeds
        responseFormat = request.responseFormat
        promptOptimizer = request.promptOptimizer
        aigcWatermark = request.aigcWatermark
        style = request.style
        subjectReference = request.subjectReference.map { reference in
            switch reference.source {
            case .inline: Self.inlineReference
            case .remote(let url): url.absoluteString
            case .character(let id): id.rawValue
            case .upload(let id): id.rawValue
            }
        }
        outputFormat = request.output.changesEngineOutput ? request.output.format : nil
        outputQuality = request.output.quality
        identityGuard = request.identityGuard
        referenceField = request.subjectReference.flatMap {
            $0.field == SubjectReference.miniMaxField ? nil : $0.field
        }
    }

    /// The job input: this JSON, and the inline reference bytes if there are any.
    static func input(for request: GenerationRequest, seeds: [UInt64]) throws -> JobInput {
        JobInput(request: try QueuedRequest(request, seeds: seeds).json, reference: request.inlineReference)
    }

    init(decoding input: JobInput) throws {
        try self.init(json: input.request)
    }

    /// The form `json` writes (a job's input, and its recorded parameters).
    init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(QueuedRequest.self, from: Data(json.utf8))
    }

    func generationRequest(reference: Data?) throws -> GenerationRequest {
        guard seeds.count == n, GenerationRequest.countRange.contains(n) else {
            throw JobInputError("the job has \(seeds.count) seeds for \(n) images")
        }
        var subject: SubjectReference? = nil
        switch subjectReference {
        case nil: break
        case Self.inlineReference?:
            guard let reference else { throw JobInputError("the job's inline reference image is missing") }
            subject = SubjectReference(
                source: .inline(reference), field: referenceField ?? SubjectReference.miniMaxField)
        case let text?:
            let field = referenceField ?? SubjectReference.miniMaxField
            if let character = CharacterID(text) {
                subject = SubjectReference(source: .character(character), field: field)
                break
            }
            if let upload = UploadID(text) {
                subject = SubjectReference(source: .upload(upload), field: field)
                break
            }
            guard let url = URL(string: text) else { throw JobInputError("the job's reference URL is invalid") }
            subject = SubjectReference(source: .remote(url), field: field)
        }
        return GenerationRequest(
            model: model, prompt: prompt, aspectRatio: aspectRatio, size: PixelSize(width: width, height: height),
            count: n, seed: seed, responseFormat: responseFormat, promptOptimizer: promptOptimizer,
            aigcWatermark: aigcWatermark, subjectReference: subject, style: style,
            output: OutputEncoding(format: outputFormat ?? .jpeg, quality: outputQuality), identityGuard: identityGuard)
    }

    var json: String {
        get throws {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }
}

/// A job input that cannot be turned back into a request (written by an incompatible version,
/// or damaged): that job fails alone.
struct JobInputError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

extension JobRecord {
    /// Whether its request carried the reference inline: the bytes are then a file beside the
    /// images (`PrivateObject.jobInput`) until the job ends. Read from the recorded parameters
    /// without decoding them (a prompt's quotes are escaped there, so it cannot match).
    var hasInputFile: Bool {
        parameters?.contains(#""subject_reference":"\#(QueuedRequest.inlineReference)""#) ?? false
    }
}

import Foundation

/// How the delivered images of a subject-reference request compare with the reference's face:
/// recorded with the job, rendered by every dialect beside its images, summed up in usage.
public struct IdentityReport: Sendable, Hashable, Codable {
    /// One per delivered image, in order: the similarity (0…1) of its largest face to the
    /// reference's, 0 when it has no face, nil when it could not be scored (an image passed
    /// through at its provider has no bytes here).
    public var scores: [Double?]
    /// The guard's threshold, when the request set one.
    public var threshold: Double?
    /// Engine calls made for the request, the first included.
    public var attempts: Int
    /// What the caller should know about the reference: several faces (which one was taken), or
    /// none (with the reference check at `warn`, then there are no scores).
    public var note: String?
    /// One per delivered image: the seed it was made with, when the guard made some again (then
    /// they are no longer the request's); nil otherwise.
    public var seeds: [UInt64]?

    public init(
        scores: [Double?], threshold: Double? = nil, attempts: Int = 1, note: String? = nil, seeds: [UInt64]? = nil
    ) {
        self.scores = scores
        self.threshold = threshold
        self.attempts = attempts
        self.note = note
        self.seeds = seeds
    }

    /// With a guard: whether each delivered image reached its threshold (an unscored one never does).
    public var passed: [Bool]? {
        threshold.map { threshold in scores.map { score in score.map { $0 >= threshold } ?? false } }
    }

    /// A score as logs and messages write it: three decimals, or `unscored`.
    public static func formatted(_ score: Double?) -> String {
        score.map { String(format: "%.3f", $0) } ?? "unscored"
    }

    /// The lowest score of the delivered images, as `X-Likeness-Identity` and usage report it.
    public var lowest: Double? { scores.compactMap { $0 }.min() }

    /// Scores as the wire shows them: three decimals.
    public static func rounded(_ score: Double) -> Double {
        (score * 1000).rounded() / 1000
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A report this store wrote; nil for anything else.
    public init?(json: String) {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let report = try? decoder.decode(IdentityReport.self, from: Data(json.utf8)) else { return nil }
        self = report
    }
}

import Foundation

/// The consistency guard a request may ask for with a subject reference: images whose identity
/// score (0…1, the similarity of their face to the reference's) is under `threshold` are made
/// again with new seeds, until they pass or `maxAttempts` calls have been made for them.
public struct IdentityGuard: Sendable, Hashable, Codable {
    public enum Policy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Deliver every image: those that never passed are the best of their attempts, flagged.
        case best
        /// Withhold the images that never passed (counted as failed, never charged).
        case strict
    }

    public var threshold: Double
    /// Engine calls an image may take, the first included.
    public var maxAttempts: Int
    public var policy: Policy

    public static let defaultMaxAttempts = 2
    public static let maxAttemptsRange = 1...5

    public init(threshold: Double, maxAttempts: Int = defaultMaxAttempts, policy: Policy = .best) {
        self.threshold = threshold
        self.maxAttempts = maxAttempts
        self.policy = policy
    }
}

extension GenerationRequest {
    /// `identity_threshold`, `identity_max_attempts`, `identity_policy`: spelled the same in every
    /// dialect (they are Likeness's own), and meaningful only with a subject reference.
    static func validIdentityGuard(_ draft: GenerationDraft, hasReference: Bool) throws(APIError) -> IdentityGuard? {
        guard let threshold = draft.identityThreshold else {
            for (name, given) in [
                ("identity_max_attempts", draft.identityMaxAttempts != nil),
                ("identity_policy", draft.identityPolicy != nil),
            ] where given {
                throw APIError.invalid(name, "needs identity_threshold")
            }
            return nil
        }
        guard threshold.isFinite, (0...1).contains(threshold) else {
            throw APIError.invalid("identity_threshold", "must be a number in 0...1")
        }
        guard hasReference else {
            throw APIError.invalid("identity_threshold", "needs a subject reference to compare the images with")
        }
        var guardSettings = IdentityGuard(threshold: threshold)
        if let attempts = draft.identityMaxAttempts {
            guard IdentityGuard.maxAttemptsRange.contains(Int(clamping: attempts)) else {
                throw APIError.invalid("identity_max_attempts", "must be an integer in 1...5")
            }
            guardSettings.maxAttempts = Int(attempts)
        }
        if let policyText = draft.identityPolicy {
            guard let policy = IdentityGuard.Policy(rawValue: policyText) else {
                throw APIError.invalid("identity_policy", "must be best or strict")
            }
            guardSettings.policy = policy
        }
        return guardSettings
    }
}

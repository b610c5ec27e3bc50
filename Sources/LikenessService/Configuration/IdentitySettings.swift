import Configuration
import Foundation

/// Identity scoring: `likeness.identity.*`.
///
/// - `scoring` (`LIKENESS_IDENTITY_SCORING`): `on` (default) or `off`.
/// - `models` (`LIKENESS_IDENTITY_MODELS`): the folder with dlib's 5-point landmark model and ResNet
///   face descriptor (`scripts/face-models.sh` installs them). Default
///   `/usr/local/share/likeness/face-models`. Without them the server starts, says so once, and
///   scores nothing.
/// - `threads` (`LIKENESS_IDENTITY_THREADS`): images scored at once. Default: half the cores.
/// - `referenceCheck` (`LIKENESS_IDENTITY_REFERENCE_CHECK`): `warn` (default) lets a reference
///   without a usable face through, unscored, with a note (a drawn or stylised character is a
///   valid image-01 reference that dlib does not see as a face); `reject` refuses it; `off`
///   says nothing.
/// - `minFacePixels` (`LIKENESS_IDENTITY_MIN_FACE_PIXELS`): the smallest usable face side, in
///   pixels of the photo as analysed (fitted within 1024 × 1024). Default 40.
public struct IdentitySettings: Sendable, Hashable {
    public enum ReferenceCheck: String, Sendable, Hashable, CaseIterable {
        case reject, warn, off
    }

    public var scoring: Bool
    public var models: String
    public var threads: Int
    public var referenceCheck: ReferenceCheck
    public var minimumFaceSide: Int

    public static let defaultModelsDirectory = "/usr/local/share/likeness/face-models"

    public init(
        scoring: Bool = true, models: String = Self.defaultModelsDirectory,
        threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2),
        referenceCheck: ReferenceCheck = .warn, minimumFaceSide: Int = 40
    ) {
        self.scoring = scoring
        self.models = models
        self.threads = threads
        self.referenceCheck = referenceCheck
        self.minimumFaceSide = minimumFaceSide
    }

    /// Nothing scored, nothing checked.
    public static let off = IdentitySettings(scoring: false, referenceCheck: .off)

    package init(_ keys: ConfigReader) throws {
        self.init()
        switch keys.string(forKey: "scoring", default: "on") {
        case "on", "true", "1": scoring = true
        case "off", "false", "0": scoring = false
        case let other: throw ConfigurationError("LIKENESS_IDENTITY_SCORING must be on or off (got \(other))")
        }
        models = keys.string(forKey: "models", default: Self.defaultModelsDirectory)
        threads = max(1, keys.int(forKey: "threads", default: threads))
        let check = keys.string(forKey: "referenceCheck", default: referenceCheck.rawValue)
        guard let known = ReferenceCheck(rawValue: check) else {
            throw ConfigurationError("LIKENESS_IDENTITY_REFERENCE_CHECK must be reject, warn or off (got \(check))")
        }
        referenceCheck = known
        minimumFaceSide = max(1, keys.int(forKey: "minFacePixels", default: minimumFaceSide))
    }
}

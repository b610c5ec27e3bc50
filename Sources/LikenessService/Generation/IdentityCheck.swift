import Crypto
import Foundation
import LikenessCore
import LikenessEngines
import LikenessFaces
import LikenessStore
import Logging
import Synchronization

/// The face checks of subject reference: the reference must show a usable face (per
/// `IdentitySettings.referenceCheck`), and each image made from it is scored against that face.
/// Without a scorer (scoring off, or the models missing) nothing is checked or scored.
package struct IdentityCheck: Sendable {
    let scorer: FaceScorer?
    let settings: IdentitySettings
    /// References seen lately, by content: a character's photo is sent again and again, and
    /// finding its face takes as long as scoring an image.
    let recentReferences = RecentReferences(capacity: 256)

    /// What the reference gave: the subject's face (a character's may come from several photos),
    /// its size in the photo, and what the caller should be told about it.
    struct Reference: Sendable {
        var face: SubjectFaces?
        var faceSize: PixelSize?
        var note: String?
    }

    /// Loads the models once per process (every application of a test process shares them). When
    /// they cannot be loaded the server still starts: it says so once, here, and scores nothing.
    package static func load(_ settings: IdentitySettings, logger: Logger) -> IdentityCheck {
        guard settings.scoring else { return IdentityCheck(scorer: nil, settings: settings) }
        let key = "\(settings.models)|\(settings.threads)"
        let loaded = loadedScorers.withLock { scorers in
            if let scorer = scorers[key] { return Result<FaceScorer, FaceScoringError>.success(scorer) }
            let result = Result { () throws(FaceScoringError) in
                try FaceScorer(
                    files: FaceModelFiles(directory: URL(filePath: settings.models)),
                    settings: .init(threads: settings.threads))
            }
            if case .success(let scorer) = result { scorers[key] = scorer }
            return result
        }
        switch loaded {
        case .success(let scorer):
            logger.info(
                "identity scoring on",
                metadata: [
                    "models": "\(settings.models)", "threads": "\(settings.threads)",
                    "reference_check": "\(settings.referenceCheck.rawValue)",
                ])
            return IdentityCheck(scorer: scorer, settings: settings)
        case .failure(let error):
            logger.warning(
                "identity scoring is off: the face models cannot be loaded; install them with scripts/face-models.sh",
                metadata: ["models": "\(settings.models)", "error": "\(error.message)"])
            return IdentityCheck(scorer: nil, settings: settings)
        }
    }

    private static let loadedScorers = Mutex<[String: FaceScorer]>([:])

    /// Finds the subject's face in a reference that intake has already accepted as an image.
    /// `field` is the reference's field as the caller spelled it. Refuses (2013) a reference
    /// without a usable face when the check is `reject`.
    func examine(reference bytes: Data, field: String, logger: Logger) async throws(APIError) -> Reference {
        guard let scorer else { return Reference() }
        let key = RecentReferences.key(bytes, field: field)
        if let known = recentReferences.reference(for: key) { return known }
        let reference = try await examine(reference: bytes, field: field, scorer: scorer, logger: logger)
        recentReferences.remember(reference, for: key)
        return reference
    }

    private func examine(reference bytes: Data, field: String, scorer: FaceScorer, logger: Logger)
        async throws(APIError) -> Reference
    {
        let check = settings.referenceCheck
        let analysis: FaceAnalysis
        do {
            analysis = try await scorer.analyze(bytes)
        } catch {
            // Intake decoded it already: this is the scorer's failure, not the caller's.
            logger.error("cannot analyse a reference", metadata: ["error": "\(error.message)"])
            return Reference(note: "the reference could not be analysed; the images are not scored")
        }
        guard let subject = analysis.subject, let face = subject.descriptor else {
            let problem = "no face found in \(field)"
            if check == .reject { throw Self.refusal(problem, field: field) }
            return Reference(note: check == .warn ? "\(problem); the images are not scored" : nil)
        }
        let size = "\(subject.width)×\(subject.height) px"
        if min(subject.width, subject.height) < settings.minimumFaceSide {
            let problem =
                "the face in \(field) is \(size), too small to compare (at least \(settings.minimumFaceSide) px "
                + "in the photo fitted within \(scorer.settings.analysisSide) px)"
            switch check {
            case .reject: throw Self.refusal(problem, field: field)
            case .warn: return Reference(note: "\(problem); the images are not scored")
            case .off: break
            }
        }
        let faceSize = PixelSize(width: subject.width, height: subject.height)
        guard analysis.faceCount > 1 else { return Reference(face: SubjectFaces(face), faceSize: faceSize) }
        return Reference(
            face: SubjectFaces(face), faceSize: faceSize,
            note: "\(analysis.faceCount) faces found in \(field); the largest (\(size)) is the subject")
    }

    private static func refusal(_ problem: String, field: String) -> APIError {
        var error = APIError(.invalidParameters, "invalid params, \(problem)", field: field)
        error.violation = .invalid
        return error
    }

    /// Each image's similarity to `reference`: its largest face's, 0 when it has none, nil when
    /// it cannot be scored (passed through at its provider, or unreadable). Scored side by side,
    /// as many at once as the scorer has threads.
    func scores(_ images: [EngineImage], against reference: SubjectFaces, logger: Logger) async -> [Double?] {
        guard let scorer else { return images.map { _ in nil } }
        return await withTaskGroup(of: (Int, Double?).self) { group in
            for (index, image) in images.enumerated() where image.remoteURL == nil {
                group.addTask {
                    do {
                        let analysis = try await scorer.analyze(image.jpeg)
                        return (index, analysis.subject?.descriptor.map { reference.similarity(to: $0) } ?? 0)
                    } catch {
                        logger.error("cannot score an image", metadata: ["error": "\(error)"])
                        return (index, nil)
                    }
                }
            }
            var scores = [Double?](repeating: nil, count: images.count)
            for await (index, score) in group { scores[index] = score }
            return scores
        }
    }
}

/// The last `capacity` references examined, by the SHA-256 of their bytes and the field they came
/// in (the field is in the note). A refused reference is not kept: it is refused again.
final class RecentReferences: Sendable {
    private struct Entries {
        var byKey: [String: IdentityCheck.Reference] = [:]
        var order: [String] = []
    }

    private let capacity: Int
    private let entries = Mutex(Entries())

    init(capacity: Int) {
        self.capacity = capacity
    }

    static func key(_ bytes: Data, field: String) -> String {
        "\(SHA256.hash(data: bytes).hexadecimal) \(field)"
    }

    func reference(for key: String) -> IdentityCheck.Reference? {
        entries.withLock { $0.byKey[key] }
    }

    /// Keeps `reference`, forgetting the oldest one past `capacity`.
    func remember(_ reference: IdentityCheck.Reference, for key: String) {
        entries.withLock { entries in
            if entries.byKey.updateValue(reference, forKey: key) == nil { entries.order.append(key) }
            if entries.order.count > capacity { entries.byKey[entries.order.removeFirst()] = nil }
        }
    }
}

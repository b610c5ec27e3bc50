import Foundation

/// The identity tests' photographs and models, as `scripts/face-models.sh --photos` installs them
/// (the test script runs it): three photos of one person (`obama*`), one of another (`biden`),
/// partial faces, and scikit-image's `astronaut`.
public enum FacePhotos {
    /// `LIKENESS_TEST_FACE_PHOTOS`, or `.cache/face-photos` in the package.
    public static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["LIKENESS_TEST_FACE_PHOTOS"] {
            return URL(filePath: path)
        }
        return packageRoot.appending(path: ".cache/face-photos")
    }()

    /// `LIKENESS_IDENTITY_MODELS`, or where the server looks by default.
    public static let modelsDirectory = URL(
        filePath: ProcessInfo.processInfo.environment["LIKENESS_IDENTITY_MODELS"]
            ?? "/usr/local/share/likeness/face-models")

    public static let samePerson = ["obama", "obama2", "obama3"]
    public static let otherPerson = "biden"

    /// A photo's bytes, or an error that says how to install them.
    public static func bytes(_ name: String) throws -> Data {
        let candidates = ["jpg", "png"].map { directory.appending(path: "\(name).\($0)") }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw MissingFixture(
                "no photo \(name) in \(directory.path): run scripts/face-models.sh --photos .cache/face-photos")
        }
        return try Data(contentsOf: file)
    }

    private static let packageRoot = URL(filePath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

public struct MissingFixture: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

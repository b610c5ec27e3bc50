import CFaces
import Foundation
import LikenessImaging

/// dlib's CNN (MMOD) face detector, shipped in the same model package as the descriptor, loaded
/// to compare it with the HOG detector that scoring uses (`LikenessBench detectors`). Not
/// `Sendable`: one caller, one thread at a time.
public final class CNNFaceDetector {
    public static let fileName = "mmod_human_face_detector.dat"
    private let pointer: OpaquePointer

    public init(directory: URL) throws(FaceScoringError) {
        let path = directory.appending(path: Self.fileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw FaceScoringError(.modelsMissing, "\(path) does not exist")
        }
        var error = [CChar](repeating: 0, count: 512)
        guard let loaded = lk_cnn_detector_load(path, &error, error.count) else {
            throw FaceScoringError(.modelsUnreadable, errorText(error))
        }
        pointer = loaded
    }

    deinit { lk_cnn_detector_free(pointer) }

    /// How many faces it finds in an encoded photo, fitted within `side` pixels.
    public func faceCount(in bytes: Data, side: Int) throws(FaceScoringError) -> Int {
        let image: RasterImage
        do {
            image = try RasterImage.fitting(decoding: bytes, within: max(side, 64))
        } catch {
            throw FaceScoringError(.unreadableImage, error.message)
        }
        var error = [CChar](repeating: 0, count: 512)
        let found = image.withRGBPixels { pixels, rowBytes in
            lk_cnn_detector_detect(
                pointer, pixels, Int32(image.width), Int32(image.height), Int32(rowBytes), Int32(side), &error,
                error.count)
        }
        guard found >= 0 else {
            throw FaceScoringError(.analysisFailed, errorText(error))
        }
        return Int(found)
    }
}

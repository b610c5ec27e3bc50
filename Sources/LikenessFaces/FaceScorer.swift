import CFaces
import Foundation
import LikenessImaging
import NIOPosix
import Synchronization

/// Faces and 128-d face descriptors, from dlib on the CPU: frontal face detection (HOG), dlib's
/// 5-point landmarks to align each face, and its ResNet descriptor network.
///
/// The models load once. Scoring runs on the scorer's own threads (`threads` of them, so at most
/// that many images at once), never on Swift's cooperative pool: one image is a few hundred
/// milliseconds of arithmetic.
public final class FaceScorer: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Images at once, each on its own thread with its own copy of the network.
        public var threads: Int
        /// Photos are shrunk to fit this square before anything else (never enlarged).
        public var analysisSide: Int
        /// Detection runs at this size at most; a portrait's face stays far above the detector's
        /// 80-pixel window.
        public var detectionSide: Int
        /// When nothing is found, detection runs again at twice the size, up to this many pixels:
        /// how small faces are still found. The default reaches 2048 × 2048; each doubling costs
        /// about four times the detection before it, and only when nothing was found.
        public var upsampledPixels: Int

        public init(
            threads: Int = 1, analysisSide: Int = 1024, detectionSide: Int = 512, upsampledPixels: Int = 4_200_000
        ) {
            self.threads = threads
            self.analysisSide = analysisSide
            self.detectionSide = detectionSide
            self.upsampledPixels = upsampledPixels
        }
    }

    public let settings: Settings
    public let files: FaceModelFiles
    private let workers: Workers
    private let threads: NIOThreadPool

    /// Faces beyond this many are counted but not located.
    static let faceCapacity = 16

    /// Loads the models from `files`; throws when a file is missing or is not the model it names.
    public init(files: FaceModelFiles, settings: Settings = Settings()) throws(FaceScoringError) {
        for path in [files.landmarks, files.descriptor] where !FileManager.default.fileExists(atPath: path.path) {
            throw FaceScoringError(.modelsMissing, "\(path.path) does not exist")
        }
        var error = [CChar](repeating: 0, count: 512)
        guard let loaded = lk_face_models_load(files.landmarks.path, files.descriptor.path, &error, error.count) else {
            throw FaceScoringError(.modelsUnreadable, errorText(error))
        }
        // Each worker copies what it needs; the loaded originals go once the workers exist.
        defer { lk_face_models_free(loaded) }
        var made: [WorkerHandle] = []
        for _ in 0..<max(1, settings.threads) {
            guard let worker = lk_face_worker_create(loaded, &error, error.count) else {
                for earlier in made { lk_face_worker_free(earlier.pointer) }
                throw FaceScoringError(.modelsUnreadable, errorText(error))
            }
            made.append(WorkerHandle(pointer: worker))
        }
        self.files = files
        self.settings = settings
        self.workers = Workers(made)
        self.threads = NIOThreadPool(numberOfThreads: made.count)
        threads.start()
    }

    deinit {
        // Without waiting: work already queued holds the workers, not the scorer, and finishes.
        threads.shutdownGracefully { _ in }
    }

    /// Finds the faces in an encoded photo (JPEG, PNG, WebP), largest first, and describes the
    /// largest `describe` of them. Untrusted bytes: the header is checked against `limits` before
    /// a pixel is decoded.
    public func analyze(_ bytes: Data, describe: Int = 1, limits: DecodeLimits = DecodeLimits())
        async throws(FaceScoringError) -> FaceAnalysis
    {
        let result: Result<FaceAnalysis, FaceScoringError>
        do {
            result = try await threads.runIfActive { [workers, settings] in
                Result { () throws(FaceScoringError) in
                    try workers.analyze(bytes, describe: describe, limits: limits, settings: settings)
                }
            }
        } catch {
            throw FaceScoringError(.stopped, "the face scorer has stopped")
        }
        return try result.get()
    }

}

/// The scorer's workers, one per thread: each thread takes one from the idle list for an image
/// and puts it back, so one thread at a time uses a worker. Freed when the last image is done.
private final class Workers: Sendable {
    private let idle: Mutex<[WorkerHandle]>

    init(_ workers: [WorkerHandle]) {
        idle = Mutex(workers)
    }

    deinit {
        idle.withLock { workers in
            for worker in workers { lk_face_worker_free(worker.pointer) }
        }
    }

    /// `FaceScorer.analyze`, on the calling thread (one of the scorer's).
    func analyze(_ bytes: Data, describe: Int, limits: DecodeLimits, settings: FaceScorer.Settings)
        throws(FaceScoringError) -> FaceAnalysis
    {
        let image: RasterImage
        do {
            image = try RasterImage.fitting(decoding: bytes, within: settings.analysisSide, limits: limits)
        } catch {
            throw FaceScoringError(.unreadableImage, error.message)
        }
        // The pool has as many threads as workers, so one is always idle for the thread running this.
        let worker = idle.withLock { $0.removeLast() }
        defer { idle.withLock { $0.append(worker) } }
        var faces = [lk_face](repeating: lk_face(), count: FaceScorer.faceCapacity)
        var error = [CChar](repeating: 0, count: 512)
        let found = image.withRGBPixels { pixels, rowBytes in
            lk_face_worker_analyze(
                worker.pointer, pixels, Int32(image.width), Int32(image.height), Int32(rowBytes),
                Int32(settings.detectionSide), Int64(settings.upsampledPixels), &faces, Int32(faces.count),
                Int32(describe), &error, error.count)
        }
        guard found >= 0 else { throw FaceScoringError(.analysisFailed, errorText(error)) }
        let located = faces.prefix(min(Int(found), FaceScorer.faceCapacity)).map(DetectedFace.init)
        return FaceAnalysis(width: image.width, height: image.height, faceCount: Int(found), faces: Array(located))
    }
}

/// One thread's detector, landmarks and network. Moves between threads only through the
/// scorer's idle list, so one thread at a time uses it.
private struct WorkerHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The faces found in one photo, as analysed (fitted within `FaceScorer.Settings.analysisSide`).
public struct FaceAnalysis: Sendable, Hashable {
    /// The analysed image's size, which box coordinates refer to.
    public var width: Int
    public var height: Int
    /// Every face found (`faces` holds at most 16 of them).
    public var faceCount: Int
    /// Largest first.
    public var faces: [DetectedFace]

    public init(width: Int, height: Int, faceCount: Int, faces: [DetectedFace]) {
        self.width = width
        self.height = height
        self.faceCount = faceCount
        self.faces = faces
    }

    /// The subject: the largest face.
    public var subject: DetectedFace? { faces.first }
}

public struct DetectedFace: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    /// Present for the faces that were described (the largest first).
    public var descriptor: FaceDescriptor?

    init(_ face: lk_face) {
        x = Int(face.left)
        y = Int(face.top)
        width = Int(face.right - face.left + 1)
        height = Int(face.bottom - face.top + 1)
        descriptor =
            face.described == 0
            ? nil
            : withUnsafeBytes(of: face.descriptor) { FaceDescriptor(Array($0.bindMemory(to: Float.self))) }
    }
}

/// A face's position in dlib's 128-d face space: two photos of one person lie close together.
public struct FaceDescriptor: Sendable, Hashable, Codable {
    public var values: [Float]

    public init(_ values: [Float]) {
        precondition(values.count == Int(LK_FACE_DESCRIPTOR_LENGTH), "a face descriptor has 128 components")
        self.values = values
    }

    /// Euclidean distance: dlib treats under 0.6 as the same person.
    public func distance(to other: FaceDescriptor) -> Double {
        var sum = 0.0
        for (a, b) in zip(values, other.values) {
            let difference = Double(a) - Double(b)
            sum += difference * difference
        }
        return sum.squareRoot()
    }

    /// `IdentitySimilarity` of the two faces.
    public func similarity(to other: FaceDescriptor) -> Double {
        IdentitySimilarity.from(distance: distance(to: other))
    }
}

extension FaceDescriptor {
    /// Its 128 components as little-endian 32-bit floats (512 bytes), for sealed storage.
    public var bytes: Data {
        var data = Data(capacity: values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The descriptor `bytes` wrote; nil for anything else.
    public init?(bytes: Data) {
        guard bytes.count == Int(LK_FACE_DESCRIPTOR_LENGTH) * 4 else { return nil }
        let bytes = [UInt8](bytes)
        self.init(
            stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            })
    }
}

/// The face of a subject given by one or more photos (a character holds up to five): an image is
/// scored against the centroid of their descriptors, which averages away what one photo's light
/// and pose put in it (docs/BENCHMARKS.md, "A character's photos combined").
public struct SubjectFaces: Sendable, Hashable {
    public let descriptors: [FaceDescriptor]
    public let centroid: FaceDescriptor

    /// Nil without a descriptor.
    public init?(_ descriptors: [FaceDescriptor]) {
        guard let first = descriptors.first else { return nil }
        self.descriptors = descriptors
        var sum = [Double](repeating: 0, count: first.values.count)
        for descriptor in descriptors {
            for (index, value) in descriptor.values.enumerated() { sum[index] += Double(value) }
        }
        centroid = FaceDescriptor(sum.map { Float($0 / Double(descriptors.count)) })
    }

    public init(_ descriptor: FaceDescriptor) {
        descriptors = [descriptor]
        centroid = descriptor
    }

    /// `IdentitySimilarity` of `face` to the subject.
    public func similarity(to face: FaceDescriptor) -> Double {
        centroid.similarity(to: face)
    }
}

/// The score callers see: 1 − distance / 1.2, clamped to 0…1. dlib's same-person threshold of 0.6
/// distance is 0.5 here; two photos of one person usually score 0.7–0.95, two people under 0.4.
public enum IdentitySimilarity {
    /// The distance at which the similarity reaches 0: twice dlib's same-person threshold.
    public static let zeroAtDistance = 1.2
    /// dlib's threshold, as a similarity.
    public static let samePersonThreshold = from(distance: 0.6)

    public static func from(distance: Double) -> Double {
        min(1, max(0, 1 - distance / zeroAtDistance))
    }
}

public struct FaceScoringError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case modelsMissing, modelsUnreadable, unreadableImage, analysisFailed, stopped
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// The two model files, as the PyPI package `face_recognition_models` ships them.
public struct FaceModelFiles: Sendable, Hashable {
    public var landmarks: URL
    public var descriptor: URL

    public static let landmarksName = "shape_predictor_5_face_landmarks.dat"
    public static let descriptorName = "dlib_face_recognition_resnet_model_v1.dat"

    public init(directory: URL) {
        landmarks = directory.appending(path: Self.landmarksName)
        descriptor = directory.appending(path: Self.descriptorName)
    }
}

/// The message a C call wrote into `buffer`, up to its terminating zero.
func errorText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

import Foundation
import LikenessFaces
import LikenessImaging
import LikenessTestSupport
import Testing

/// One scorer for the suite: the models take a moment to load.
let sharedScorer: Result<FaceScorer, any Error> = Result {
    try FaceScorer(files: FaceModelFiles(directory: FacePhotos.modelsDirectory), settings: .init(threads: 2))
}

func scorer() throws -> FaceScorer {
    try sharedScorer.get()
}

func subject(_ name: String, _ scorer: FaceScorer) async throws -> FaceDescriptor {
    let analysis = try await scorer.analyze(try FacePhotos.bytes(name))
    return try #require(analysis.subject?.descriptor, "no face described in \(name)")
}

@Suite("Face scoring (dlib)")
struct FaceScorerTests {
    @Test("Three photos of one person score as the same person, above dlib's threshold")
    func samePerson() async throws {
        let scorer = try scorer()
        var descriptors: [FaceDescriptor] = []
        for name in FacePhotos.samePerson { descriptors.append(try await subject(name, scorer)) }
        for (index, first) in descriptors.enumerated() {
            for second in descriptors[(index + 1)...] {
                #expect(first.distance(to: second) < 0.6)
                #expect(first.similarity(to: second) > IdentitySimilarity.samePersonThreshold)
            }
        }
    }

    @Test("A character's centroid is the mean of its descriptors, and survives sealing's byte form")
    func centroid() async throws {
        let scorer = try scorer()
        var descriptors: [FaceDescriptor] = []
        for name in FacePhotos.samePerson { descriptors.append(try await subject(name, scorer)) }
        let faces = try #require(SubjectFaces(descriptors))
        for component in [0, 63, 127] {
            let mean = descriptors.map { Double($0.values[component]) }.reduce(0, +) / Double(descriptors.count)
            #expect(abs(Double(faces.centroid.values[component]) - mean) < 1e-6)
        }
        #expect(FaceDescriptor(bytes: faces.centroid.bytes) == faces.centroid)
        #expect(FaceDescriptor(bytes: faces.centroid.bytes.prefix(100)) == nil)
        #expect(SubjectFaces([]) == nil)
        let other = try await subject(FacePhotos.otherPerson, scorer)
        #expect(faces.similarity(to: other) < IdentitySimilarity.samePersonThreshold)
        #expect(faces.similarity(to: descriptors[0]) > IdentitySimilarity.samePersonThreshold)
    }

    @Test("The CNN (MMOD) detector, kept for comparison, finds the face in a photograph and none in a gradient")
    func cnnDetector() throws {
        let detector = try CNNFaceDetector(directory: FacePhotos.modelsDirectory)
        #expect(try detector.faceCount(in: try FacePhotos.bytes("obama"), side: 512) == 1)
        let gradient = try RasterImage.gradient(
            width: 400, height: 400, from: RGB(10, 20, 30), to: RGB(200, 210, 220), vertical: true
        ).encoded(as: .jpeg(quality: 90))
        #expect(try detector.faceCount(in: gradient, side: 512) == 0)
        #expect(throws: FaceScoringError.self) { try detector.faceCount(in: Data("not a picture".utf8), side: 512) }
    }

    @Test("Two different people score below dlib's threshold")
    func differentPeople() async throws {
        let scorer = try scorer()
        let other = try await subject(FacePhotos.otherPerson, scorer)
        for name in FacePhotos.samePerson {
            let descriptor = try await subject(name, scorer)
            #expect(descriptor.distance(to: other) > 0.6)
            #expect(descriptor.similarity(to: other) < IdentitySimilarity.samePersonThreshold)
        }
    }

    @Test("The similarity is 1 − distance / 1.2, clamped, and dlib's 0.6 is 0.5")
    func similarityScale() {
        #expect(IdentitySimilarity.samePersonThreshold == 0.5)
        #expect(IdentitySimilarity.from(distance: 0) == 1)
        #expect(IdentitySimilarity.from(distance: 0.3) == 0.75)
        #expect(IdentitySimilarity.from(distance: 2) == 0)
    }

    @Test("A picture without a face has none")
    func noFace() async throws {
        let gradient = try RasterImage.gradient(
            width: 640, height: 480, from: RGB(20, 40, 200), to: RGB(240, 200, 10), vertical: true)
        let analysis = try await scorer().analyze(try gradient.encoded(as: .png))
        #expect(analysis.faceCount == 0)
        #expect(analysis.subject == nil)
    }

    @Test("A small face is found by detecting again at larger sizes, and not without that")
    func smallFaceUpsampled() async throws {
        // A portrait shrunk so that its face is about 50 px, on a 1000 px canvas: at the 512 px
        // detection size it is 25 px, far under the detector's 80-pixel window.
        let small = try RasterImage.cover(decoding: try FacePhotos.bytes("obama2"), width: 110, height: 210)
        let canvas = try RasterImage.gradient(
            width: 1000, height: 1000, from: RGB(90, 90, 90), to: RGB(120, 120, 120), vertical: false)
        let photo = try canvas.overlaying(small, x: 400, y: 400).encoded(as: .png)

        let found = try await scorer().analyze(photo)
        let face = try #require(found.subject)
        #expect(face.width < 80)
        #expect(face.descriptor != nil)

        let files = FaceModelFiles(directory: FacePhotos.modelsDirectory)
        let withoutUpsampling = try FaceScorer(files: files, settings: .init(upsampledPixels: 0))
        #expect(try await withoutUpsampling.analyze(photo).faceCount == 0)
    }

    @Test("Several faces: the largest comes first, and is the one described first")
    func largestFirst() async throws {
        let scorer = try scorer()
        // Faces of about 140 and 85 px.
        let large = try RasterImage.cover(
            decoding: try FacePhotos.bytes(FacePhotos.otherPerson), width: 440, height: 1000)
        let small = try RasterImage.cover(decoding: try FacePhotos.bytes("obama2"), width: 180, height: 345)
        let canvas = try RasterImage.gradient(
            width: 1000, height: 1000, from: RGB(200, 200, 200), to: RGB(220, 220, 220), vertical: false)
        let photo = try canvas.overlaying(small, x: 40, y: 300).overlaying(large, x: 520, y: 0).encoded(as: .png)

        // Detection at full size here, so that both faces are over the detector's window at once.
        let files = FaceModelFiles(directory: FacePhotos.modelsDirectory)
        let fullSize = try FaceScorer(files: files, settings: .init(detectionSide: 1000))
        let analysis = try await fullSize.analyze(photo, describe: 2)
        #expect(analysis.faceCount == 2)
        let faces = analysis.faces
        try #require(faces.count == 2)
        #expect(faces[0].width > faces[1].width)
        #expect(faces[0].x > 400)
        let largest = try #require(faces[0].descriptor)
        let smaller = try #require(faces[1].descriptor)
        #expect(largest.distance(to: try await subject(FacePhotos.otherPerson, scorer)) < 0.6)
        #expect(smaller.distance(to: try await subject("obama2", scorer)) < 0.6)
    }

    @Test("Bytes that are not an image are refused, not analysed")
    func notAnImage() async throws {
        await #expect(throws: FaceScoringError.self) {
            _ = try await scorer().analyze(Data("not a photo".utf8))
        }
        let truncated = try FacePhotos.bytes("obama").prefix(5000)
        await #expect(throws: FaceScoringError.self) {
            _ = try await scorer().analyze(Data(truncated))
        }
    }

    @Test("Missing model files are an error that names the file")
    func missingModels() throws {
        let files = FaceModelFiles(directory: URL(filePath: "/nonexistent/models"))
        #expect {
            _ = try FaceScorer(files: files)
        } throws: { error in
            guard let error = error as? FaceScoringError else { return false }
            return error.kind == .modelsMissing && error.message.contains(FaceModelFiles.landmarksName)
        }
    }

    @Test("Images analysed at once on two threads describe the same as one at a time")
    func concurrentAnalysis() async throws {
        let scorer = try scorer()
        let names = FacePhotos.samePerson + [FacePhotos.otherPerson]
        var sequential: [String: FaceDescriptor] = [:]
        for name in names { sequential[name] = try await subject(name, scorer) }
        let concurrent = try await withThrowingTaskGroup(of: (String, FaceDescriptor).self) { group in
            for name in names { group.addTask { (name, try await subject(name, scorer)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(concurrent == sequential)
    }
}

import Foundation
import LikenessFaces
import LikenessImaging

/// The photos of the evaluation set, by file name.
func photoNames(in photos: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: photos.path)
        .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
}

/// Each photo under the seven conditions of `variants(of:)` and two harder ones (`hard`): a
/// quarter of the size and turned 30°.
func hardSet(_ photos: URL) throws -> [(label: String, hard: Bool, bytes: Data)] {
    var images: [(label: String, hard: Bool, bytes: Data)] = []
    for name in try photoNames(in: photos) {
        let bytes = try Data(contentsOf: photos.appending(path: name))
        let stem = String(name.prefix { $0 != "." })
        for (condition, variant) in try variants(of: bytes) { images.append(("\(stem) \(condition)", false, variant)) }
        let image = try RasterImage(decoding: bytes)
        images.append(
            (
                "\(stem) quarter size", true,
                try RasterImage.cover(decoding: bytes, width: image.width / 4, height: image.height / 4)
                    .encoded(as: .jpeg(quality: 90))
            ))
        images.append(("\(stem) turned 30°", true, try image.rotated(degrees: 30).encoded(as: .jpeg(quality: 90))))
    }
    return images
}

/// Writes `hardSet` as JPEG files, for the reference-check comparison of `bench/characters.sh`.
func writeVariants(photos: URL, to folder: URL) throws -> String {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let images = try hardSet(photos)
    for image in images {
        try image.bytes.write(to: folder.appending(path: image.label.replacingOccurrences(of: " ", with: "_") + ".jpg"))
    }
    return "\(images.count) images in \(folder.path)"
}

/// dlib's two face detectors side by side on the evaluation set (`bench/characters.sh`): the HOG
/// detector scoring uses (512 px, then up to twice and four times the size when it finds
/// nothing) and the CNN (MMOD) detector from the same model package, at 512 and 1024 px. Each
/// photo under the seven conditions of `variants(of:)`, and two harder ones: a quarter of the
/// size (small faces) and turned 30°. Time per image includes the decode, on one thread.
func benchDetectors(models: URL, photos: URL) async throws -> String {
    let scorer = try FaceScorer(files: FaceModelFiles(directory: models), settings: .init(threads: 1))
    let cnn = try CNNFaceDetector(directory: models)
    let names = try photoNames(in: photos)
    let images = try hardSet(photos)
    struct Tally {
        var found = 0
        var foundHard = 0
        var times = Samples()
        var missed: [String] = []
    }
    var hog = Tally()
    var cnn512 = Tally()
    var cnn1024 = Tally()
    for image in images {
        for (index, side) in [0, 512, 1024].enumerated() {
            let started = ContinuousClock.now
            let count =
                side == 0
                ? try await scorer.analyze(image.bytes, describe: 0).faceCount
                : try cnn.faceCount(in: image.bytes, side: side)
            let elapsed = started.duration(to: .now).milliseconds
            func record(_ tally: inout Tally) {
                tally.times.add(elapsed)
                if count > 0 {
                    tally.found += 1
                    if image.hard { tally.foundHard += 1 }
                } else {
                    tally.missed.append(image.label)
                }
            }
            switch index {
            case 0: record(&hog)
            case 1: record(&cnn512)
            default: record(&cnn1024)
            }
        }
    }
    let hardCount = images.filter(\.hard).count
    var lines = [
        "\(images.count) images: \(names.count) photos × (7 conditions + quarter size + turned 30°)", "",
        row(["detector", "a face found", "of them hard (\(hardCount))", "median ms", "p95 ms", "missed"]),
        row(Array(repeating: "---", count: 6)),
    ]
    for (name, tally) in [
        ("HOG, 512 px (upsampled when empty)", hog), ("CNN (MMOD), 512 px", cnn512), ("CNN (MMOD), 1024 px", cnn1024),
    ] {
        lines.append(
            row([
                name, "\(tally.found) of \(images.count)", String(tally.foundHard), format(tally.times.median, 0),
                format(tally.times.percentile(0.95), 0),
                tally.missed.isEmpty ? "none" : tally.missed.joined(separator: "; "),
            ]))
    }
    return lines.joined(separator: "\n")
}

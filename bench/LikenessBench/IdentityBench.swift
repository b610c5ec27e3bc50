import Foundation
import LikenessFaces
import LikenessImaging

/// The identity scorer on an offline evaluation set (`bench/identity.sh`): same-person and
/// different-person score distributions and error rates at dlib's threshold, the time to score a
/// 1024 × 1024 image on one core, and the memory the loaded models take.
///
/// The set: each photo of `photos` under seven conditions (as is, a tight crop, half the size,
/// mirrored, grey, JPEG quality 25, turned 10°). A photo's person is its name up to the first
/// digit or underscore (`obama2` and `obama_partial_face` are `obama`).
func benchIdentity(models: URL, photos: URL) async throws -> String {
    let before = residentMiB()
    let scorer = try FaceScorer(files: FaceModelFiles(directory: models), settings: .init(threads: 1))
    let loaded = residentMiB() - before

    let names = try FileManager.default.contentsOfDirectory(atPath: photos.path)
        .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
    struct Sample {
        var person: String
        var label: String
        var descriptor: FaceDescriptor?
    }
    var samples: [Sample] = []
    for name in names {
        let bytes = try Data(contentsOf: photos.appending(path: name))
        let stem = String(name.prefix { $0 != "." })
        let person = String(stem.prefix { !$0.isNumber && $0 != "_" })
        for (condition, variant) in try variants(of: bytes) {
            let analysis = try await scorer.analyze(variant)
            samples.append(
                Sample(person: person, label: "\(stem) \(condition)", descriptor: analysis.subject?.descriptor))
        }
    }
    var same = Samples()
    var different = Samples()
    var rejected: [(Double, String)] = []
    for (index, first) in samples.enumerated() {
        guard let a = first.descriptor else { continue }
        for second in samples[(index + 1)...] {
            guard let b = second.descriptor else { continue }
            let score = a.similarity(to: b)
            if first.person == second.person {
                same.add(score)
                if score < IdentitySimilarity.samePersonThreshold {
                    rejected.append((score, "\(first.label) / \(second.label)"))
                }
            } else {
                different.add(score)
            }
        }
    }
    let threshold = IdentitySimilarity.samePersonThreshold
    let falseRejects = same.values.filter { $0 < threshold }.count
    let falseAccepts = different.values.filter { $0 >= threshold }.count
    let missed = samples.filter { $0.descriptor == nil }.map(\.label)

    // One core: a 1024 × 1024 picture with a face, scored again and again on the scorer's one thread.
    let portrait = try RasterImage.cover(
        decoding: try Data(contentsOf: photos.appending(path: names.first { $0.hasPrefix("obama") } ?? names[0])),
        width: 1024, height: 1024
    ).encoded(as: .jpeg(quality: 90))
    var timings = Samples()
    for _ in 0..<20 {
        let started = ContinuousClock.now
        _ = try await scorer.analyze(portrait)
        timings.add(started.duration(to: .now).milliseconds)
    }

    var lines: [String] = []
    lines.append(
        "Evaluation set: \(names.count) photos × 7 conditions = \(samples.count) images, \(missed.count) without a face found"
            + (missed.isEmpty ? "" : " (\(missed.joined(separator: ", ")))"))
    lines.append("")
    lines.append(row(["pairs", "count", "min", "p5", "median", "p95", "max", "at threshold 0.5"]))
    lines.append(row(Array(repeating: "---", count: 8)))
    for (name, values, errors, kind) in [
        ("same person", same, falseRejects, "false rejects"),
        ("different people", different, falseAccepts, "false accepts"),
    ] {
        lines.append(
            row([
                name, String(values.values.count), format(values.percentile(0), 3), format(values.percentile(0.05), 3),
                format(values.median, 3), format(values.percentile(0.95), 3), format(values.percentile(1), 3),
                "\(errors) \(kind) (\(format(100 * Double(errors) / Double(max(1, values.values.count)), 1)) %)",
            ]))
    }
    if !rejected.isEmpty {
        let pairs = rejected.sorted { $0.0 < $1.0 }.map { "\($0.1) \(format($0.0, 3))" }
        lines.append("")
        lines.append("Same-person pairs under 0.5: " + pairs.joined(separator: "; "))
    }
    lines.append("")
    lines.append(
        "Scoring one 1024×1024 JPEG on one thread (decode, detect, align, describe), 20 runs: median "
            + "\(format(timings.median, 0)) ms, p95 \(format(timings.percentile(0.95), 0)) ms")
    lines.append("Models loaded (one worker): \(format(loaded, 0)) MiB resident")
    return lines.joined(separator: "\n")
}

/// A photo under the evaluation's seven conditions, each encoded as JPEG (quality 90 unless the
/// condition is the quality).
func variants(of bytes: Data) throws -> [(String, Data)] {
    let image = try RasterImage(decoding: bytes)
    let (width, height) = (image.width, image.height)
    return [
        ("as is", bytes),
        (
            "crop 80 %",
            try RasterImage.cover(decoding: bytes, width: width * 8 / 10, height: height * 8 / 10).encoded(
                as: .jpeg(quality: 90))
        ),
        (
            "half size",
            try RasterImage.cover(decoding: bytes, width: width / 2, height: height / 2).encoded(as: .jpeg(quality: 90))
        ),
        ("mirrored", try image.mirrored().encoded(as: .jpeg(quality: 90))),
        ("grey", try image.greyscale().encoded(as: .jpeg(quality: 90))),
        ("JPEG q25", try image.encoded(as: .jpeg(quality: 25))),
        ("turned 10°", try image.rotated(degrees: 10).encoded(as: .jpeg(quality: 90))),
    ]
}

/// This process's resident memory in MiB.
private func residentMiB() -> Double {
    processMemory("/proc/self/status").current
}

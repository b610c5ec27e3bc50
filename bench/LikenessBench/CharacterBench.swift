import Foundation
import LikenessFaces
import LikenessImaging

/// How a character's several photos should score an image (`bench/identity.sh`): each of three
/// rules (the best photo's similarity, the mean of the photos' similarities, the similarity to
/// the centroid of their descriptors) on the evaluation set. A character is 2 or 3 of the one
/// person's 5 photos, as they are; the probes are that person's other photos under every
/// condition (genuine) and everyone else's (impostors). The rule with the widest margin between
/// the lowest genuine scores and the highest impostor scores wins.
func benchCharacterRules(models: URL, photos: URL) async throws -> String {
    let scorer = try FaceScorer(files: FaceModelFiles(directory: models), settings: .init(threads: 1))
    let names = try FileManager.default.contentsOfDirectory(atPath: photos.path)
        .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
    struct Probe {
        var photo: String
        var person: String
        var descriptor: FaceDescriptor
    }
    var asIs: [String: FaceDescriptor] = [:]
    var probes: [Probe] = []
    for name in names {
        let stem = String(name.prefix { $0 != "." })
        let person = String(stem.prefix { !$0.isNumber && $0 != "_" })
        for (condition, variant) in try variants(of: try Data(contentsOf: photos.appending(path: name))) {
            guard let descriptor = try await scorer.analyze(variant).subject?.descriptor else { continue }
            if condition == "as is" { asIs[stem] = descriptor }
            probes.append(Probe(photo: stem, person: person, descriptor: descriptor))
        }
    }
    // The person with the most photos is the character's.
    let byPerson = Dictionary(grouping: asIs.keys) { stem in String(stem.prefix { !$0.isNumber && $0 != "_" }) }
    guard let (person, stems) = byPerson.max(by: { $0.value.count < $1.value.count }), stems.count >= 3 else {
        throw BenchError("the evaluation set needs one person with at least 3 photos")
    }
    let rules: [(String, (SubjectFaces, FaceDescriptor) -> Double)] = [
        ("best photo", { faces, probe in faces.descriptors.map { $0.similarity(to: probe) }.max() ?? 0 }),
        (
            "mean of photos",
            { faces, probe in
                faces.descriptors.map { $0.similarity(to: probe) }.reduce(0, +) / Double(faces.descriptors.count)
            }
        ),
        ("centroid", { faces, probe in faces.similarity(to: probe) }),
    ]
    var lines = [
        "Characters of \(person): every set of 2 and of 3 of its \(stems.count) photos; probes: "
            + "\(probes.count) images (7 conditions each)",
        "",
        row([
            "photos", "rule", "genuine pairs", "genuine min", "genuine p5", "impostor p95", "impostor max",
            "margin (p5 − p95)", "errors at 0.5",
        ]),
        row(Array(repeating: "---", count: 9)),
    ]
    for size in [2, 3] {
        let characters = combinations(of: stems.sorted(), size: size)
        for (rule, score) in rules {
            var genuine = Samples()
            var impostor = Samples()
            for members in characters {
                guard let faces = SubjectFaces(members.compactMap { asIs[$0] }) else { continue }
                for probe in probes where !members.contains(probe.photo) {
                    let value = score(faces, probe.descriptor)
                    if probe.person == person { genuine.add(value) } else { impostor.add(value) }
                }
            }
            let threshold = IdentitySimilarity.samePersonThreshold
            let errors =
                genuine.values.filter { $0 < threshold }.count + impostor.values.filter { $0 >= threshold }.count
            lines.append(
                row([
                    String(size), rule, String(genuine.values.count), format(genuine.percentile(0), 3),
                    format(genuine.percentile(0.05), 3), format(impostor.percentile(0.95), 3),
                    format(impostor.percentile(1), 3),
                    format(genuine.percentile(0.05) - impostor.percentile(0.95), 3), String(errors),
                ]))
        }
    }
    return lines.joined(separator: "\n")
}

private func combinations(of items: [String], size: Int) -> [[String]] {
    guard size > 0 else { return [[]] }
    guard items.count >= size, let first = items.first else { return [] }
    let rest = Array(items.dropFirst())
    return combinations(of: rest, size: size - 1).map { [first] + $0 } + combinations(of: rest, size: size)
}

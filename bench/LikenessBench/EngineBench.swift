import LikenessAPI
import LikenessCore
import LikenessEngines

/// Preview engine speed, in process: images per second for each aspect ratio, one at a time.
func benchEngine(imagesPerRatio: Int) async throws -> String {
    var lines = [
        "| aspect ratio | size | ms/image p50 | images/s (1 core) |",
        "|---|---|---|---|",
    ]
    let engine = PreviewEngine()
    for ratio in AspectRatio.allCases {
        var samples = Samples()
        for index in 0..<(imagesPerRatio + 2) {
            let request = GenerationRequest(
                prompt: "a lighthouse at dawn, film grain", aspectRatio: ratio, seed: Int64(index))
            let started = ContinuousClock.now
            _ = try await engine.generate(EngineJob(id: "bench", request: request, seeds: request.imageSeeds())) { _ in
            }
            if index >= 2 { samples.add(started.duration(to: .now).milliseconds) }  // two warm-ups
        }
        lines.append(
            row([ratio.rawValue, "\(ratio.pixelSize)", format(samples.median), format(1000 / samples.median)]))
    }
    return lines.joined(separator: "\n")
}

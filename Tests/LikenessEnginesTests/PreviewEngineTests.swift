import Foundation
import LikenessAPI
import LikenessCore
import LikenessImaging
import Testing

@testable import LikenessEngines

func render(_ request: GenerationRequest, seeds: [UInt64]? = nil, reference: Data? = nil) async throws -> [EngineImage]
{
    let job = EngineJob(
        id: "test", request: request, seeds: seeds ?? request.imageSeeds(), referenceImage: reference)
    return try await PreviewEngine().generate(job) { _ in }.images
}

@Suite("Preview engine")
struct PreviewEngineTests {
    @Test("renders real JPEGs at the exact size of each aspect ratio", arguments: AspectRatio.allCases)
    func sizes(ratio: AspectRatio) async throws {
        let images = try await render(GenerationRequest(prompt: "a lighthouse", aspectRatio: ratio, seed: 1))
        let header = try ImageHeader(probing: images[0].jpeg)
        #expect(header.format == .jpeg)
        #expect(PixelSize(width: header.width, height: header.height) == ratio.pixelSize)
        #expect(images[0].size == ratio.pixelSize)
    }

    @Test("renders custom sizes")
    func customSize() async throws {
        let images = try await render(
            GenerationRequest(prompt: "x", aspectRatio: nil, size: PixelSize(width: 512, height: 2048), seed: 3))
        let header = try ImageHeader(probing: images[0].jpeg)
        #expect(header.width == 512 && header.height == 2048)
    }

    @Test("the same prompt, parameters and seed give byte-identical images")
    func deterministic() async throws {
        let request = GenerationRequest(prompt: "a red fox in snow", count: 2, seed: 99)
        let first = try await render(request)
        let second = try await render(request)
        #expect(first.map(\.jpeg) == second.map(\.jpeg))
        #expect(first[0].jpeg != first[1].jpeg)
    }

    @Test("seed and prompt both change the picture")
    func variesWithSeedAndPrompt() async throws {
        let base = try await render(GenerationRequest(prompt: "a red fox", seed: 1))[0].jpeg
        #expect(try await render(GenerationRequest(prompt: "a red fox", seed: 2))[0].jpeg != base)
        #expect(try await render(GenerationRequest(prompt: "a blue fox", seed: 1))[0].jpeg != base)
    }

    @Test("image i of a seeded request equals a one-image request with seed + i")
    func seedDerivationReproduces() async throws {
        let three = try await render(GenerationRequest(prompt: "koi pond", count: 3, seed: 10))
        let alone = try await render(GenerationRequest(prompt: "koi pond", count: 1, seed: 12))
        #expect(three[2].jpeg == alone[0].jpeg)
    }

    @Test("the reference photo is placed as the subject in the centre")
    func referenceFlowsThrough() async throws {
        let magenta = RGB(255, 0, 255)
        let reference = try RasterImage.panel(width: 300, height: 400, colour: magenta, alpha: 255).encoded(as: .png)
        let request = GenerationRequest(prompt: "portrait", seed: 5)
        let image = try await render(request, reference: reference)[0]
        let decoded = try RasterImage(decoding: image.jpeg)
        let centre = try decoded.pixel(x: decoded.width / 2, y: decoded.height * 37 / 100)
        // JPEG is lossy: close to magenta, not exact.
        #expect(centre.red > 230 && centre.green < 30 && centre.blue > 230)
        let without = try await render(request)[0]
        #expect(without.jpeg != image.jpeg)
    }

    @Test("prompt_optimizer applies the documented fixed expansion")
    func optimizer() async throws {
        let request = GenerationRequest(prompt: "a cat", seed: 4, promptOptimizer: true)
        #expect(PreviewEngine.effectivePrompt(for: request) == "a cat" + PreviewEngine.optimizerSuffix)
        let plain = GenerationRequest(prompt: "a cat", seed: 4)
        #expect(PreviewEngine.effectivePrompt(for: plain) == "a cat")
        #expect(try await render(request)[0].jpeg != render(plain)[0].jpeg)
    }

    @Test("stops when its task is cancelled")
    func cancellation() async throws {
        let task = Task { try await render(GenerationRequest(prompt: "x", count: 9, seed: 1)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

@Suite("AIGC marker")
struct AIGCMarkerTests {
    @Test("writes the IPTC trainedAlgorithmicMedia XMP marker and a visible label")
    func marker() async throws {
        let original = try await render(GenerationRequest(prompt: "a harbour", seed: 8))[0].jpeg
        let marked = try ImageFinishing.finish(original, watermarkedBy: "preview", as: .engineJPEG)
        #expect(marked.range(of: Data("trainedAlgorithmicMedia".utf8)) != nil)
        #expect(marked.range(of: Data("likeness:AIGC=\"true\"".utf8)) != nil)
        #expect(original.range(of: Data("trainedAlgorithmicMedia".utf8)) == nil)

        // The label sits at the top right: that corner changes, the bottom left does not.
        let before = try RasterImage(decoding: original)
        let after = try RasterImage(decoding: marked)
        #expect(after.width == before.width && after.height == before.height)
        let corner = (x: before.width - 60, y: 30)
        #expect(try before.pixel(x: corner.x, y: corner.y) != after.pixel(x: corner.x, y: corner.y))
    }
}

@Suite("Image finishing")
struct ImageFinishingTests {
    @Test("the engine's JPEG passes untouched when nothing is asked")
    func untouched() async throws {
        let original = try await render(GenerationRequest(prompt: "a harbour", seed: 3))[0].jpeg
        #expect(try ImageFinishing.finish(original, watermarkedBy: nil, as: .engineJPEG) == original)
    }

    @Test(
        "encodes each output format, with the AIGC marker when watermarked",
        arguments: [(OutputFormat.jpeg, ImageFormat.jpeg), (.png, .png), (.webp, .webp)])
    func formats(asked: OutputFormat, detected: ImageFormat) async throws {
        let original = try await render(GenerationRequest(prompt: "a harbour", seed: 3))[0].jpeg
        for engine in [nil, "preview"] as [String?] {
            let finished = try ImageFinishing.finish(
                original, watermarkedBy: engine, as: OutputEncoding(format: asked, quality: 80))
            let header = try ImageHeader(probing: finished)
            #expect(header.format == detected)
            #expect(header.width == 1024 && header.height == 1024)
            let marked = try ImageHeader.xmp(in: finished)?.contains(AIGCMarker.digitalSourceType) == true
            #expect(marked == (engine != nil), "marker present only when watermarked (\(asked))")
        }
    }

    @Test(
        "output_compression is the encoder's quality: lower gives a smaller file",
        arguments: [OutputFormat.jpeg, .webp])
    func quality(format: OutputFormat) async throws {
        let original = try await render(GenerationRequest(prompt: "a harbour", seed: 3))[0].jpeg
        let high = try ImageFinishing.finish(
            original, watermarkedBy: nil, as: OutputEncoding(format: format, quality: 95))
        let low = try ImageFinishing.finish(
            original, watermarkedBy: nil, as: OutputEncoding(format: format, quality: 20))
        #expect(low.count < high.count)
    }
}

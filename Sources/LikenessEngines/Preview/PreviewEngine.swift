import Foundation
import LikenessCore
import LikenessImaging

/// The built-in engine: no model, no keys, no network. It renders a deterministic composition
/// at the exact requested size so that an integration can be built and tested end to end:
///
/// - a background gradient and shapes derived from the prompt and the image's seed,
/// - with a subject reference, the reference photo placed in the centre as the subject,
/// - the (optimised) prompt drawn as a caption, and a badge that says it is a preview.
///
/// The same prompt, parameters and seed give byte-identical JPEGs.
public struct PreviewEngine: ImageEngine {
    public let name = "preview"
    public var jpegQuality: Int

    public init(jpegQuality: Int = 88) {
        self.jpegQuality = jpegQuality
    }

    /// The documented `prompt_optimizer` expansion of the preview engine: a fixed suffix.
    public static let optimizerSuffix = ", balanced composition, soft natural light, fine detail, high resolution"

    public static func effectivePrompt(for request: GenerationRequest) -> String {
        request.promptOptimizer ? request.prompt + optimizerSuffix : request.prompt
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        // Decoded once per job, straight to the frame's size: every image of a job shares it.
        var subject: FrozenImage? = nil
        if let bytes = job.referenceImage {
            let frame = SubjectFrame(canvas: job.request.size)
            do throws(ImagingError) {
                subject = FrozenImage(
                    image: try RasterImage.cover(decoding: bytes, width: frame.width, height: frame.height))
            } catch {
                throw APIError.invalid("subject_reference[0].image_file", "could not be decoded: \(error.message)")
            }
        }
        var images: [EngineImage] = []
        for (index, seed) in job.seeds.enumerated() {
            try Task.checkCancellation()
            let jpeg = try await RenderThreads.run { [request = job.request, subject] in
                try render(request, seed: seed, subject: subject?.image)
            }
            images.append(EngineImage(jpeg: jpeg, size: job.request.size))
            progress(
                EngineProgress(message: "rendered image \(index + 1) of \(job.seeds.count)", completedImages: index + 1)
            )
        }
        return EngineOutput(images: images)
    }

    /// `subject`: the reference photo already at `SubjectFrame`'s size.
    func render(_ request: GenerationRequest, seed: UInt64, subject: RasterImage?) throws -> Data {
        let prompt = Self.effectivePrompt(for: request)
        var random = SplitMix64(seed: seed ^ SplitMix64.hash(prompt))
        let width = request.size.width
        let height = request.size.height
        let palette = Palette(random: &random, style: request.style?.type)

        let canvas = try RasterImage.gradient(
            width: width, height: height, from: palette.background.0, to: palette.background.1,
            vertical: random.next() % 2 == 0)
        let shortSide = min(width, height)
        for _ in 0..<(6 + Int(random.next() % 7)) {
            let colour = palette.accents[Int(random.next() % UInt64(palette.accents.count))]
            let x = Int(random.next() % UInt64(width))
            let y = Int(random.next() % UInt64(height))
            let extent = shortSide / 12 + Int(random.next() % UInt64(shortSide / 4))
            if random.next() % 3 == 0 {
                try canvas.fillRectangle(
                    x: x - extent / 2, y: y - extent / 2, width: extent, height: extent, colour: colour)
            } else {
                try canvas.fillCircle(centreX: x, centreY: y, radius: extent / 2, colour: colour)
            }
        }

        var picture = canvas
        if let subject {
            let frame = SubjectFrame(canvas: request.size)
            let border = max(4, shortSide / 128)
            try picture.fillRectangle(
                x: frame.x - border, y: frame.y - border, width: frame.width + 2 * border,
                height: frame.height + 2 * border, colour: RGB(250, 250, 245))
            picture = try picture.overlaying(subject, x: frame.x, y: frame.y)
        }

        let captionHeight = height * 22 / 100
        let margin = shortSide / 32
        picture = try picture.overlaying(
            RasterImage.panel(width: width, height: captionHeight, colour: RGB(12, 12, 16), alpha: 170),
            x: 0, y: height - captionHeight)
        let caption = try RasterImage.text(
            prompt, font: "DejaVu Sans", colour: RGB(245, 245, 245), width: width - 2 * margin,
            fitHeight: captionHeight - 2 * margin)
        picture = try picture.overlaying(caption, x: margin, y: height - captionHeight + margin)

        var badgeText = "Likeness preview engine · not a model"
        if let style = request.style { badgeText += " · \(style.type.rawValue)" }
        let badge = try RasterImage.text(
            badgeText, font: "DejaVu Sans Bold", colour: RGB(255, 255, 255), width: width / 2,
            dpi: max(48, shortSide / 10))
        picture = try picture.overlaying(
            RasterImage.panel(
                width: badge.width + margin, height: badge.height + margin / 2, colour: RGB(200, 40, 60), alpha: 220),
            x: margin / 2, y: margin / 2)
        picture = try picture.overlaying(badge, x: margin, y: margin / 2 + margin / 4)
        return try picture.encoded(as: .jpeg(quality: jpegQuality))
    }
}

/// Where the subject goes: a portrait frame centred above the caption.
struct SubjectFrame {
    var x: Int
    var y: Int
    var width: Int
    var height: Int

    init(canvas: PixelSize) {
        height = canvas.height * 58 / 100
        width = min(canvas.width * 70 / 100, height * 4 / 5)
        x = (canvas.width - width) / 2
        y = canvas.height * 8 / 100
    }
}

/// A decoded reference shared by the renders of one job.
///
/// `@unchecked Sendable` because `RasterImage` is not Sendable only for its drawing methods;
/// this one is never drawn on after decoding, and libvips allows any number of threads to read
/// an image that no one writes (its reference counting is atomic).
struct FrozenImage: @unchecked Sendable {
    let image: RasterImage
}

/// Colours for one image, drawn from the seeded generator.
struct Palette {
    var background: (RGB, RGB)
    var accents: [RGB]

    init(random: inout SplitMix64, style: LiveStyleType?) {
        let baseHue = Double(random.next() % 360)
        // Styles shift saturation and lightness so that the four read differently at a glance.
        let (saturation, lightness): (Double, Double) =
            switch style {
            case .watercolor?: (0.35, 0.78)
            case .comic?: (0.9, 0.55)
            case .energetic?: (0.95, 0.62)
            case .medieval?: (0.4, 0.35)
            case nil: (0.6, 0.5)
            }
        background = (
            Palette.colour(hue: baseHue, saturation: saturation, lightness: lightness * 0.7),
            Palette.colour(hue: baseHue + 40, saturation: saturation, lightness: min(0.9, lightness * 1.2))
        )
        accents = (0..<4).map { step in
            Palette.colour(
                hue: baseHue + 90 * Double(step) + Double(random.next() % 30), saturation: saturation,
                lightness: lightness)
        }
    }

    static func colour(hue: Double, saturation: Double, lightness: Double) -> RGB {
        let h = hue.truncatingRemainder(dividingBy: 360) / 60
        let chroma = (1 - abs(2 * lightness - 1)) * saturation
        let x = chroma * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double) =
            switch Int(h) {
            case 0: (chroma, x, 0)
            case 1: (x, chroma, 0)
            case 2: (0, chroma, x)
            case 3: (0, x, chroma)
            case 4: (x, 0, chroma)
            default: (chroma, 0, x)
            }
        let m = lightness - chroma / 2
        func byte(_ value: Double) -> UInt8 { UInt8(max(0, min(255, (value + m) * 255))) }
        return RGB(byte(r), byte(g), byte(b))
    }
}

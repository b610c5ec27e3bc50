import Foundation
import Testing

@testable import LikenessImaging

/// Captions fitted to many box sizes, one after another. With libvips's own fitting every step
/// was a new type size, and a loop like this crashed inside glib (a Pango worker thread racing
/// the next render) within a few thousand renders. `FIT_ROUNDS` raises the count.
@Test("fitting captions to many boxes in a row uses the fixed ladder and does not crash")
func fittedCaptions() throws {
    try Imaging.ensureStarted()
    let rounds = ProcessInfo.processInfo.environment["FIT_ROUNDS"].flatMap(Int.init) ?? 600
    for round in 0..<rounds {
        let height = 20 + round % 90
        let image = try RasterImage.text(
            "round \(round): a caption that wraps over a few lines, AI生成 · AI-generated",
            font: "DejaVu Sans", colour: RGB(255, 255, 255), width: 300 + round % 500, fitHeight: height)
        // It fits, unless even the smallest size cannot.
        #expect(image.height <= max(height, 40))
    }
}

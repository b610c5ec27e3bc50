import Foundation
import Testing

@testable import LikenessImaging

/// Renders on eight threads at once, in several fonts with fallback: without the text lock in
/// `RasterImage.text` this crashes inside glib now and then. `TEXT_ROUNDS` raises the load.
@Test("text renders on many threads at once, in several fonts, without crashing")
func concurrentText() async throws {
    try Imaging.ensureStarted()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<8 {
            group.addTask {
                for round in 0..<(ProcessInfo.processInfo.environment["TEXT_ROUNDS"].flatMap(Int.init) ?? 40) {
                    let bytes = try await Task.detached {
                        try RasterImage.text(
                            "worker \(worker) round \(round): AI生成 · AI-generated, a caption that wraps",
                            font: [
                                "DejaVu Sans 14", "DejaVu Sans Bold", "Noto Sans CJK SC, DejaVu Sans",
                                "Droid Sans Fallback",
                            ][(worker + round) % 4], colour: RGB(255, 255, 255),
                            width: 300 + worker * 7, fitHeight: round % 2 == 0 ? 60 + round % 13 : nil
                        ).encoded(as: .png).count
                    }.value
                    #expect(bytes > 0)
                }
            }
        }
        try await group.waitForAll()
    }
}

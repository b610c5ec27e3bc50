import Foundation
import LikenessAPI
import LikenessCore
import LikenessEngines

/// The preview engine, with faults asked for in the prompt. Used by tests and by
/// `LikenessTestServer`, never by `likeness serve`.
///
/// - `[fault:CODE]` throws that catalogue code (`[fault:1002]` is a rate limit with Retry-After 1).
/// - `[blocked:N]` withholds the last N images, as content safety would.
/// - `[sleep:MS]` waits MS milliseconds before rendering (cancellable), to hold a job running.
public struct FaultInjectingEngine: ImageEngine {
    public let name = "preview"
    private let preview = PreviewEngine()

    public init() {}

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let prompt = job.request.prompt
        if let code = Self.directive("fault", in: prompt).flatMap(StatusCode.init(rawValue:)) {
            throw APIError(code, "injected fault \(code.rawValue)", retryAfterSeconds: code == .rateLimited ? 1 : nil)
        }
        if let milliseconds = Self.directive("sleep", in: prompt) {
            progress(EngineProgress(message: "sleeping \(milliseconds) ms as asked", completedImages: 0))
            try await Task.sleep(for: .milliseconds(milliseconds))
        }
        var output = try await preview.generate(job, progress: progress)
        if let blocked = Self.directive("blocked", in: prompt) {
            let withheld = min(blocked, output.images.count)
            output.images.removeLast(withheld)
            output.blockedCount = withheld
        }
        return output
    }

    static func directive(_ name: String, in prompt: String) -> Int? {
        guard let start = prompt.range(of: "[\(name):"), let end = prompt[start.upperBound...].firstIndex(of: "]")
        else {
            return nil
        }
        return Int(prompt[start.upperBound..<end])
    }
}

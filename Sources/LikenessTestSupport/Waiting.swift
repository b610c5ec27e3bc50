import Foundation

/// A fresh, empty folder under the system's temporary directory, named `<prefix>-<random>`.
public func temporaryDirectory(_ prefix: String = "likeness-tests") -> URL {
    let url = FileManager.default.temporaryDirectory.appending(
        path: "\(prefix)-\(UUID().uuidString)", directoryHint: .isDirectory)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Checks `condition` every `interval` until it holds, or `timeout` has passed: for tests that
/// wait on work done in the background. True when it held.
@discardableResult
public func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
}

import Dispatch

/// Runs CPU-heavy rendering on Dispatch's worker threads instead of Swift's cooperative pool,
/// so that a few large renders cannot starve the tasks serving other requests (on a 2-core
/// machine the cooperative pool has just two threads).
public enum RenderThreads {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

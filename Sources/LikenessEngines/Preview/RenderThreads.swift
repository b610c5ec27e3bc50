import Foundation
import NIOPosix

/// Runs CPU-heavy image work (every libvips call that touches pixels) on threads of its own,
/// instead of Swift's cooperative pool, so that a few large renders cannot starve the tasks
/// serving other requests (on a 2-core machine the cooperative pool has just two threads).
///
/// The threads live as long as the process. libvips keeps buffers per thread, and a thread that
/// ends without `vips_thread_shutdown` leaves them to a destructor that can free a cache another
/// image still points into: Dispatch's and the cooperative pool's threads end when idle, these
/// never do.
public enum RenderThreads {
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        pool.start()
        return pool
    }()

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(work)
    }
}

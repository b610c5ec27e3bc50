import ServiceLifecycle

/// The queue's workers: `count` loops, each running one job at a time, so `count` bounds the
/// generations running at once. At graceful shutdown the running jobs are stopped and put
/// back in the queue, to run first after the next start.
struct JobWorkers: Service {
    let service: GenerationService
    let count: Int

    func run() async throws {
        // A fleet replica that only takes requests: nothing to run, but a service ends with the server.
        guard count > 0 else { return try await gracefulShutdown() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<count {
                    group.addTask { await service.work() }
                }
            }
        }
    }
}

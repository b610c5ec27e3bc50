import Foundation
import LikenessStore
import Logging
import ServiceLifecycle

/// Deletes images whose URLs have expired: the record first (so the URL is dead), then the file.
struct ImageJanitor: Service {
    let images: any ImageRepository
    let blobs: FileBlobStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                sweep(at: Date())
                try? await Task.sleep(for: interval)
            }
        }
    }

    @discardableResult
    func sweep(at date: Date) -> Int {
        do {
            let expired = try images.deleteExpiredImages(at: date)
            for id in expired { blobs.delete(id: id) }
            if !expired.isEmpty { logger.info("deleted expired images", metadata: ["count": "\(expired.count)"]) }
            return expired.count
        } catch {
            logger.error("janitor sweep failed", metadata: ["error": "\(error)"])
            return 0
        }
    }
}

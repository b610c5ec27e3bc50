import Foundation
import LikenessStore
import Logging
import ServiceLifecycle

/// Deletes images whose URLs have expired: the record first (so the URL is dead), then the file.
package struct ImageJanitor: Service {
    let images: any ImageRepository
    let blobs: any BlobStore
    let interval: Duration
    let store: StoreCalls
    /// Expired uploads go on the same round.
    let uploads: UploadService?

    package init(
        images: any ImageRepository, blobs: any BlobStore, interval: Duration, store: StoreCalls,
        uploads: UploadService? = nil
    ) {
        self.images = images
        self.blobs = blobs
        self.interval = interval
        self.store = store
        self.uploads = uploads
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep(at: Date())
                await uploads?.deleteExpired(at: Date())
                try? await Task.sleep(for: interval)
            }
        }
    }

    @discardableResult
    func sweep(at date: Date) async -> Int {
        do {
            let expired = try await store.write("delete expired images") { [images] in
                try images.deleteExpiredImages(at: date)
            }
            for file in expired { await blobs.delete(id: file.id, format: file.format) }
            if !expired.isEmpty { store.logger.info("deleted expired images", metadata: ["count": "\(expired.count)"]) }
            return expired.count
        } catch {
            return 0  // logged; the next sweep tries again
        }
    }
}

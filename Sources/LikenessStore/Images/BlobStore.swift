import Foundation
import LikenessCore

/// Where image bytes live: files on this machine (`FileBlobStore`) or an S3-compatible bucket
/// shared by a fleet. An image's id and format name its object.
public protocol BlobStore: Sendable {
    /// Stores the whole image or throws; a reader never sees part of one.
    func write(_ bytes: Data, id: String, format: OutputFormat) async throws
    /// The image if it is there whole (`expectedSize` bytes, as its record says); nil otherwise.
    func read(id: String, format: OutputFormat, expectedSize: Int) async throws -> Data?
    /// Removes the image; a missing one is not an error.
    func delete(id: String, format: OutputFormat) async
}

import Foundation
import LikenessCore

/// Where image bytes live: files on this machine (`FileBlobStore`) or an S3-compatible bucket
/// shared by a fleet. An image's id and format name its object. A queued job's inline
/// reference photo lives here too, under its job's id, from before the job is recorded until it
/// ends: large bytes stay out of the database.
public protocol BlobStore: Sendable {
    /// Stores the whole image or throws; a reader never sees part of one.
    func write(_ bytes: Data, id: String, format: OutputFormat) async throws
    /// The image if it is there whole (`expectedSize` bytes, as its record says); nil otherwise.
    func read(id: String, format: OutputFormat, expectedSize: Int) async throws -> Data?
    /// Removes the image; a missing one is not an error.
    func delete(id: String, format: OutputFormat) async
    /// Stores a job's input bytes whole, or throws.
    func writeInput(_ bytes: Data, jobID: String) async throws
    /// A job's input bytes; nil when there are none.
    func readInput(jobID: String) async throws -> Data?
    /// Removes a job's input; a missing one is not an error.
    func deleteInput(jobID: String) async
}

import Foundation
import LikenessCore

/// Where image bytes live: files on this machine (`FileBlobStore`) or an S3-compatible bucket
/// shared by a fleet. An image's id and format name its object. Beside the images, under names
/// of their own, are the private objects (`PrivateObject`): bytes only Likeness reads, never
/// served under a signed URL, and large enough to keep out of the database.
public protocol BlobStore: Sendable {
    /// Stores the whole image or throws; a reader never sees part of one.
    func write(_ bytes: Data, id: String, format: OutputFormat) async throws
    /// The image if it is there whole (`expectedSize` bytes, as its record says); nil otherwise.
    func read(id: String, format: OutputFormat, expectedSize: Int) async throws -> Data?
    /// Removes the image; a missing one is not an error.
    func delete(id: String, format: OutputFormat) async
    /// Stores a private object whole, or throws.
    func writePrivate(_ bytes: Data, as object: PrivateObject) async throws
    /// A private object's bytes; nil when there are none.
    func readPrivate(_ object: PrivateObject) async throws -> Data?
    /// Removes a private object; a missing one is not an error.
    func deletePrivate(_ object: PrivateObject) async
}

/// Bytes Likeness keeps for itself: a queued job's inline reference photo (from before the job
/// is recorded until it ends), a stored character's photos and thumbnails (sealed, until the
/// character is deleted), and uploaded files (sealed, until they expire or are deleted).
public enum PrivateObject: Sendable, Hashable {
    case jobInput(jobID: String)
    case characterPhoto(photoID: String)
    case characterThumbnail(photoID: String)
    case upload(id: String)

    /// Every object a character's photo is kept as: the photo and its thumbnail.
    public static func characterObjects(photoID: String) -> [PrivateObject] {
        [.characterPhoto(photoID: photoID), .characterThumbnail(photoID: photoID)]
    }

    /// Its name under the store's root or the bucket's prefix: `<folder>/<id>.<extension>`.
    public var name: String { "\(folder)/\(id).\(fileExtension)" }

    public var folder: String {
        switch self {
        case .jobInput: "inputs"
        case .characterPhoto, .characterThumbnail: "characters"
        case .upload: "uploads"
        }
    }

    public var id: String {
        switch self {
        case .jobInput(let id), .characterPhoto(let id), .characterThumbnail(let id), .upload(let id): id
        }
    }

    public var fileExtension: String {
        switch self {
        case .jobInput: "input"
        case .characterPhoto: "photo"
        case .characterThumbnail: "thumbnail"
        case .upload: "upload"
        }
    }

    /// The largest object of this kind, for reading one back within a bound.
    public var maximumByteCount: Int {
        // A sealed photo is its bytes and 28 bytes of nonce and tag.
        ReferenceSource.maximumByteCount + 4096
    }
}

import Foundation
import LikenessCore

/// A generated image held by Likeness and served under a signed URL until `expiresAt`.
public struct StoredImage: Sendable, Hashable {
    public var id: String
    public var jobID: String
    public var contentType: String
    public var byteCount: Int
    public var width: Int
    public var height: Int
    public var createdAt: Date
    public var expiresAt: Date
    /// Set for an image that stayed at an upstream provider (passthrough): its URL there. Such
    /// an image has no file here.
    public var sourceURL: String?

    /// Where an image's bytes are: its id and format name its file.
    public struct File: Sendable, Hashable {
        public var id: String
        public var format: OutputFormat

        public init(id: String, format: OutputFormat) {
            self.id = id
            self.format = format
        }
    }

    /// The delivered format its content type names (JPEG for any record older than formats).
    public var format: OutputFormat { OutputFormat(mimeType: contentType) ?? .jpeg }

    public var file: File { File(id: id, format: format) }

    public init(
        id: String, jobID: String, contentType: String, byteCount: Int, width: Int, height: Int, createdAt: Date,
        expiresAt: Date, sourceURL: String? = nil
    ) {
        self.sourceURL = sourceURL
        self.id = id
        self.jobID = jobID
        self.contentType = contentType
        self.byteCount = byteCount
        self.width = width
        self.height = height
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

public protocol ImageRepository: Sendable {
    func image(id: String) throws -> StoredImage?
    /// Deletes the rows of images expired at `date` and returns them (the caller removes the files).
    func deleteExpiredImages(at date: Date) throws -> [StoredImage.File]
    func imageIDs() throws -> Set<String>
}

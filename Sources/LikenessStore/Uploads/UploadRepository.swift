import Foundation

/// A file a caller uploaded to use as a reference: checked as a reference is, kept sealed
/// (`PrivateObject.upload`) until `expiresAt`, private to its account.
public struct StoredUpload: Sendable, Hashable {
    /// An `UploadID` (`file-…`).
    public var id: String
    public var accountID: String
    public var fileName: String
    public var contentType: String
    /// The checked picture's bytes (before sealing) and size in pixels.
    public var byteCount: Int
    public var width: Int
    public var height: Int
    /// What the caller said it is for (OpenAI's `purpose`; `fal` for fal's storage).
    public var purpose: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        id: String, accountID: String, fileName: String, contentType: String, byteCount: Int, width: Int, height: Int,
        purpose: String, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.fileName = fileName
        self.contentType = contentType
        self.byteCount = byteCount
        self.width = width
        self.height = height
        self.purpose = purpose
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Uploads, always by their account: another account's upload is not found.
public protocol UploadRepository: Sendable {
    /// Records the upload unless the account's unexpired uploads would then hold more than
    /// `quotaBytes` (then `StoreError.refused`).
    func insertUpload(_ upload: StoredUpload, quotaBytes: Int) throws
    /// The upload while it has not expired at `date`.
    func upload(id: String, accountID: String, at date: Date) throws -> StoredUpload?
    /// The account's unexpired uploads, newest first.
    func uploads(accountID: String, at date: Date, limit: Int) throws -> [StoredUpload]
    /// Deletes the row and returns it (the caller removes its object); nil when there is none.
    func deleteUpload(id: String, accountID: String) throws -> StoredUpload?
    /// Deletes the rows of uploads expired at `date` and returns their ids.
    func deleteExpiredUploads(at date: Date) throws -> [String]
    /// Every stored upload's id, for the sweep of objects a crash left behind.
    func uploadIDs() throws -> Set<String>
}

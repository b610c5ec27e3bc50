import Foundation
import LikenessCore
import LikenessEngines
import LikenessImaging
import LikenessStore
import Logging

/// How long uploads are kept, and how much one account may hold.
package struct UploadSettings: Sendable, Hashable {
    package var lifetime: Duration
    package var quotaBytes: Int

    package init(lifetime: Duration = .seconds(24 * 3600), quotaBytes: Int = 200 * 1024 * 1024) {
        self.lifetime = lifetime
        self.quotaBytes = quotaBytes
    }
}

/// Files uploaded to be used as references, the way real clients upload them (fal's storage,
/// OpenAI's `files.create`): each checked as a reference is when it arrives (not an image, too
/// large: refused), stripped of its metadata, sealed at rest, private to its account, and gone
/// when it expires or is deleted.
package struct UploadService: Sendable {
    let settings: UploadSettings
    let repository: any UploadRepository
    let blobs: any BlobStore
    let store: StoreCalls
    let intake: ReferenceIntake
    let sealing: SealingKey
    let clock: WallClock
    let logger: Logger

    package init(
        settings: UploadSettings, repository: any UploadRepository, blobs: any BlobStore, store: StoreCalls,
        intake: ReferenceIntake, serverSecret: Data, clock: WallClock, logger: Logger
    ) {
        self.settings = settings
        self.repository = repository
        self.blobs = blobs
        self.store = store
        self.intake = intake
        self.sealing = SealingKey(serverSecret: serverSecret, purpose: "likeness uploads v1")
        self.clock = clock
        self.logger = logger
    }

    /// A new upload's id.
    package static func makeID() -> UploadID {
        // An identifier behind the prefix is always a valid id.
        UploadID(UploadID.prefix + Identifier.make())!
    }

    /// Checks and keeps `bytes` for the account; `field` names them in errors as the caller sent them.
    package func store(
        _ bytes: Data, fileName: String?, purpose: String, accountID: String, id: UploadID = makeID(), field: String
    ) async throws(APIError) -> StoredUpload {
        // A signed upload URL names its id before the bytes come: it is good for one upload, and
        // a second one must not overwrite the first's bytes.
        let taken = try await store.read("read an upload") { [repository] in
            try repository.upload(id: id.rawValue, accountID: accountID, at: .distantPast) != nil
        }
        guard !taken else { throw APIError.invalid(field, "was uploaded already under this URL") }
        let checked = try await intake.load(SubjectReference(source: .inline(bytes), field: field))
        let header: ImageHeader
        do {
            header = try ImageHeader(probing: checked)
        } catch {
            throw APIError(.internalError, "the checked upload could not be read again")
        }
        let now = clock.now()
        let upload = StoredUpload(
            id: id.rawValue, accountID: accountID, fileName: Self.cleanName(fileName, format: header.format),
            contentType: header.format == .png ? "image/png" : "image/jpeg", byteCount: checked.count,
            width: header.width, height: header.height, purpose: purpose, createdAt: now,
            expiresAt: now.addingTimeInterval(settings.lifetime.seconds))
        let sealed: Data
        do {
            sealed = try sealing.seal(checked, boundTo: Self.owner(accountID, id.rawValue))
        } catch {
            throw APIError(.internalError, "the upload could not be sealed")
        }
        do {
            try await blobs.writePrivate(sealed, as: .upload(id: id.rawValue))
        } catch {
            logger.error("cannot store an upload", metadata: ["error": "\(error)"])
            throw APIError(.systemError, "the upload could not be stored")
        }
        do {
            try await store.writeRaw { [repository, quota = settings.quotaBytes] in
                try repository.insertUpload(upload, quotaBytes: quota)
            }
        } catch {
            await blobs.deletePrivate(.upload(id: id.rawValue))
            if let refusal = error as? StoreError, refusal.kind == .refused {
                throw APIError(.usageLimitExceeded, refusal.message + "; delete some or wait for them to expire")
            }
            throw store.failure("record an upload", error)
        }
        return upload
    }

    package func upload(_ id: String, accountID: String) async throws(APIError) -> StoredUpload {
        let now = clock.now()
        let found = try await store.read("read an upload") { [repository] in
            try repository.upload(id: id, accountID: accountID, at: now)
        }
        guard let found else { throw Self.notFound(id) }
        return found
    }

    package func uploads(accountID: String, limit: Int) async throws(APIError) -> [StoredUpload] {
        let now = clock.now()
        return try await store.read("list uploads") { [repository] in
            try repository.uploads(accountID: accountID, at: now, limit: limit)
        }
    }

    /// The upload's checked bytes, opened. `field` names the reference that named it.
    package func open(_ id: UploadID, accountID: String, field: String) async throws(APIError) -> (
        upload: StoredUpload, bytes: Data
    ) {
        let upload: StoredUpload
        do {
            upload = try await self.upload(id.rawValue, accountID: accountID)
        } catch {
            throw error.reason == .notFound ? Self.notFound(id.rawValue, field: field) : error
        }
        let sealed: Data?
        do {
            sealed = try await blobs.readPrivate(.upload(id: id.rawValue))
        } catch {
            logger.error("cannot read an upload", metadata: ["error": "\(error)"])
            throw APIError(.systemError, "the upload could not be read")
        }
        guard let sealed, let bytes = try? sealing.open(sealed, boundTo: Self.owner(accountID, id.rawValue)) else {
            logger.error("an upload is missing or does not open", metadata: ["upload": "\(id)"])
            throw APIError(.systemError, "the upload could not be read")
        }
        return (upload, bytes)
    }

    package func delete(_ id: String, accountID: String) async throws(APIError) -> StoredUpload {
        let deleted = try await store.write("delete an upload") { [repository] in
            try repository.deleteUpload(id: id, accountID: accountID)
        }
        guard let deleted else { throw Self.notFound(id) }
        await blobs.deletePrivate(.upload(id: id))
        return deleted
    }

    /// Deletes what expired by `date`, rows first: returns how many.
    @discardableResult
    package func deleteExpired(at date: Date) async -> Int {
        do {
            let expired = try await store.write("delete expired uploads") { [repository] in
                try repository.deleteExpiredUploads(at: date)
            }
            for id in expired { await blobs.deletePrivate(.upload(id: id)) }
            if !expired.isEmpty { logger.info("deleted expired uploads", metadata: ["count": "\(expired.count)"]) }
            return expired.count
        } catch {
            return 0  // logged; the next sweep tries again
        }
    }

    private static func owner(_ accountID: String, _ id: String) -> String { "\(accountID) \(id)" }

    /// The caller's file name, kept for their listing: visible characters only, at most 200.
    static func cleanName(_ name: String?, format: ImageFormat) -> String {
        let visible = String(String.UnicodeScalarView((name ?? "").unicodeScalars.filter { $0.isVisible || $0 == " " }))
            .trimmingCharacters(in: .whitespaces)
        return visible.isEmpty ? "upload.\(format == .png ? "png" : "jpg")" : String(visible.prefix(200))
    }

    package static func notFound(_ id: String, field: String? = nil) -> APIError {
        APIError(.invalidParameters, "no file with id \(id), or it has expired", field: field, reason: .notFound)
    }
}

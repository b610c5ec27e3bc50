import AsyncHTTPClient
import Foundation
import LikenessStore
import Logging

/// `likeness migrate-data`: an embedded installation's state, moved into a fleet's PostgreSQL
/// database (and its images into the fleet's bucket, when one is configured).
public struct DataMigration: Sendable {
    /// What was moved, for the operator to read.
    public struct Report: Sendable, CustomStringConvertible {
        public var rows: [String: Int]
        public var balancedAccounts: Int
        /// Images copied into the bucket; nil without one (they stay in the data directory).
        public var imagesCopied: Int?
        /// Image records whose file was already gone (expired or lost); their URLs answer 404 as before.
        public var imagesMissing: Int

        public var description: String {
            var lines = SQLStore.copiedTables.map { "\($0.name): \(rows[$0.name] ?? 0) rows" }
            lines.append("ledger: \(balancedAccounts) accounts, each balance equal to the sum of its ledger")
            lines.append("signing secret: copied (signed URLs and sealed BYOK keys stay valid)")
            if let imagesCopied {
                lines.append("images: \(imagesCopied) copied to the bucket, \(imagesMissing) already gone")
            } else {
                lines.append("images: left in the data directory (no LIKENESS_S3_BUCKET)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Copies everything under `dataDirectory` into the database at `databaseURL`, which must be
    /// empty, with `password` (from the database settings' password file), and the images into
    /// `bucket` when one is configured.
    public static func run(
        from dataDirectory: URL, to databaseURL: String, password: String?, bucket: ObjectStorageSettings?,
        logger: Logger
    ) async throws -> Report {
        guard FileManager.default.fileExists(atPath: dataDirectory.appending(path: "likeness.sqlite").path) else {
            throw MigrationError(description: "no Likeness database in \(dataDirectory.path) (likeness.sqlite)")
        }
        let source = try DataDirectory(root: dataDirectory)
        let postgres = PostgreSQLDatabase(
            configuration: try PostgreSQLDatabase.configuration(
                url: databaseURL, password: password),
            connections: 2, logger: logger)
        let target = try SQLStore(postgres: postgres)
        let copied = try source.store.copyAll(into: target)
        let secret = try source.signingSecret()
        guard try target.sharedSecret(named: DataDirectory.signingSecretName, candidate: secret) == secret else {
            throw MigrationError(description: "the target database already holds another signing secret")
        }
        var report = Report(rows: copied.rows, balancedAccounts: copied.balancedAccounts, imagesMissing: 0)
        guard let bucketSettings = bucket else { return report }
        let bucket = S3BlobStore(settings: bucketSettings, client: .shared, logger: logger)
        try await bucket.checkBucket()
        var copiedImages = 0
        for id in try source.store.imageIDs().sorted() {
            guard let image = try source.store.image(id: id), image.sourceURL == nil else { continue }
            guard
                let bytes = try source.blobs.readFile(id: id, format: image.format, expectedSize: image.byteCount)
            else {
                report.imagesMissing += 1
                continue
            }
            try await bucket.write(bytes, id: id, format: image.format)
            copiedImages += 1
        }
        report.imagesCopied = copiedImages
        // Jobs still queued keep their inline references as files: the bucket holds them now.
        for jobID in try source.store.jobIDsWithInputs().sorted() {
            guard let bytes = try source.blobs.readPrivateFile(.jobInput(jobID: jobID)) else { continue }
            try await bucket.writePrivate(bytes, as: .jobInput(jobID: jobID))
        }
        // Characters' photos and thumbnails, still sealed: the secret they are sealed with moved too.
        for photoID in try source.store.characterPhotoIDs().sorted() {
            for object in PrivateObject.characterObjects(photoID: photoID) {
                guard let bytes = try source.blobs.readPrivateFile(object) else { continue }
                try await bucket.writePrivate(bytes, as: object)
            }
        }
        return report
    }
}

/// Why `migrate-data` stopped before copying anything.
struct MigrationError: Error, CustomStringConvertible {
    let description: String
}

import Foundation
import Testing

@testable import LikenessStore

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appending(
        path: "likeness-tests-\(Identifier.make())", directoryHint: .isDirectory)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("API keys")
struct APIKeyTests {
    let directory = temporaryDirectory()

    @Test("issued keys are lk_ + 32 random bytes, valid until revoked")
    func lifecycle() throws {
        let store = try DataDirectory(root: directory).store
        let issued = try store.createKey(name: "ci", secret: nil)
        #expect(issued.secret.hasPrefix("lk_"))
        let base64 = issued.secret.dropFirst(3).replacingOccurrences(of: "-", with: "+").replacingOccurrences(
            of: "_", with: "/")
        #expect(Data(base64Encoded: base64 + "=")?.count == 32)
        guard case .valid(let key) = try store.checkKey(secret: issued.secret) else {
            Issue.record("a fresh key is not valid")
            return
        }
        #expect(key.id == issued.key.id)
        #expect(try store.checkKey(secret: issued.secret + "x") == .unknown)
        #expect(try store.revokeKey(id: issued.key.id))
        #expect(try store.checkKey(secret: issued.secret) == .revoked)
        #expect(try !store.revokeKey(id: issued.key.id))
        #expect(try store.listKeys().first?.revokedAt != nil)
    }

    @Test("only a hash of the secret is stored")
    func hashedAtRest() throws {
        let data = try DataDirectory(root: directory)
        let issued = try data.store.createKey(name: "a", secret: "lk_operator-chosen-secret-value")
        #expect(try data.store.checkKey(secret: "lk_operator-chosen-secret-value") != .unknown)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasPrefix("likeness.sqlite")
        }
        for file in files {
            let bytes = try Data(contentsOf: directory.appending(path: file))
            #expect(bytes.range(of: Data(issued.secret.utf8)) == nil)
        }
        #expect(!files.isEmpty)
    }

    @Test("last use is recorded")
    func lastUsed() throws {
        let store = try DataDirectory(root: directory).store
        let issued = try store.createKey(name: "a", secret: nil)
        #expect(try store.listKeys().first?.lastUsedAt == nil)
        _ = try store.checkKey(secret: issued.secret)
        #expect(try store.listKeys().first?.lastUsedAt != nil)
    }
}

@Suite("Jobs and images")
struct JobTests {
    let directory = temporaryDirectory()

    @Test("a job moves from queued to running to succeeded with its images")
    func success() throws {
        let store = try DataDirectory(root: directory).store
        let now = Date()
        try store.insertJob(
            JobRecord(
                id: "job-1", keyID: "key_1", dialect: "minimax", model: "image-01", parameters: "{}", createdAt: now))
        #expect(try store.job(id: "job-1")?.status == .queued)
        try store.markJobRunning(id: "job-1", engine: "preview", at: now)
        #expect(try store.job(id: "job-1")?.status == .running)
        let image = StoredImage(
            id: Identifier.make(), jobID: "job-1", contentType: "image/jpeg", byteCount: 10, width: 1, height: 1,
            createdAt: now, expiresAt: now.addingTimeInterval(60))
        try store.completeJob(id: "job-1", images: [image], deliveredCount: 1, failedCount: 0, at: now)
        let job = try #require(try store.job(id: "job-1"))
        #expect(job.status == .succeeded && job.statusCode == 0 && job.engine == "preview")
        #expect(job.resultImageIDs == [image.id] && job.imageCount == 1)
        let stored = try #require(try store.image(id: image.id))
        #expect(stored.jobID == "job-1" && stored.byteCount == 10 && stored.contentType == "image/jpeg")
        // Dates go through a REAL column: equal to well under a millisecond, not bit for bit.
        #expect(abs(stored.expiresAt.timeIntervalSince(image.expiresAt)) < 0.001)
    }

    @Test("jobs left queued or running by a dead process are failed at start-up")
    func interrupted() throws {
        let store = try DataDirectory(root: directory).store
        try store.insertJob(
            JobRecord(id: "a", keyID: nil, dialect: "minimax", model: nil, parameters: nil, createdAt: Date()))
        try store.insertJob(
            JobRecord(id: "b", keyID: nil, dialect: "minimax", model: nil, parameters: nil, createdAt: Date()))
        try store.markJobRunning(id: "b", engine: "preview", at: Date())
        try store.insertJob(
            JobRecord(id: "c", keyID: nil, dialect: "minimax", model: nil, parameters: nil, createdAt: Date()))
        try store.failJob(id: "c", statusCode: 2013, message: "bad", at: Date())
        #expect(try store.failInterruptedJobs(at: Date()) == 2)
        #expect(try store.job(id: "b")?.status == .failed)
        #expect(try store.job(id: "b")?.statusCode == 1033)
        #expect(try store.job(id: "c")?.statusCode == 2013)
    }

    @Test("expired image records are deleted and reported")
    func expiry() throws {
        let store = try DataDirectory(root: directory).store
        let now = Date()
        try store.insertJob(
            JobRecord(id: "j", keyID: nil, dialect: "minimax", model: nil, parameters: nil, createdAt: now))
        let old = StoredImage(
            id: Identifier.make(), jobID: "j", contentType: "image/jpeg", byteCount: 1, width: 1, height: 1,
            createdAt: now, expiresAt: now.addingTimeInterval(-1))
        let fresh = StoredImage(
            id: Identifier.make(), jobID: "j", contentType: "image/jpeg", byteCount: 1, width: 1, height: 1,
            createdAt: now, expiresAt: now.addingTimeInterval(60))
        try store.completeJob(id: "j", images: [old, fresh], deliveredCount: 2, failedCount: 0, at: now)
        #expect(try store.deleteExpiredImages(at: now) == [old.id])
        #expect(try store.imageIDs() == [fresh.id])
    }

    @Test("the database survives reopening")
    func reopen() throws {
        try DataDirectory(root: directory).store.insertJob(
            JobRecord(id: "kept", keyID: nil, dialect: "minimax", model: nil, parameters: nil, createdAt: Date()))
        #expect(try DataDirectory(root: directory).store.job(id: "kept") != nil)
    }
}

@Suite("Blob store")
struct BlobStoreTests {
    let directory = temporaryDirectory()

    @Test("writes land whole under the id and read back")
    func roundTrip() throws {
        let blobs = try FileBlobStore(root: directory)
        let id = Identifier.make()
        try blobs.write(Data("jpeg bytes".utf8), id: id)
        #expect(try blobs.read(id: id) == Data("jpeg bytes".utf8))
        #expect(blobs.fileURL(for: id).path.contains("/\(id.prefix(2))/"))
        blobs.delete(id: id)
        #expect(try blobs.read(id: id) == nil)
    }

    @Test("a file shorter than its record (cut short by a power loss) reads as missing")
    func shortFile() throws {
        let blobs = try FileBlobStore(root: directory)
        let id = Identifier.make()
        try blobs.write(Data(repeating: 1, count: 100), id: id)
        #expect(try blobs.read(id: id, expectedSize: 100)?.count == 100)
        try Data(repeating: 1, count: 40).write(to: blobs.fileURL(for: id))
        #expect(try blobs.read(id: id, expectedSize: 100) == nil)
    }

    @Test("sweep removes partial files and files no record points to")
    func sweep() throws {
        let blobs = try FileBlobStore(root: directory)
        let kept = Identifier.make()
        let orphan = Identifier.make()
        try blobs.write(Data([1]), id: kept)
        try blobs.write(Data([2]), id: orphan)
        let partial = blobs.fileURL(for: kept).deletingLastPathComponent().appending(
            path: "x" + FileBlobStore.temporarySuffix)
        try Data([3]).write(to: partial)
        #expect(blobs.sweep(keeping: [kept]) == 2)
        #expect(try blobs.read(id: kept) != nil)
        #expect(try blobs.read(id: orphan) == nil)
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }
}

@Suite("Signed URLs")
struct URLSignerTests {
    let signer = URLSigner(secret: Data(repeating: 7, count: 32))
    let id = "0123456789abcdef0123456789abcdef"

    func parts(_ path: String) -> (expires: Int64, signature: String) {
        let query = URLComponents(string: path)!.queryItems!
        return (Int64(query.first { $0.name == "expires" }!.value!)!, query.first { $0.name == "signature" }!.value!)
    }

    @Test("a signed path is valid until it expires")
    func valid() {
        let (expires, signature) = parts(signer.path(for: id, expiresAt: Date().addingTimeInterval(60)))
        #expect(signer.isValid(imageID: id, expires: expires, signature: signature))
        #expect(
            !signer.isValid(imageID: id, expires: expires, signature: signature, now: Date().addingTimeInterval(120)))
    }

    @Test("changing the id, the expiry or the signature, or another secret, invalidates it")
    func tampering() {
        let (expires, signature) = parts(signer.path(for: id, expiresAt: Date().addingTimeInterval(60)))
        #expect(!signer.isValid(imageID: "f" + id.dropFirst(), expires: expires, signature: signature))
        #expect(!signer.isValid(imageID: id, expires: expires + 3600, signature: signature))
        #expect(!signer.isValid(imageID: id, expires: expires, signature: "00" + signature.dropFirst(2)))
        #expect(!signer.isValid(imageID: id, expires: expires, signature: "zz"))
        let other = URLSigner(secret: Data(repeating: 8, count: 32))
        #expect(!other.isValid(imageID: id, expires: expires, signature: signature))
    }
}

@Suite("Data directory")
struct DataDirectoryTests {
    @Test("the signing secret is created once, owner-only, and kept")
    func secret() throws {
        let root = temporaryDirectory()
        let first = try DataDirectory(root: root).signingSecret()
        #expect(first.count == 32)
        #expect(try DataDirectory(root: root).signingSecret() == first)
        let attributes = try FileManager.default.attributesOfItem(atPath: root.appending(path: "secret").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }
}

@Suite("Serving lock")
struct ServingLockTests {
    @Test("a data directory can be locked for serving once; a second claim is refused")
    func exclusive() throws {
        let root = temporaryDirectory()
        try DataDirectory(root: root).lockForServing()
        #expect(throws: StoreError.self) { try DataDirectory(root: root).lockForServing() }
        try DataDirectory(root: temporaryDirectory()).lockForServing()
    }
}

import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

/// A new prepaid account's id.
func account(_ store: SQLStore, name: String = "test") throws -> String {
    try store.createAccount(name: name, billing: .prepaid, limits: UsageLimits()).id
}

@Suite("API keys")
struct APIKeyTests {
    let directory = temporaryDirectory()

    @Test("issued keys are lk_ + 32 random bytes, valid until revoked", arguments: StoreKind.tested)
    func lifecycle(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let issued = try store.createKey(name: "ci", accountID: try account(store))
        #expect(issued.secret.hasPrefix("lk_"))
        let base64 = issued.secret.dropFirst(3).replacingOccurrences(of: "-", with: "+").replacingOccurrences(
            of: "_", with: "/")
        #expect(Data(base64Encoded: base64 + "=")?.count == 32)
        guard case .valid(let key, _) = try store.checkKey(secret: issued.secret) else {
            Issue.record("a fresh key is not valid")
            return
        }
        #expect(key.id == issued.key.id)
        #expect(try store.checkKey(secret: issued.secret + "x") == .unknown)
        #expect(try store.revokeKey(id: issued.key.id))
        #expect(try store.checkKey(secret: issued.secret) == .revoked)
        #expect(try !store.revokeKey(id: issued.key.id))
        #expect(try store.listKeys(accountID: nil).first?.revokedAt != nil)
    }

    @Test("only a hash of the secret is stored")
    func hashedAtRest() throws {
        let data = try DataDirectory(root: directory)
        let issued = try data.store.createKey(
            name: "a", accountID: try account(data.store), secret: "lk_operator-chosen-secret-value")
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

    @Test("last use is recorded", arguments: StoreKind.tested)
    func lastUsed(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let issued = try store.createKey(name: "a", accountID: try account(store))
        #expect(try store.listKeys(accountID: nil).first?.lastUsedAt == nil)
        _ = try store.checkKey(secret: issued.secret)
        #expect(try store.listKeys(accountID: nil).first?.lastUsedAt != nil)
    }
}

@Suite("Job queue and images")
struct JobTests {
    let directory = temporaryDirectory()

    func job(_ id: String, priority: JobPriority = .normal, webhook: String? = nil) -> JobRecord {
        var job = JobRecord(
            id: id, keyID: "key_1", dialect: .fal, model: "image-01", parameters: "{}", createdAt: Date())
        job.priority = priority
        job.webhookURL = webhook
        return job
    }

    func image(jobID: String, expiresIn seconds: TimeInterval = 60) -> StoredImage {
        let now = Date()
        return StoredImage(
            id: Identifier.make(), jobID: jobID, contentType: "image/jpeg", byteCount: 10, width: 1, height: 1,
            createdAt: now, expiresAt: now.addingTimeInterval(seconds))
    }

    @Test(
        "a job moves from queued to running to succeeded with its images; its input goes with it",
        arguments: StoreKind.tested)
    func success(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(
            job("job-1"), input: JobInput(request: "{\"n\":1}", reference: Data([1, 2, 3])), admission: Admission())
        #expect(try store.job(id: "job-1")?.status == .queued)
        let claimed = try #require(try store.claimNextJob(engine: "preview", at: Date()))
        #expect(claimed.record.id == "job-1" && claimed.record.status == .running && claimed.record.attempts == 1)
        #expect(claimed.input == JobInput(request: "{\"n\":1}", reference: Data([1, 2, 3])))
        let image = image(jobID: "job-1")
        let completed = try store.completeJob(
            id: "job-1", images: [image], blockedCount: 1, engine: "minimax", engineSeconds: 0.25, webhook: nil,
            at: Date())
        let job = try #require(try store.job(id: "job-1"))
        // The completion answers with the job as it was recorded.
        #expect(completed == job)
        // The engine that served replaces the one that claimed (a router names its route's engine).
        #expect(job.status == .succeeded && job.failure == nil && job.engine == "minimax")
        #expect(job.resultImageIDs == [image.id] && job.imageCount == 1 && job.failedCount == 1)
        #expect(job.engineSeconds == 0.25)
        let stored = try #require(try store.image(id: image.id))
        #expect(stored.jobID == "job-1" && stored.byteCount == 10 && stored.contentType == "image/jpeg")
        // Dates go through a REAL column: equal to well under a millisecond, not bit for bit.
        #expect(abs(stored.expiresAt.timeIntervalSince(image.expiresAt)) < 0.001)
        #expect(try store.database.query("SELECT COUNT(*) FROM job_inputs").first?.integer(0) == 0)
    }

    @Test("a result is recorded once: a second completion writes nothing", arguments: StoreKind.tested)
    func completedOnce(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(job("j"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", at: Date())
        #expect(
            try store.completeJob(
                id: "j", images: [image(jobID: "j")], blockedCount: 0, engine: "preview", engineSeconds: 1,
                webhook: nil, at: Date()) != nil)
        #expect(
            try store.completeJob(
                id: "j", images: [image(jobID: "j")], blockedCount: 0, engine: "preview", engineSeconds: 1,
                webhook: nil, at: Date()) == nil)
        #expect(try store.imageIDs().count == 1)
        #expect(
            try !store.finishJob(
                id: "j", status: .failed, failure: JobFailure(code: 1024, message: "late"), webhook: nil, at: Date()))
        #expect(try store.job(id: "j")?.status == .succeeded)
    }

    @Test("claims follow priority, then submission order; positions count the jobs ahead", arguments: StoreKind.tested)
    func order(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(
            job("low-1", priority: .low), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.enqueueJob(
            job("normal-1"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.enqueueJob(
            job("low-2", priority: .low), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.enqueueJob(
            job("normal-2"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        #expect(try store.queuePosition(id: "normal-1") == 0)
        #expect(try store.queuePosition(id: "normal-2") == 1)
        #expect(try store.queuePosition(id: "low-1") == 2)
        #expect(try store.queuePosition(id: "low-2") == 3)
        #expect(try store.queuedJobCount() == 4)
        var claimed: [String] = []
        while let next = try store.claimNextJob(engine: "preview", at: Date()) { claimed.append(next.record.id) }
        #expect(claimed == ["normal-1", "normal-2", "low-1", "low-2"])
        #expect(try store.queuePosition(id: "low-2") == nil)
    }

    @Test(
        "cancelling: queued jobs are cancelled for good, running ones flagged, finished ones refused",
        arguments: StoreKind.tested)
    func cancellation(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(
            job("queued", webhook: "https://example.com/hook"), input: JobInput(request: "{}", reference: nil),
            admission: Admission())
        _ = try store.enqueueJob(job("running"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", at: Date())
        // "queued" was claimed first; put it back so each state is covered.
        try store.requeueJob(id: "queued", refundAttempt: true)
        #expect(try store.job(id: "queued")?.attempts == 0)
        let hook = WebhookDelivery(url: "https://example.com/hook", body: Data("{}".utf8))
        #expect(try store.requestCancellation(id: "queued", webhook: hook, at: Date()) == .cancelled)
        #expect(try store.job(id: "queued")?.status == .cancelled)
        #expect(try store.claimNextJob(engine: "preview", at: Date())?.record.id == "running")
        #expect(try store.claimNextJob(engine: "preview", at: Date()) == nil)
        #expect(try store.requestCancellation(id: "running", webhook: nil, at: Date()) == .requested)
        #expect(try store.job(id: "running")?.cancelRequested == true)
        #expect(try store.requestCancellation(id: "queued", webhook: nil, at: Date()) == .alreadyFinished)
        #expect(try store.requestCancellation(id: "nothing", webhook: nil, at: Date()) == .notFound)
        #expect(
            try store.claimDueWebhooks(at: Date(), limit: 10, holdUntil: Date().addingTimeInterval(30)).map(\.jobID)
                == ["queued"])
    }

    @Test(
        "a job asked to start now is claimed as it is queued, with its input kept, unless a job waits before it",
        arguments: StoreKind.tested)
    func startNow(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let now = Date()
        let start = ImmediateStart(
            engine: "preview", lease: JobLease(owner: "r", expiresAt: now.addingTimeInterval(60)),
            log: ["Started (attempt 1)", "Generating"].map {
                JobLogLine(at: now, level: .info, source: .queue, message: $0)
            })
        let outcome = try store.enqueueJob(
            job("now"), input: JobInput(request: "{\"n\":1}", reference: Data([7])),
            admission: Admission(startNow: start))
        guard case .started(let started) = outcome else {
            Issue.record("not started: \(outcome)")
            return
        }
        #expect(started.status == .running && started.attempts == 1 && started.engine == "preview")
        #expect(started == (try store.job(id: "now")))
        #expect(try store.logs(jobID: "now").map(\.message) == ["Started (attempt 1)", "Generating"])
        // Its input stays until it finishes, so that a crash puts it back in the queue whole.
        #expect(try store.runningJobs().map(\.id) == ["now"])
        try store.requeueJob(id: "now", refundAttempt: false)
        #expect(try store.claimNextJob(engine: "preview", at: now)?.input.reference == Data([7]))

        // A queued job of its priority goes first: the new one only queues behind it.
        _ = try store.enqueueJob(job("waiting"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        #expect(
            try store.enqueueJob(
                job("behind"), input: JobInput(request: "{}", reference: nil), admission: Admission(startNow: start))
                == .queued)
        #expect(try store.queuePosition(id: "behind") == 1)
        // A low-priority job waiting does not hold back a normal one.
        _ = try store.claimNextJob(engine: "preview", at: now)
        _ = try store.claimNextJob(engine: "preview", at: now)
        _ = try store.enqueueJob(
            job("low", priority: .low), input: JobInput(request: "{}", reference: nil), admission: Admission())
        guard
            case .started = try store.enqueueJob(
                job("ahead-of-low"), input: JobInput(request: "{}", reference: nil),
                admission: Admission(startNow: start))
        else {
            Issue.record("a low-priority job held back a normal one")
            return
        }
    }

    @Test("running jobs are listed for recovery and can be queued again at their place", arguments: StoreKind.tested)
    func recovery(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(job("first"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.enqueueJob(job("second"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", at: Date())
        #expect(try store.runningJobs().map(\.id) == ["first"])
        try store.requeueJob(id: "first", refundAttempt: false)
        #expect(try store.job(id: "first")?.attempts == 1)
        #expect(try store.queuePosition(id: "first") == 0)
        #expect(try store.claimNextJob(engine: "preview", at: Date())?.record.attempts == 2)
    }

    @Test(
        "webhooks: recorded with the outcome, claimed by one deliverer, retried when they fail, signed with the key's secret",
        arguments: StoreKind.tested)
    func webhooks(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let issued = try store.createKey(name: "hooks", accountID: try account(store))
        #expect(issued.webhookSecret.hasPrefix("whsec_") && issued.webhookSecret.count == 6 + 64)
        var hooked = job("hooked", webhook: "https://example.com/hook")
        hooked.keyID = issued.key.id
        _ = try store.enqueueJob(hooked, input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", at: Date())
        let body = Data("{\"status\":\"ERROR\"}".utf8)
        try store.finishJob(
            id: "hooked", status: .failed, failure: JobFailure(code: 1024, message: "boom"),
            webhook: WebhookDelivery(url: "https://example.com/hook", body: body), at: Date())
        let due = try #require(
            try store.claimDueWebhooks(at: Date(), limit: 10, holdUntil: Date().addingTimeInterval(30)).first)
        #expect(due.body == body && due.attempts == 0 && due.signingSecret == issued.webhookSecret)
        // Claimed: no other replica takes it while this one delivers.
        #expect(try store.claimDueWebhooks(at: Date(), limit: 10, holdUntil: Date()).isEmpty)
        let later = Date().addingTimeInterval(30)
        try store.recordWebhookFailure(jobID: "hooked", error: "HTTP 500", nextAttempt: later)
        #expect(try store.claimDueWebhooks(at: Date(), limit: 10, holdUntil: Date().addingTimeInterval(30)).isEmpty)
        #expect(abs((try store.nextWebhookDue() ?? .distantPast).timeIntervalSince(later)) < 0.001)
        #expect(
            try store.claimDueWebhooks(at: later, limit: 10, holdUntil: later.addingTimeInterval(30)).first?.attempts
                == 1)
        try store.markWebhookDelivered(jobID: "hooked", at: later)
        #expect(try store.claimDueWebhooks(at: later, limit: 10, holdUntil: later.addingTimeInterval(30)).isEmpty)
        #expect(try store.nextWebhookDue() == nil)
    }

    @Test("log lines come back in order", arguments: StoreKind.tested)
    func logs(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(job("logged"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        for message in ["one", "two", "three"] {
            try store.appendLog(
                jobID: "logged", JobLogLine(at: Date(), level: .info, source: .engine, message: message))
        }
        #expect(try store.logs(jobID: "logged").map(\.message) == ["one", "two", "three"])
    }

    @Test("a job's first and last log lines are written with its claim and its completion", arguments: StoreKind.tested)
    func logsWithTransitions(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(job("moved"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        let now = Date()
        _ = try store.claimJob(
            id: "moved", engine: "preview", lease: JobLease(owner: "r", expiresAt: now.addingTimeInterval(60)), at: now,
            startLog: { JobLogLine(at: now, level: .info, source: .queue, message: "Started (attempt \($0))") })
        try store.appendLog(jobID: "moved", JobLogLine(at: now, level: .info, source: .engine, message: "working"))
        let identity = IdentityReport(scores: [0.8125], threshold: 0.7, attempts: 2, note: "2 faces")
        try store.completeJob(
            id: "moved", images: [image(jobID: "moved")], blockedCount: 0, engine: "preview", engineSeconds: 0,
            identity: identity, webhook: nil,
            log: JobLogLine(at: now, level: .info, source: .queue, message: "Stored 1 image"), at: now)
        #expect(try store.logs(jobID: "moved").map(\.message) == ["Started (attempt 1)", "working", "Stored 1 image"])
        // The identity report is kept whole, and its lowest score is what usage shows.
        #expect(try store.job(id: "moved")?.identity == identity)
        // A completion that is refused (the job is no longer running) writes no line either.
        try store.completeJob(
            id: "moved", images: [], blockedCount: 0, engine: "preview", engineSeconds: 0, identity: nil,
            webhook: nil, log: JobLogLine(at: now, level: .info, source: .queue, message: "again"), at: now)
        #expect(try store.logs(jobID: "moved").count == 3)
    }

    @Test("a full queue refuses a new job and writes nothing", arguments: StoreKind.tested)
    func fullQueue(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let admission = Admission(maximumQueuedJobs: 2)
        for id in ["one", "two"] {
            _ = try store.enqueueJob(job(id), input: JobInput(request: "{}", reference: nil), admission: admission)
        }
        #expect(throws: AdmissionRefusal.queueFull(limit: 2)) {
            try store.enqueueJob(job("three"), input: JobInput(request: "{}", reference: nil), admission: admission)
        }
        #expect(try store.job(id: "three") == nil)
        // A started job no longer waits: there is room again.
        _ = try store.claimNextJob(engine: "preview", at: Date())
        _ = try store.enqueueJob(job("three"), input: JobInput(request: "{}", reference: nil), admission: admission)
        #expect(try store.queuedJobCount() == 2)
    }

    @Test("expired image records are deleted and reported", arguments: StoreKind.tested)
    func expiry(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        _ = try store.enqueueJob(job("j"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", at: Date())
        let old = image(jobID: "j", expiresIn: -1)
        let fresh = image(jobID: "j")
        try store.completeJob(
            id: "j", images: [old, fresh], blockedCount: 0, engine: "preview", engineSeconds: 0, webhook: nil,
            at: Date())
        #expect(try store.deleteExpiredImages(at: Date()) == [StoredImage.File(id: old.id, format: .jpeg)])
        #expect(try store.imageIDs() == [fresh.id])
    }

    @Test("the database survives reopening")
    func reopen() throws {
        _ = try DataDirectory(root: directory).store.enqueueJob(
            job("kept"), input: JobInput(request: "{}", reference: nil), admission: Admission())
        #expect(try DataDirectory(root: directory).store.job(id: "kept")?.status == .queued)
    }
}

@Suite("Blob store")
struct BlobStoreTests {
    let directory = temporaryDirectory()

    @Test("writes land whole under the id and format, and read back", arguments: OutputFormat.allCases)
    func roundTrip(format: OutputFormat) throws {
        let blobs = try FileBlobStore(root: directory)
        let id = Identifier.make()
        try blobs.writeFile(Data("image bytes".utf8), id: id, format: format)
        #expect(try blobs.readFile(id: id, format: format) == Data("image bytes".utf8))
        #expect(blobs.fileURL(for: id, format: format).path.hasSuffix("/\(id.prefix(2))/\(id).\(format.fileExtension)"))
        blobs.deleteFile(id: id, format: format)
        #expect(try blobs.readFile(id: id, format: format) == nil)
    }

    @Test("a file shorter than its record (cut short by a power loss) reads as missing")
    func shortFile() throws {
        let blobs = try FileBlobStore(root: directory)
        let id = Identifier.make()
        try blobs.writeFile(Data(repeating: 1, count: 100), id: id, format: .jpeg)
        #expect(try blobs.readFile(id: id, format: .jpeg, expectedSize: 100)?.count == 100)
        try Data(repeating: 1, count: 40).write(to: blobs.fileURL(for: id, format: .jpeg))
        #expect(try blobs.readFile(id: id, format: .jpeg, expectedSize: 100) == nil)
    }

    @Test(
        "sweep removes partial files, files of any format no record points to, inputs of no unfinished job, photos of no character"
    )
    func sweep() throws {
        let blobs = try FileBlobStore(root: directory)
        let (queuedJob, finishedJob) = (Identifier.make(), Identifier.make())
        try blobs.writePrivateFile(Data([4]), as: .jobInput(jobID: queuedJob))
        try blobs.writePrivateFile(Data([5]), as: .jobInput(jobID: finishedJob))
        let (keptPhoto, deletedPhoto) = (Identifier.make(), Identifier.make())
        for photo in [keptPhoto, deletedPhoto] {
            try blobs.writePrivateFile(Data([6]), as: .characterPhoto(photoID: photo))
            try blobs.writePrivateFile(Data([7]), as: .characterThumbnail(photoID: photo))
        }
        let kept = Identifier.make()
        let orphans = OutputFormat.allCases.map { ($0, Identifier.make()) }
        try blobs.writeFile(Data([1]), id: kept, format: .png)
        for (format, orphan) in orphans { try blobs.writeFile(Data([2]), id: orphan, format: format) }
        let partial = blobs.fileURL(for: kept, format: .png).deletingLastPathComponent().appending(
            path: "x" + FileBlobStore.temporarySuffix)
        try Data([3]).write(to: partial)
        #expect(blobs.sweep(keeping: [kept], inputsOf: [queuedJob], photos: [keptPhoto]) == 1 + orphans.count + 1 + 2)
        #expect(try blobs.readFile(id: kept, format: .png) != nil)
        #expect(try blobs.readPrivateFile(.characterPhoto(photoID: keptPhoto)) == Data([6]))
        #expect(try blobs.readPrivateFile(.characterThumbnail(photoID: keptPhoto)) == Data([7]))
        #expect(try blobs.readPrivateFile(.characterPhoto(photoID: deletedPhoto)) == nil)
        #expect(try blobs.readPrivateFile(.characterThumbnail(photoID: deletedPhoto)) == nil)
        #expect(try blobs.readPrivateFile(.jobInput(jobID: queuedJob)) == Data([4]))
        #expect(try blobs.readPrivateFile(.jobInput(jobID: finishedJob)) == nil)
        for (format, orphan) in orphans { #expect(try blobs.readFile(id: orphan, format: format) == nil) }
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
        let (expires, signature) = parts(signer.path(for: id, format: .jpeg, expiresAt: Date().addingTimeInterval(60)))
        #expect(signer.isValid(imageID: id, expires: expires, signature: signature))
        #expect(
            !signer.isValid(imageID: id, expires: expires, signature: signature, now: Date().addingTimeInterval(120)))
    }

    @Test("changing the id, the expiry or the signature, or another secret, invalidates it")
    func tampering() {
        let (expires, signature) = parts(signer.path(for: id, format: .jpeg, expiresAt: Date().addingTimeInterval(60)))
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

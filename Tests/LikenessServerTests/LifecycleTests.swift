import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import Logging
import NIOCore
import Testing

@testable import LikenessServer
@testable import LikenessService

@Suite("Image URLs")
struct ImageURLTests {
    @Test("a tampered URL is 404; an expired one is 404 even before the janitor runs")
    func signedAndExpiring() async throws {
        let harness = try Harness { $0.imageURLLifetime = .seconds(2) }
        let clock = ManualClock()
        try await harness.test(clock: clock.wallClock) { client in
            nonisolated(unsafe) var url = ""
            try await client.generate(["model": "image-01", "prompt": "x"], key: harness.key) { _, reply in
                url = try #require(reply.data?.image_urls?.first)
            }
            #expect(try await client.download(url).status == .ok)
            let tampered = url.replacingOccurrences(of: "signature=", with: "signature=00")
            #expect(try await client.download(tampered).status == .notFound)
            let wrongID = url.replacingOccurrences(of: "/files/", with: "/files/0")
            #expect(try await client.download(wrongID).status == .notFound)
            clock.advance(by: 3)
            #expect(try await client.download(url).status == .notFound)
        }
    }

    @Test("the janitor deletes expired images' records and files")
    func janitor() async throws {
        let harness = try Harness()
        try await harness.test { client in
            nonisolated(unsafe) var id = ""
            try await client.generate(["model": "image-01", "prompt": "x"], key: harness.key) { _, reply in
                let jobID = try #require(reply.id)
                let job = try #require(try harness.directory.store.job(id: jobID))
                id = try #require(job.resultImageIDs.first)
            }
            #expect(try harness.directory.blobs.readFile(id: id, format: .jpeg) != nil)
            let janitor = ImageJanitor(
                images: harness.directory.store, blobs: harness.directory.blobs, interval: .seconds(60),
                store: StoreCalls(threads: StoreThreads(), logger: Logger(label: "test")))
            #expect(await janitor.sweep(at: Date()) == 0)
            #expect(await janitor.sweep(at: Date().addingTimeInterval(86_401)) == 1)
            #expect(try harness.directory.blobs.readFile(id: id, format: .jpeg) == nil)
            #expect(try harness.directory.store.image(id: id) == nil)
        }
    }

    @Test("with a public URL configured, image links use it")
    func publicURL() async throws {
        let harness = try Harness { $0.publicURL = "https://img.example.com" }
        try await harness.test { client in
            try await client.generate(["model": "image-01", "prompt": "x"], key: harness.key) { _, reply in
                #expect(reply.data?.image_urls?.first?.hasPrefix("https://img.example.com/v1/files/") == true)
            }
        }
    }
}

@Suite("Start-up and recovery")
struct StartupTests {
    @Test("first start creates one key, prints-once semantics, file mode 0600; later starts create none")
    func firstKey() throws {
        let harness = try Harness()
        let file = harness.directory.apiKeyFile
        #expect(
            try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == harness.key
        )
        let mode = (try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(mode == 0o600)
        let (_, again) = try prepareDataDirectory(harness.configuration)
        #expect(again == nil)
        #expect(try harness.directory.store.keyCount() == 1)
    }

    @Test("LIKENESS_API_KEY becomes the first key instead")
    func adoptedKey() throws {
        let harness = try Harness { $0.firstAPIKey = "lk_chosen-by-the-operator" }
        #expect(harness.key == "lk_chosen-by-the-operator")
        #expect(!FileManager.default.fileExists(atPath: harness.directory.apiKeyFile.path))
        #expect(try harness.directory.store.checkKey(secret: "lk_chosen-by-the-operator") != .unknown)
    }

    /// Queues a job and claims it, as a worker would have just before the process died.
    func interruptedJob(in store: SQLStore, attempts: Int = 1) throws -> String {
        let id = Identifier.make()
        let request = GenerationRequest(prompt: "interrupted mid-render", count: 2, seed: 7)
        _ = try store.enqueueJob(
            JobRecord(id: id, keyID: nil, dialect: .minimax, model: "image-01", parameters: nil, createdAt: Date()),
            input: try QueuedRequest.input(for: request, seeds: request.imageSeeds()), admission: Admission())
        for attempt in 1...attempts {
            _ = try store.claimNextJob(engine: "preview", lease: JobLease(owner: "old", expiresAt: Date()), at: Date())
            if attempt < attempts { try store.requeueJob(id: id, refundAttempt: false) }
        }
        return id
    }

    @Test("at start, a job a crash left running runs again; partial and orphan files are removed")
    func recovery() async throws {
        let harness = try Harness()
        let store = harness.directory.store
        let id = try interruptedJob(in: store)
        let orphan = Identifier.make()
        try harness.directory.blobs.writeFile(Data([1, 2, 3]), id: orphan, format: .jpeg)
        let partial = harness.directory.blobs.root.appending(path: "partial.partial")
        try Data([4]).write(to: partial)
        try await harness.test { _ in
            try await waitUntilFinished(id, in: store)
        }
        let job = try #require(try store.job(id: id))
        #expect(job.status == .succeeded && job.attempts == 2 && job.imageCount == 2)
        #expect(try store.logs(jobID: id).contains { $0.message.contains("Queued again after the server stopped") })
        #expect(try harness.directory.blobs.readFile(id: orphan, format: .jpeg) == nil)
        #expect(!FileManager.default.fileExists(atPath: partial.path))
    }

    @Test(
        "an inline reference is a file beside the images, never a database row; an interrupted job runs again from it, and it goes when the job ends"
    )
    func referenceAsFile() async throws {
        let harness = try Harness()
        let store = harness.directory.store
        let blobs = harness.directory.blobs
        let photo = try RasterImage.panel(width: 64, height: 80, colour: RGB(90, 60, 40), alpha: 255)
            .encoded(as: .jpeg(quality: 90))
        // A job a crash left running, its reference already a file.
        let id = Identifier.make()
        var request = GenerationRequest(prompt: "the same person, interrupted", count: 1, seed: 3)
        request.subjectReference = SubjectReference(source: .inline(photo))
        let queued = try QueuedRequest.input(for: request, seeds: request.imageSeeds())
        try blobs.writePrivateFile(photo, as: .jobInput(jobID: id))
        _ = try store.enqueueJob(
            JobRecord(
                id: id, keyID: nil, dialect: .minimax, model: "image-01", parameters: queued.request, createdAt: Date()
            ),
            input: JobInput(request: queued.request, reference: nil), admission: Admission())
        _ = try store.claimNextJob(engine: "preview", lease: JobLease(owner: "old", expiresAt: Date()), at: Date())
        try await harness.test { client in
            try await waitUntilFinished(id, in: store)
            // A new request's reference: the answer comes, and no input stays behind.
            let reply = try await client.native(
                [
                    "model": "image-01", "prompt": "the same person", "width": 512, "height": 512,
                    "subject_reference": [
                        ["type": "character", "image_file": "data:image/jpeg;base64," + photo.base64EncodedString()]
                    ],
                ], key: harness.key)
            #expect(reply.nativeCode == 0)
        }
        #expect(try store.job(id: id)?.status == .succeeded)
        #expect(try store.logs(jobID: id).contains { $0.message == "Loading the subject reference" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs.root.appending(path: "inputs").path) == [])
        #expect(try store.jobIDsWithInputs().isEmpty)
    }

    @Test(
        "a queued job whose input cannot be read back fails alone with 1033; the next request is served",
        arguments: [
            #"{"not": "a queued request"}"#,
            // One seed for two images: a row no version of Likeness writes.
            #"{"aigc_watermark":false,"height":1024,"model":"image-01","n":2,"prompt":"x","prompt_optimizer":false,"response_format":"url","seeds":[1],"width":1024}"#,
        ])
    func damagedInput(request: String) async throws {
        let harness = try Harness()
        let store = harness.directory.store
        let id = Identifier.make()
        _ = try store.enqueueJob(
            JobRecord(id: id, keyID: nil, dialect: .minimax, model: "image-01", parameters: nil, createdAt: Date()),
            input: JobInput(request: request, reference: nil), admission: Admission())
        try await harness.test { client in
            try await waitUntilFinished(id, in: store)
            try await client.generate(["model": "image-01", "prompt": "after the damaged one"], key: harness.key) {
                _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
        }
        let job = try #require(try store.job(id: id))
        #expect(job.status == .failed && job.failure?.code == 1033)
    }

    @Test("a job interrupted queue.maxAttempts times fails with 1033 instead of running again")
    func attemptsBounded() async throws {
        let harness = try Harness { $0.queue.maximumAttempts = 2 }
        let store = harness.directory.store
        let id = try interruptedJob(in: store, attempts: 2)
        try await harness.test { _ in }
        let job = try #require(try store.job(id: id))
        #expect(job.status == .failed && job.failure?.code == 1033 && job.attempts == 2)
        #expect(try store.imageIDs().isEmpty)
    }

    @Test("settings come from LIKENESS_* environment variables")
    func environment() throws {
        let provider = EnvironmentVariablesProvider(environmentVariables: [
            "LIKENESS_HOST": "0.0.0.0", "LIKENESS_PORT": "9123", "LIKENESS_DATA_DIR": "/var/lib/likeness",
            "LIKENESS_PUBLIC_URL": "https://img.example.com/", "LIKENESS_IMAGE_URL_TTL_SECONDS": "3600",
            "LIKENESS_MAX_BODY_BYTES": "1000", "LIKENESS_MAX_CONCURRENT_JOBS": "3",
            "LIKENESS_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "LIKENESS_FETCH_TIMEOUT_SECONDS": "4",
            "LIKENESS_FETCH_MAX_REDIRECTS": "1", "LIKENESS_SAFETY_BLOCKED_PHRASES": "alpha beta,gamma",
            "LIKENESS_API_KEY": "lk_x", "LIKENESS_LOG_LEVEL": "debug",
        ])
        let configuration = try LikenessConfiguration(reader: ConfigReader(provider: provider))
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9123)
        #expect(configuration.dataDirectory == "/var/lib/likeness")
        #expect(configuration.publicURL == "https://img.example.com")
        #expect(configuration.imageURLLifetime == .seconds(3600))
        #expect(configuration.maximumBodyBytes == 1000 && configuration.maximumConcurrentJobs == 3)
        #expect(
            configuration.fetch == FetchSettings(allowPrivateNetworks: true, timeout: .seconds(4), maximumRedirects: 1))
        #expect(configuration.promptPolicy.blockedPhrases == ["alpha beta", "gamma"])
        #expect(configuration.firstAPIKey == "lk_x" && configuration.logLevel == .debug)
    }

    @Test("defaults: 127.0.0.1:8080, ./.likeness, 24-hour URLs, the shipped phrase list")
    func defaults() throws {
        let configuration = try LikenessConfiguration(
            reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [:])))
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080)
        #expect(configuration.dataDirectory == "./.likeness")
        #expect(configuration.imageURLLifetime == .seconds(86_400))
        #expect(configuration.promptPolicy == .standard)
        #expect(!configuration.fetch.allowPrivateNetworks)
    }

    @Test("a phrases file replaces the list")
    func phrasesFile() throws {
        let file = temporaryDirectory("likeness-phrases").appending(path: "phrases.txt")
        try "first phrase\nsecond\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try LikenessConfiguration(
            reader: ConfigReader(
                provider: EnvironmentVariablesProvider(environmentVariables: ["LIKENESS_SAFETY_PHRASES_FILE": file.path]
                )))
        #expect(configuration.promptPolicy.blockedPhrases == ["first phrase", "second"])
    }
}

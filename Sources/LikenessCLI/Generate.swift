import ArgumentParser
import Foundation
import LikenessClient

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a Likeness (or MiniMax) server for images and write them to files.")

    @Option(help: "What to draw (1 to 1500 characters).") var prompt: String
    @Option(help: "A photo of the subject: a JPEG/PNG file or an http(s) URL.") var reference: String?
    @Option(name: .customLong("aspect-ratio"), help: "One of 1:1 16:9 4:3 3:2 2:3 3:4 9:16 21:9.") var aspectRatio =
        "1:1"
    @Option(name: .short, help: "How many images (1 to 9).") var n = 1
    @Option(help: "Seed: the same seed and parameters give the same images.") var seed: Int64?
    @Option(help: "Model: image-01 or image-01-live.") var model = "image-01"
    @Option(help: "Directory to write the images to.") var out = "."
    @Flag(help: "Go through Likeness's queue: print the job id and its progress, then the images.") var queue = false
    @OptionGroup var connection: ServerOptions

    func run() async throws {
        let client = try connection.client()
        guard let ratio = AspectRatio(rawValue: aspectRatio) else {
            throw ValidationError(
                "--aspect-ratio must be one of \(AspectRatio.allCases.map(\.rawValue).joined(separator: " "))")
        }
        guard let imageModel = ImageModel(rawValue: model) else {
            throw ValidationError("--model must be image-01 or image-01-live")
        }
        let request = GenerationRequest(
            model: imageModel, prompt: prompt, aspectRatio: ratio, count: n, seed: seed, responseFormat: .base64)
        var photo: LikenessClient.Reference? = nil
        if let reference {
            if ReferencePhoto.isLocalPath(reference) {
                photo = .file(URL(filePath: reference))
            } else {
                guard let url = URL(string: reference) else {
                    throw ValidationError("--reference \(reference) is not a URL")
                }
                photo = .url(url)
            }
        }
        let started = ContinuousClock.now
        let generation: Generation
        if queue {
            let job = try await client.submit(request, reference: photo)
            log("Job \(job.id) submitted to \(client.baseURL.absoluteString)")
            generation = try await follow(job)
        } else {
            log("Requesting \(n) image(s) from \(client.baseURL.absoluteString)…")
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(500))
                    log("  waiting… \(seconds(since: started))")
                }
            }
            defer { ticker.cancel() }
            generation = try await client.generate(request, reference: photo)
        }
        let engine = generation.engine.map { " by the \($0) engine" } ?? ""
        let cost = generation.cost.map { ", $\($0.usd)" } ?? ""
        log("Received \(generation.images.count) image(s)\(engine) in \(seconds(since: started))\(cost).")
        for file in try await client.save(generation, to: URL(filePath: out, directoryHint: .isDirectory)) {
            print(file.path)
        }
    }
}

/// Prints each change of a job's status on standard error; returns its images.
func follow(_ job: Job) async throws -> Generation {
    for try await status in job.progress {
        switch status {
        case .queued(let position): log("  queued" + (position.map { ", \($0) ahead" } ?? ""))
        case .running: log("  running")
        case .succeeded(let generation): return generation
        case .failed(let error): throw error
        }
    }
    throw ValidationError("the job's progress ended without a result")
}

/// `likeness status ID`: where a queued job stands; with `--wait`, its progress until it ends.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a queued job's status (or follow it).")
    @Argument(help: "The job id `generate --queue` printed.") var id: String
    @Flag(help: "Follow it until it ends, then write its images.") var wait = false
    @Option(help: "Directory to write the images to (with --wait).") var out = "."
    @OptionGroup var connection: ServerOptions

    func run() async throws {
        let client = try connection.client()
        let job = client.job(id: id)
        if wait {
            for file in try await client.save(
                try await follow(job), to: URL(filePath: out, directoryHint: .isDirectory))
            {
                print(file.path)
            }
            return
        }
        switch try await job.status() {
        case .queued(let position): print("queued" + (position.map { " (\($0) ahead)" } ?? ""))
        case .running: print("running")
        case .succeeded(let generation):
            print("succeeded: \(generation.images.count) image(s)")
            for image in generation.images { print(image.url?.absoluteString ?? "(inline)") }
        case .failed(let error): print("failed: \(error.message)")
        }
    }
}

/// `likeness cancel ID`.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job.")
    @Argument(help: "The job id.") var id: String
    @OptionGroup var connection: ServerOptions

    func run() async throws {
        try await connection.client().job(id: id).cancel()
        print("cancelled \(id)")
    }
}

func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = start.duration(to: .now)
    return String(format: "%.1fs", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

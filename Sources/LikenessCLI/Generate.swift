import ArgumentParser
import AsyncHTTPClient
import Foundation
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

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
    @OptionGroup var connection: ServerOptions

    func run() async throws {
        let (base, key) = try connection.resolved()

        var body: [String: JSONValue] = [
            "model": .string(model), "prompt": .string(prompt), "aspect_ratio": .string(aspectRatio),
            "n": .integer(Int64(n)), "response_format": .string("base64"),
        ]
        if let seed { body["seed"] = .integer(seed) }
        if let reference {
            body["subject_reference"] = .array([
                .object(["type": .string("character"), "image_file": .string(try ReferencePhoto.wireValue(reference))])
            ])
        }

        var request = HTTPClientRequest(url: base + "/v1/image_generation")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))

        let started = ContinuousClock.now
        log("Requesting \(n) image(s) from \(base)…")
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                log("  waiting… \(Self.seconds(since: started))")
            }
        }
        defer { ticker.cancel() }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let data = Data(buffer: try await response.body.collect(upTo: 256 * 1024 * 1024))
        ticker.cancel()
        let decoded = try JSONDecoder().decode(MiniMaxResponse.self, from: data)
        guard decoded.baseResponse.statusCode == 0, let images = decoded.data?.imageBase64 else {
            throw ValidationError(
                "the server refused: \(decoded.baseResponse.statusCode) \(decoded.baseResponse.statusMessage)")
        }
        let engine = response.headers.first(name: "X-Likeness-Engine").map { " by the \($0) engine" } ?? ""
        log("Received \(images.count) image(s)\(engine) in \(Self.seconds(since: started)).")

        let directory = URL(filePath: out, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (index, encoded) in images.enumerated() {
            guard let bytes = Data(base64Encoded: encoded) else {
                throw ValidationError("image \(index + 1) is not base64")
            }
            let file = directory.appending(path: "\(decoded.id ?? "image")-\(index + 1).jpg")
            try bytes.write(to: file)
            print(file.path)
        }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = start.duration(to: .now)
        return String(
            format: "%.1fs", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

import Foundation
import LikenessAPI
// The canonical request and its parts (`GenerationRequest`, `AspectRatio`, `ImageModel`, …) and
// the account bodies are this SDK's vocabulary: one `import LikenessClient` brings them.
@_exported import LikenessCore
import LikenessUpstream

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A client for Likeness, or for MiniMax's own image-01 API: the same calls, types and errors.
///
/// ```swift
/// let client = LikenessClient(baseURL: URL(string: "http://127.0.0.1:8080")!, apiKey: "lk_…")
/// let generation = try await client.generate("a lighthouse at dusk", aspectRatio: .wide16x9)
/// ```
public struct LikenessClient: Sendable {
    /// Retries, timeouts and polling.
    public struct Configuration: Sendable {
        /// Attempts per call, the first included. Retried: HTTP 429 and 503, rate limits in the
        /// native answer, and transport failures. Every attempt of one call carries the same
        /// `Idempotency-Key`, so a retried generation is charged once.
        public var maximumAttempts = 3
        /// The wait before the first retry when the server names none; doubled each time.
        public var retryDelay: Duration = .milliseconds(500)
        /// The longest wait between attempts, `Retry-After` included.
        public var maximumRetryDelay: Duration = .seconds(30)
        /// How long one HTTP exchange may take (a synchronous generation waits for its images).
        public var timeout: Duration = .seconds(600)
        /// How often a job's status is read while waiting on it.
        public var pollInterval: Duration = .milliseconds(500)

        public init() {}
    }

    /// MiniMax's API, outside mainland China.
    public static let miniMaxGlobal = URL(string: "https://api.minimax.io")!
    /// MiniMax's API, in mainland China.
    public static let miniMaxMainland = URL(string: "https://api.minimaxi.com")!

    public let baseURL: URL
    public var configuration: Configuration
    let apiKey: String
    let transport: any HTTPTransport

    public init(
        baseURL: URL, apiKey: String, configuration: Configuration = Configuration(),
        transport: any HTTPTransport = URLSessionTransport()
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.configuration = configuration
        self.transport = transport
    }

    /// The person to keep: a photo on disk, its bytes, a URL the server fetches, or a character
    /// stored on the server (`createCharacter`), by its id.
    public enum Reference: Sendable, Hashable {
        case file(URL)
        case data(Data)
        case url(URL)
        case character(String)
    }

    /// Generates images and waits for them.
    public func generate(
        _ prompt: String, reference: Reference? = nil, aspectRatio: AspectRatio = .square, count: Int = 1,
        seed: Int64? = nil, model: ImageModel = .image01, responseFormat: ResponseFormat = .url
    ) async throws(LikenessError) -> Generation {
        try await generate(
            GenerationRequest(
                model: model, prompt: prompt, aspectRatio: aspectRatio, count: count, seed: seed,
                responseFormat: responseFormat),
            reference: reference)
    }

    /// Generates what `request` describes and waits for the images. `reference`, when given,
    /// replaces the request's subject reference.
    public func generate(_ request: GenerationRequest, reference: Reference? = nil) async throws(LikenessError)
        -> Generation
    {
        let body = MiniMaxUpstream.clientRequestBody(
            request, reference: try Self.wireReference(reference, request), async: false)
        let answer = try await native(.post, MiniMaxUpstream.path, body: body)
        return try Generation(answer, request: request)
    }

    // MARK: Downloads

    /// An image's bytes: inline ones as they are, linked ones fetched (no key is sent: the URL
    /// is signed, or the provider's).
    public func data(of image: GeneratedImage) async throws(LikenessError) -> Data {
        if let data = image.data { return data }
        guard let url = image.url else { throw LikenessError(.transport, "the image has neither bytes nor a URL") }
        let (data, response) = try await exchange(URLRequest(url: url))
        guard (200..<300).contains(response.statusCode) else {
            throw LikenessError(
                response.statusCode == 404 ? .notFound : .transport,
                "the image could not be downloaded (HTTP \(response.statusCode)); its URL may have expired",
                httpStatus: response.statusCode)
        }
        return data
    }

    /// Writes every image of `generation` into `directory` as `<id>-<n>.<ext>` and returns the files.
    @discardableResult
    public func save(_ generation: Generation, to directory: URL) async throws(LikenessError) -> [URL] {
        var files: [URL] = []
        for (index, image) in generation.images.enumerated() {
            let bytes = try await data(of: image)
            let file = directory.appending(path: "\(generation.id)-\(index + 1).\(Self.fileExtension(of: bytes))")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try bytes.write(to: file, options: .atomic)
            } catch {
                throw LikenessError(.transport, "cannot write \(file.path): \(error)")
            }
            files.append(file)
        }
        return files
    }

    static func fileExtension(of bytes: Data) -> String {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if bytes.count > 12, bytes[bytes.startIndex + 8..<bytes.startIndex + 12].elementsEqual("WEBP".utf8) {
            return "webp"
        }
        return "jpg"
    }

    /// The reference as the native body carries it: a data URL for bytes and files, the URL, or
    /// the character's id.
    static func wireReference(_ reference: Reference?, _ request: GenerationRequest) throws(LikenessError)
        -> MiniMaxUpstream.ClientReference?
    {
        let bytes: Data
        switch reference {
        case .url(let url)?: return .imageFile(url.absoluteString)
        case .character(let id)?: return .character(id)
        case .data(let data)?: bytes = data
        case .file(let file)?: bytes = try readFile(file, field: "subject_reference")
        case nil:
            switch request.subjectReference?.source {
            case .inline(let data)?: bytes = data
            case .remote(let url)?: return .imageFile(url.absoluteString)
            case .character(let id)?: return .character(id.rawValue)
            case .upload?:
                throw LikenessError(
                    .invalidParameter, "an uploaded file is named in OpenAI's edits (file_id), not here",
                    field: "subject_reference")
            case nil: return nil
            }
        }
        return .imageFile(dataURL(bytes))
    }

    static func dataURL(_ bytes: Data) -> String {
        let type = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg"
        return "data:\(type);base64,\(bytes.base64EncodedString())"
    }

    static func readFile(_ file: URL, field: String) throws(LikenessError) -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw LikenessError(
                .invalidParameter, "cannot read the reference photo \(file.path): \(error)", field: field)
        }
    }
}

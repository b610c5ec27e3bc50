import AsyncHTTPClient
import Foundation
import LikenessCore
import LikenessUpstream
import NIOHTTP1

/// Any server that speaks the OpenAI images API (`sd-server`, LocalAI, another gateway):
/// `POST {base}/images/generations`, or `/images/edits` when a reference photo travels as a
/// multipart part (`OpenAIUpstream.ReferenceTransport`). `base` includes the `/v1`. Results
/// come back as base64 to be checked and stored, or, in passthrough, as the upstream's URLs.
public struct OpenAICompatibleEngine: ImageEngine {
    public var name: String { endpoint.name }
    let endpoint: UpstreamEndpoint
    let http: UpstreamHTTP
    /// The model name the upstream knows (`image-01`, `sd-turbo`, ...); empty sends Likeness's own.
    let upstreamModel: String
    let referenceTransport: OpenAIUpstream.ReferenceTransport

    public init(
        endpoint: UpstreamEndpoint, client: HTTPClient, upstreamModel: String = "",
        referenceTransport: OpenAIUpstream.ReferenceTransport = .edits
    ) {
        self.endpoint = endpoint
        self.http = endpoint.http(client)
        self.upstreamModel = upstreamModel
        self.referenceTransport = referenceTransport
    }

    public func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        let model = upstreamModel.isEmpty ? job.request.model.rawValue : upstreamModel
        let asURLs = endpoint.results.passesThrough(job)
        var headers: [(String, String)] = []
        if let key = endpoint.apiKey { headers.append(("Authorization", "Bearer \(key)")) }
        let path: String
        let body: Data
        if let reference = job.referenceImage, referenceTransport == .edits {
            let multipart = OpenAIUpstream.editsBody(
                job.request, model: model, reference: reference, boundary: "likeness-\(UUID().uuidString)",
                asURLs: asURLs)
            path = "/images/edits"
            body = multipart.body
            headers.append(("Content-Type", multipart.contentType))
        } else {
            path = "/images/generations"
            body = OpenAIUpstream.generationsBody(
                job.request, model: model, referenceDataURL: job.referenceDataURL, asURLs: asURLs)
            headers.append(("Content-Type", "application/json"))
        }
        let response = try await http.send(.POST, endpoint.baseURL + path, headers: headers, body: body)
        guard response.status == 200 else {
            let error = OpenAIUpstream.readError(response.body)
            if error?.code == "content_policy_violation" {
                throw UpstreamFailure.callerFault(.sensitivePrompt, error?.message ?? "content policy violation")
            }
            throw UpstreamFailure.http(
                name, status: response.status, message: error?.message, retryAfter: response.retryAfter)
        }
        let answer: [OpenAIUpstream.Image]
        do {
            answer = try OpenAIUpstream.readImages(response.body)
        } catch {
            throw UpstreamFailure.transient(name, "\(error)")
        }
        guard !answer.isEmpty else { throw UpstreamFailure.transient(name, "an answer with no images") }
        var images: [EngineImage] = []
        for item in answer.prefix(job.request.count) {
            switch item {
            case .base64(let text):
                guard let bytes = Data(base64Encoded: text) else {
                    throw UpstreamFailure.transient(name, "b64_json is not valid base64")
                }
                images.append(try await http.checkedImage(bytes))
            case .url(let url):
                images.append(contentsOf: try await http.images(at: [url], for: job, delivery: endpoint.results))
            }
        }
        return EngineOutput(images: images, blockedCount: max(0, job.request.count - images.count))
    }
}

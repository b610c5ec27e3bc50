import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationEssentialsCompat

extension SimulatorContext {
    /// The OpenAI images API as image servers implement it. Lenient about `model` (any name is
    /// served, as `sd-server` does), strict about `n`, `size` and the reference part.
    func addOpenAIRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/images/generations") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 32 << 20)
            return try await answer(request, body: body) { () throws(APIError) in
                let object = try JSONValue.parseObject(Data(buffer: body))
                let fields = FieldReader(object)
                return try Self.openAIFields(
                    n: fields.integer("n").map { Int($0) }, size: fields.string("size"),
                    format: fields.string("response_format"))
            }
        }
        router.post("/v1/images/edits") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 32 << 20)
            return try await answer(request, body: body) { () throws(APIError) in
                guard let boundary = request.headers[.contentType].flatMap(MultipartParser.boundary(contentType:))
                else {
                    throw APIError.invalid("image", "must be sent as multipart/form-data")
                }
                var parser = MultipartParser(boundary: boundary)
                let parts = try parser.feed(body.readableBytesView)
                try parser.finish()
                guard parts.contains(where: { $0.isFile && ($0.name == "image" || $0.name == "image[]") }) else {
                    throw APIError.missing("image")
                }
                func field(_ name: String) -> String? {
                    parts.first { $0.name == name }.map { String(decoding: $0.body, as: UTF8.self) }
                }
                return try Self.openAIFields(
                    n: field("n").flatMap { Int($0) }, size: field("size"), format: field("response_format"))
            }
        }
    }

    private func answer(
        _ request: Request, body: ByteBuffer,
        parse: () throws(APIError) -> (count: Int, size: PixelSize, base64: Bool)
    ) async throws -> Response {
        try await state.withInFlight {
            let admitted = try await admit(request, body: body, credentialScheme: "Bearer") { code, message in
                Self.openAIAnswer(APIError(code, message))
            }
            if let response = admitted.response { return response }
            let fields: (count: Int, size: PixelSize, base64: Bool)
            do {
                fields = try parse()
            } catch let error as APIError {
                return Self.openAIAnswer(error)
            }
            let images: OpenAIImagesResponse.Images
            if fields.base64 {
                let encoded = try await state.image(fields.size).base64EncodedString()
                images = .base64(Array(repeating: encoded, count: fields.count))
            } else {
                images = .urls(
                    (0..<fields.count).map { index in
                        Self.imageURL(
                            origin: Self.origin(of: request), size: fields.size, index: index,
                            expired: admitted.expireURLs)
                    })
            }
            return Self.json(.ok, OpenAIImagesResponse.jsonData(created: Date(), images: images))
        }
    }

    static func openAIFields(n: Int?, size: String?, format: String?) throws(APIError) -> (
        count: Int, size: PixelSize, base64: Bool
    ) {
        let count = n ?? 1
        guard (1...10).contains(count) else { throw APIError.invalid("n", "must be in 1...10") }
        guard let size = pixelSize(size ?? "1024x1024") else { throw APIError.invalid("size", "must be WxH") }
        return (count, size, format == "b64_json")
    }

    static func openAIAnswer(_ error: APIError) -> Response {
        let failure = OpenAIError(error)
        return json(.init(code: failure.status), failure.jsonData())
    }
}

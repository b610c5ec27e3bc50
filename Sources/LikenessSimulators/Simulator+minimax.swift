import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationEssentialsCompat

extension SimulatorContext {
    /// `POST /v1/image_generation` as MiniMax answers it: every failure is HTTP 200 with a
    /// non-zero `base_resp.status_code`, counts are integers (as its schema says), and each answer
    /// carries a `Trace-Id`.
    func addMiniMaxRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/image_generation") { request, _ -> Response in
            let trace = UUID().uuidString.lowercased()
            let body = try await request.body.collect(upTo: 32 << 20)
            return try await state.withInFlight {
                let admitted = try await admit(request, body: body, credentialScheme: "Bearer") { code, message in
                    Self.miniMaxAnswer(code: code.rawValue, message: message, trace: trace)
                }
                if var response = admitted.response {
                    response.headers[HTTPField.Name("Trace-Id")!] = trace
                    return response
                }
                let generation: GenerationRequest
                do {
                    generation = try MiniMaxRequest.parse(Data(buffer: body))
                } catch let error as APIError {
                    return Self.miniMaxAnswer(code: error.code.rawValue, message: error.message, trace: trace)
                }
                var data: [String: JSONValue] = [:]
                let withheld = min(admitted.withheld, generation.count)
                let delivered = generation.count - withheld
                if !admitted.subjects.isEmpty {
                    var urls: [JSONValue] = []
                    var encoded: [JSONValue] = []
                    for index in 0..<delivered {
                        let photo = admitted.subjects[index % admitted.subjects.count]
                        let (id, jpeg) = try await state.renderSubject(photo, size: generation.size)
                        urls.append(.string("\(Self.origin(of: request))/simulator/subjects/\(id).jpg"))
                        encoded.append(.string(jpeg.base64EncodedString()))
                    }
                    data[generation.responseFormat == .url ? "image_urls" : "image_base64"] =
                        .array(generation.responseFormat == .url ? urls : encoded)
                } else {
                    switch generation.responseFormat {
                    case .url:
                        data["image_urls"] = .array(
                            (0..<delivered).map { index in
                                .string(
                                    Self.imageURL(
                                        origin: Self.origin(of: request), size: generation.size, index: index,
                                        expired: admitted.expireURLs))
                            })
                    case .base64:
                        let jpeg = try await state.image(generation.size).base64EncodedString()
                        data["image_base64"] = .array(Array(repeating: .string(jpeg), count: delivered))
                    }
                }
                return Self.json(
                    .ok,
                    [
                        "id": .string(trace), "data": .object(data),
                        "metadata": .object([
                            "success_count": .integer(Int64(delivered)), "failed_count": .integer(Int64(withheld)),
                        ]),
                        "base_resp": .object(["status_code": .integer(0), "status_msg": .string("success")]),
                    ], headers: [HTTPField.Name("Trace-Id")!: trace])
            }
        }
    }

    static func miniMaxAnswer(code: Int, message: String, trace: String) -> Response {
        json(
            .ok,
            [
                "id": .string(trace),
                "base_resp": .object(["status_code": .integer(Int64(code)), "status_msg": .string(message)]),
            ], headers: [HTTPField.Name("Trace-Id")!: trace])
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import NIOCore
import NIOFoundationEssentialsCompat

extension SimulatorContext {
    /// fal's queue API for the two image-01 apps: submit answers at once, the request is in
    /// progress for the simulator's latency, then completes; failures use HTTP statuses and
    /// `{"detail": ...}` bodies.
    func addFalRoutes(to router: Router<BasicRequestContext>) {
        for app in FalApp.allCases {
            router.post(RouterPath(app.rawValue)) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 32 << 20)
                return try await state.withInFlight {
                    let admitted = try await admit(request, body: body, credentialScheme: "Key") { code, message in
                        Self.falAnswer(APIError(code, message))
                    }
                    if let response = admitted.response { return response }
                    let generation: GenerationRequest
                    do {
                        generation = try app.parse(json: Data(buffer: body))
                    } catch let error as APIError {
                        return Self.falAnswer(error)
                    }
                    let id = UUID().uuidString.lowercased()
                    state.addFalRequest(
                        SimulatorState.FalRequest(
                            id: id, imageURLsExpire: admitted.expireURLs, size: generation.size,
                            count: generation.count, readyAt: .now + settings.latency))
                    let requestURL = "\(Self.origin(of: request))/\(FalQueue.requestsApp)/requests/\(id)"
                    return Self.json(.ok, FalQueue.submitted(requestID: id, requestURL: requestURL, queuePosition: 0))
                }
            }
        }
        let requests = "\(FalQueue.requestsApp)/requests/:id"
        router.get(RouterPath("\(requests)/status")) { request, context -> Response in
            guard let id = context.parameters.get("id"), let queued = state.falRequest(id) else {
                return Self.json(.notFound, FalQueue.detail("Request not found"))
            }
            if state.poll() { return Self.json(.internalServerError, FalQueue.detail("simulated status failure")) }
            let requestURL = "\(Self.origin(of: request))/\(FalQueue.requestsApp)/requests/\(id)"
            let status: FalQueue.Status =
                queued.cancelled
                ? .completed(inferenceSeconds: nil, error: "Request was cancelled", errorType: nil)
                : queued.readyAt > .now ? .inProgress : .completed(inferenceSeconds: 0.1, error: nil, errorType: nil)
            return Self.json(.ok, FalQueue.status(status, requestID: id, requestURL: requestURL, logs: nil))
        }
        router.get(RouterPath(requests)) { request, context -> Response in
            guard let id = context.parameters.get("id"), let queued = state.falRequest(id) else {
                return Self.json(.notFound, FalQueue.detail("Request not found"))
            }
            guard !queued.cancelled else { return Self.json(.badRequest, FalQueue.detail("Request was cancelled")) }
            guard queued.readyAt <= .now else {
                return Self.json(.badRequest, FalQueue.detail("Request is still in progress"))
            }
            let images = (0..<queued.count).map { index in
                FalImage(
                    url: Self.imageURL(
                        origin: Self.origin(of: request), size: queued.size, index: index,
                        expired: queued.imageURLsExpire),
                    contentType: "image/jpeg", fileName: "\(index).jpg", fileSize: 0, width: queued.size.width,
                    height: queued.size.height)
            }
            return Self.json(.ok, FalResponse.jsonData(images: images))
        }
        router.put(RouterPath("\(requests)/cancel")) { _, context -> Response in
            guard let id = context.parameters.get("id"), state.cancelFalRequest(id) else {
                return Self.json(.notFound, FalQueue.cancelStatus("NOT_FOUND"))
            }
            return Self.json(.accepted, FalQueue.cancelStatus("CANCELLATION_REQUESTED"))
        }
    }

    static func falAnswer(_ error: APIError) -> Response {
        let failure = FalError(error)
        return json(.init(code: failure.status), failure.body)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import NIOCore
import NIOFoundationEssentialsCompat

/// What a dialect's parse step yields: the canonical request, and how to queue it.
struct Intake: Sendable {
    var request: GenerationRequest
    var options = QueueOptions()
    /// Answer at once with the queued job (`"async": true` or `Prefer: respond-async`).
    var respondAsync = false
}

/// The one path every dialect's generation route takes, the fal queue's submit included: the
/// caller (authenticated and rate limited by the group's middleware) → parse, recording a refusal
/// → submit, and wait or not → render success or failure in the dialect's own shape. Controllers
/// supply only the parsing and the success rendering.
struct GenerationEndpoint: Sendable {
    let service: GenerationService
    let support: RequestSupport
    let links: ImageLinks

    /// Submits and waits for the result: the synchronous routes. A dialect with an asynchronous
    /// mode renders its `accepted` answer for an intake that asks for it.
    func respond(
        _ request: Request, context: LikenessRequestContext, dialect: any DialectRendering,
        parse: () async throws(APIError) -> Intake,
        success: (GenerationResult, _ id: String) throws(APIError) -> Rendered,
        accepted: ((JobSnapshot) throws(APIError) -> Rendered)? = nil
    ) async -> Response {
        await run(request, context: context, dialect: dialect, parse: parse) {
            intake, id, submission throws(APIError) in
            if intake.respondAsync, let accepted {
                let job = try await service.enqueue(intake.request, id: id, submission)
                return Outcome(
                    id: job.id, result: nil, billing: support.billingHeaders(of: job), rendered: try accepted(job))
            }
            let generated = try await service.generate(intake.request, id: id, submission)
            // A replay answers as the first request did, under its id.
            return Outcome(
                id: generated.jobID, result: generated, billing: [.likenessCost: generated.cost.usd],
                rendered: try success(generated, generated.jobID))
        }
    }

    /// Submits and answers at once with the queued job and the requests ahead of it: fal's queue.
    func enqueue(
        _ request: Request, context: LikenessRequestContext, dialect: any DialectRendering,
        parse: () async throws(APIError) -> Intake,
        success: (JobSnapshot, _ position: Int) throws(APIError) -> Rendered
    ) async -> Response {
        await run(request, context: context, dialect: dialect, parse: parse) {
            intake, id, submission throws(APIError) in
            let job = try await service.enqueue(intake.request, id: id, submission)
            return Outcome(
                id: job.id, result: nil, billing: support.billingHeaders(of: job),
                rendered: try success(job, try await service.queuePosition(id: job.id) ?? 0))
        }
    }

    private struct Outcome {
        var id: String
        var result: GenerationResult?
        var billing: HTTPFields
        var rendered: Rendered
    }

    private func run(
        _ request: Request, context: LikenessRequestContext, dialect: any DialectRendering,
        parse: () async throws(APIError) -> Intake,
        submit: (Intake, _ id: String, Submission) async throws(APIError) -> Outcome
    ) async -> Response {
        let outcome: Outcome
        do throws(APIError) {
            let caller = try context.requireCaller()
            let intake: Intake
            let idempotencyKey: String?
            do throws(APIError) {
                idempotencyKey = try Self.idempotencyKey(request)
                intake = ownReference(in: try await parse(), request: request)
            } catch {
                await service.recordRejected(id: context.requestID, caller: caller, dialect: dialect.id, error: error)
                throw error
            }
            let submission = Submission(
                caller: caller, dialect: dialect.id, idempotencyKey: idempotencyKey, options: intake.options)
            outcome = try await submit(intake, context.requestID, submission)
        } catch {
            outcome = Outcome(
                id: context.requestID, result: nil, billing: [.likenessCost: MicroDollars.zero.usd],
                rendered: dialect.failure(error, id: context.requestID))
        }
        var rendered = outcome.rendered
        rendered.headers =
            support.timingHeaders(of: outcome.result, received: context.received) + outcome.billing
            + rendered.headers
        return support.response(rendered, id: outcome.id, engine: outcome.result?.engine)
    }

    /// A reference URL of this server's names what it keeps (`OwnReferenceURL`), in any dialect.
    private func ownReference(in intake: Intake, request: Request) -> Intake {
        guard case .remote(let url)? = intake.request.subjectReference?.source,
            let source = OwnReferenceURL.source(of: url, origin: links.origin(of: request))
        else { return intake }
        var resolved = intake
        resolved.request.subjectReference?.source = source
        return resolved
    }

    /// `Prefer: respond-async` (RFC 7240): answer at once, with a task to poll.
    static func prefersAsync(_ request: Request) -> Bool {
        request.headers[.prefer]?.lowercased().contains("respond-async") == true
    }

    /// The queue options of a native or OpenAI submission: its `callback_url`, and where it came in.
    static func options(_ async: AsyncSubmission, origin: String) -> QueueOptions {
        QueueOptions(webhookURL: async.callbackURL, origin: origin)
    }

    /// `Idempotency-Key`, when sent: 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return key
    }
}

import Foundation
import LikenessAPI
import LikenessCore
import LikenessService

/// The webhook body of a finished job in its own dialect, linking images from the origin the
/// request was submitted to: fal's queue webhook, or the native and OpenAI dialects' task
/// answers (their `callback_url`), always with image URLs.
struct DialectWebhookRendering: WebhookRendering {
    let links: ImageLinks

    func body(
        jobID: String, dialect: Dialect, origin: String?, outcome: Result<[ResultImage], APIError>,
        identity: IdentityReport?
    ) -> Data {
        let origin = origin ?? links.publicURL ?? ""
        let urls = outcome.map { $0.map { links.url(for: $0, origin: origin) } }
        switch dialect {
        case .minimax:
            return MiniMaxTasks.body(
                taskID: jobID,
                urls.map { MiniMaxResponse.success(id: jobID, imageURLs: $0, failedCount: 0, identity: identity) })
        case .openai:
            let format = (try? outcome.get())?.first?.format ?? .jpeg
            return OpenAITasks.body(
                taskID: jobID, created: Date(), urls.map { (format, OpenAIImagesResponse.Images.urls($0), identity) })
        // MCP's tools ask for no webhook; were one recorded, fal's shape is the generic one.
        case .fal, .mcp:
            return FalQueue.webhook(
                requestID: jobID,
                output: outcome.map { FalDialect.images($0, links: links, origin: origin) }.mapError(FalError.init),
                identity: identity)
        }
    }
}

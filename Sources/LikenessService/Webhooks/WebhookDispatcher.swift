import AsyncHTTPClient
import Crypto
import Foundation
import LikenessCore
import LikenessStore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Delivers the webhooks recorded with finished jobs: a POST of the JSON body, signed with the
/// submitting key's webhook secret, retried with exponential backoff until a 2xx answer or
/// `settings.maximumAttempts`. Deliveries are in the database, so a restart resumes them.
///
/// Headers: `X-Likeness-Signature: sha256=<hex HMAC-SHA256 of the body>`,
/// `X-Likeness-Request-Id`, `X-Likeness-Webhook-Attempt` (1-based).
package struct WebhookDispatcher: Service {
    let deliveries: any WebhookRepository
    let settings: WebhookSettings
    let connector: GuardedConnector
    /// Signalled when a job finishes with a webhook, so that it goes out at once.
    let signal: WorkSignal
    let logger: Logger
    let store: StoreCalls
    let metrics: ServerMetrics

    package init(
        deliveries: any WebhookRepository, settings: WebhookSettings, signal: WorkSignal, store: StoreCalls,
        metrics: ServerMetrics
    ) {
        self.deliveries = deliveries
        self.settings = settings
        self.connector = GuardedConnector(allowPrivateNetworks: settings.allowPrivateNetworks)
        self.signal = signal
        self.logger = store.logger
        self.store = store
        self.metrics = metrics
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await deliverDue()
                let next = await nextDue().map { max(0, $0.timeIntervalSinceNow) } ?? 60
                await signal.wait(atMost: .milliseconds(Int64(min(next, 60) * 1000)))
            }
        }
    }

    /// When the next delivery falls due; nil when none waits (or the store failed, logged).
    private func nextDue() async -> Date? {
        try? await store.read("read the next webhook due") { [deliveries] in try deliveries.nextWebhookDue() }
    }

    func deliverDue() async {
        let due: [PendingWebhook]
        let now = Date()
        // Held for longer than an attempt can take (the POST's timeout), with a margin.
        let hold = now.addingTimeInterval(settings.timeout.seconds + 30)
        do {
            due = try await store.write("claim the webhooks due") { [deliveries] in
                try deliveries.claimDueWebhooks(at: now, limit: 16, holdUntil: hold)
            }
        } catch {
            return  // logged; the next round tries again
        }
        await withDiscardingTaskGroup { group in
            for webhook in due {
                group.addTask { await deliver(webhook) }
            }
        }
    }

    private func deliver(_ webhook: PendingWebhook) async {
        let attempt = webhook.attempts + 1
        var logger = logger
        logger[metadataKey: "job"] = "\(webhook.jobID)"
        logger[metadataKey: "attempt"] = "\(attempt)"
        do {
            let status = try await post(webhook, attempt: attempt)
            if (200..<300).contains(status) {
                try await store.write("mark a webhook delivered") { [deliveries] in
                    try deliveries.markWebhookDelivered(jobID: webhook.jobID, at: Date())
                }
                logger.info("webhook delivered", metadata: ["status": "\(status)"])
                metrics.webhook("delivered")
                return
            }
            try await recordFailure(webhook, attempt: attempt, "answered HTTP \(status)", logger: logger)
        } catch let error as OutboundRefusal {
            // A refused address will not become acceptable: no retries.
            _ = try? await store.write("record a refused webhook") { [deliveries] in
                try deliveries.recordWebhookFailure(jobID: webhook.jobID, error: error.message, nextAttempt: nil)
            }
            logger.warning("webhook refused", metadata: ["reason": "\(error.message)"])
            metrics.webhook("refused")
        } catch {
            try? await recordFailure(webhook, attempt: attempt, "\(error)", logger: logger)
        }
    }

    private func recordFailure(_ webhook: PendingWebhook, attempt: Int, _ reason: String, logger: Logger)
        async throws(APIError)
    {
        let next =
            attempt < settings.maximumAttempts
            ? Date().addingTimeInterval(settings.backoff(afterFailures: attempt).seconds) : nil
        try await store.write("record a webhook failure") { [deliveries] in
            try deliveries.recordWebhookFailure(jobID: webhook.jobID, error: reason, nextAttempt: next)
        }
        metrics.webhook(next == nil ? "given_up" : "failed")
        logger.notice(
            next == nil ? "webhook given up" : "webhook failed; will retry",
            metadata: ["reason": "\(reason)", "retry_at": "\(next.map { "\($0)" } ?? "never")"])
    }

    private func post(_ webhook: PendingWebhook, attempt: Int) async throws -> UInt {
        guard let url = URL(string: webhook.url) else { throw OutboundRefusal(message: "the webhook URL is invalid") }
        return try await withDeadline(settings.timeout) { [connector] in
            try await connector.withClient(for: url) { client in
                var request = HTTPClientRequest(url: webhook.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "Likeness webhooks")
                request.headers.add(name: "X-Likeness-Request-Id", value: webhook.jobID)
                request.headers.add(name: "X-Likeness-Webhook-Attempt", value: String(attempt))
                if let secret = webhook.signingSecret {
                    request.headers.add(
                        name: "X-Likeness-Signature",
                        value: "sha256=" + Self.signature(of: webhook.body, secret: secret))
                }
                request.body = .bytes(ByteBuffer(bytes: webhook.body))
                let response = try await client.execute(request, timeout: .seconds(settings.timeout.components.seconds))
                // The answer's body is not used; reading a little of it lets the connection close cleanly.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                return response.status.code
            }
        }
    }

    /// Lowercase hex HMAC-SHA256 of `body` keyed by the UTF-8 bytes of `secret`.
    static func signature(of body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).hexadecimal
    }
}

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
/// Headers, on every webhook: `X-Likeness-Signature: sha256=<hex HMAC-SHA256 of the body>`,
/// `X-Likeness-Request-Id`, `X-Likeness-Webhook-Attempt` (1-based). Besides, each dialect's own
/// scheme, so that receivers written for it verify unchanged: fal's `X-Fal-Webhook-*` headers
/// with an ED25519 signature by the installation's key (`WebhookSigningKeys`), and Standard
/// Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) for the native and OpenAI
/// `callback_url`, with the key's `whsec_` secret.
package struct WebhookDispatcher: Service {
    let deliveries: any WebhookRepository
    let settings: WebhookSettings
    let connector: GuardedConnector
    /// Signalled when a job finishes with a webhook, so that it goes out at once.
    let signal: WorkSignal
    let logger: Logger
    let store: StoreCalls
    let metrics: ServerMetrics
    let signingKeys: WebhookSigningKeys

    package init(
        deliveries: any WebhookRepository, settings: WebhookSettings, signal: WorkSignal, store: StoreCalls,
        metrics: ServerMetrics, signingKeys: WebhookSigningKeys
    ) {
        self.deliveries = deliveries
        self.settings = settings
        self.connector = GuardedConnector(allowPrivateNetworks: settings.allowPrivateNetworks)
        self.signal = signal
        self.logger = store.logger
        self.store = store
        self.metrics = metrics
        self.signingKeys = signingKeys
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
        let schemeHeaders = try await headers(of: webhook, at: Date())
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
                for (name, value) in schemeHeaders { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(bytes: webhook.body))
                let response = try await client.execute(request, timeout: .seconds(settings.timeout.components.seconds))
                // The answer's body is not used; reading a little of it lets the connection close cleanly.
                _ = try? await response.body.collect(upTo: 64 * 1024)
                return response.status.code
            }
        }
    }

    /// The dialect's own signature headers, made at `date` (each attempt is signed anew).
    func headers(of webhook: PendingWebhook, at date: Date) async throws -> [(String, String)] {
        let timestamp = Int64(date.timeIntervalSince1970)
        switch webhook.dialect {
        case .fal:
            let key = try await signingKeys.current(at: date)
            let signature = try WebhookSigningKeys.falSignature(
                requestID: webhook.jobID, userID: webhook.accountID, timestamp: timestamp, body: webhook.body,
                key: try key.signing)
            return [
                ("X-Fal-Webhook-Request-Id", webhook.jobID), ("X-Fal-Webhook-User-Id", webhook.accountID),
                ("X-Fal-Webhook-Timestamp", String(timestamp)), ("X-Fal-Webhook-Signature", signature),
            ]
        case .minimax, .openai:
            guard let secret = webhook.signingSecret,
                let signature = Self.standardSignature(
                    id: webhook.jobID, timestamp: timestamp, body: webhook.body, secret: secret)
            else { return [] }
            return [
                ("webhook-id", webhook.jobID), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", signature),
            ]
        case .mcp:
            return []
        }
    }

    /// Standard Webhooks' `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the bytes
    /// the secret's base64 (after `whsec_`) spells; nil for a secret that spells none.
    static func standardSignature(id: String, timestamp: Int64, body: Data, secret: String) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else {
            return nil
        }
        let signed = Data("\(id).\(timestamp).".utf8) + body
        return "v1,"
            + Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key)))
            .base64EncodedString()
    }

    /// Lowercase hex HMAC-SHA256 of `body` keyed by the UTF-8 bytes of `secret`.
    static func signature(of body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).hexadecimal
    }
}

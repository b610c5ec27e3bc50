import Foundation

/// A recorded webhook not yet delivered, with the signing secret of the key that asked for it.
public struct PendingWebhook: Sendable, Hashable {
    public var jobID: String
    public var url: String
    public var body: Data
    /// Attempts already made.
    public var attempts: Int
    public var signingSecret: String?
}

/// Webhook deliveries, recorded with the job outcome they report and retried until delivered
/// or given up.
public protocol WebhookRepository: Sendable {
    func dueWebhooks(at: Date, limit: Int) throws -> [PendingWebhook]
    /// The earliest time a pending delivery is due, if any is pending.
    func nextWebhookDue() throws -> Date?
    func markWebhookDelivered(jobID: String, at: Date) throws
    /// Records a failed attempt: retried at `nextAttempt`, or given up when that is nil.
    func recordWebhookFailure(jobID: String, error: String, nextAttempt: Date?) throws
    func webhookSigningSecret(keyID: String) throws -> String?
}

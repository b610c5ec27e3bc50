import Foundation
import LikenessCore

/// A recorded webhook not yet delivered, with the signing secret of the key that asked for it.
public struct PendingWebhook: Sendable, Hashable {
    public var jobID: String
    /// The job's account and dialect: a fal webhook is signed as fal signs, for its user.
    public var accountID: String
    public var dialect: Dialect
    public var url: String
    public var body: Data
    /// Attempts already made.
    public var attempts: Int
    public var signingSecret: String?
}

/// Webhook deliveries, recorded with the job outcome they report and retried until delivered
/// or given up.
public protocol WebhookRepository: Sendable {
    /// Takes up to `limit` deliveries due at `date` for this replica alone: each is held (not
    /// due again) until `holdUntil`, by when its attempt has been recorded; a replica that stops
    /// mid-delivery leaves it to fall due again.
    func claimDueWebhooks(at date: Date, limit: Int, holdUntil: Date) throws -> [PendingWebhook]
    /// The earliest time a pending delivery is due, if any is pending.
    func nextWebhookDue() throws -> Date?
    func markWebhookDelivered(jobID: String, at: Date) throws
    /// Records a failed attempt: retried at `nextAttempt`, or given up when that is nil.
    func recordWebhookFailure(jobID: String, error: String, nextAttempt: Date?) throws
    func webhookSigningSecret(keyID: String) throws -> String?
}

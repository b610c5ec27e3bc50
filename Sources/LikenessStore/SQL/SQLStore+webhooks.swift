import Foundation
import LikenessCore

extension SQLStore {
    public func claimDueWebhooks(at date: Date, limit: Int, holdUntil: Date) throws -> [PendingWebhook] {
        try database.transaction { transaction in
            let claimed = try transaction.query(
                """
                UPDATE webhook_deliveries SET next_attempt_at = ? WHERE job_id IN (
                    SELECT job_id FROM webhook_deliveries
                    WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?
                    ORDER BY next_attempt_at LIMIT ? \(database.flavor.skipLocked)
                ) RETURNING job_id
                """, [SQLValue(holdUntil), SQLValue(date), SQLValue(limit)]
            ).compactMap { $0.text(0) }
            return try claimed.compactMap { jobID in
                try transaction.query(
                    """
                    SELECT d.job_id, d.url, d.body, d.attempts, k.webhook_secret, j.account_id, j.dialect
                    FROM webhook_deliveries AS d
                    JOIN jobs AS j ON j.id = d.job_id LEFT JOIN api_keys AS k ON k.id = j.key_id WHERE d.job_id = ?
                    """, [.text(jobID)]
                ).first.map { row in
                    PendingWebhook(
                        jobID: row.text(0) ?? "", accountID: row.text(5) ?? "",
                        dialect: Dialect(rawValue: row.text(6) ?? "") ?? .fal, url: row.text(1) ?? "",
                        body: row.blob(2) ?? Data(),
                        attempts: Int(row.integer(3) ?? 0), signingSecret: row.text(4))
                }
            }
        }
    }

    public func nextWebhookDue() throws -> Date? {
        try database.query(
            "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL"
        ).first?.date(0)
    }

    public func markWebhookDelivered(jobID: String, at date: Date) throws {
        try database.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE job_id = ?",
            [SQLValue(date), .text(jobID)])
    }

    public func recordWebhookFailure(jobID: String, error: String, nextAttempt: Date?) throws {
        try database.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE job_id = ?",
            [SQLValue(nextAttempt), .text(error), .text(jobID)])
    }

    public func webhookSigningSecret(keyID: String) throws -> String? {
        try database.query("SELECT webhook_secret FROM api_keys WHERE id = ?", [.text(keyID)]).first?.text(0)
    }
}

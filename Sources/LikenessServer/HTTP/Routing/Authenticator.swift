import Foundation
import LikenessAPI
import LikenessCore
import LikenessStore
import Logging

/// Who is calling: the key, and the account it belongs to.
struct Caller: Sendable {
    var key: APIKey
    var account: Account

    var isAdmin: Bool { key.role == .admin }
}

/// Checks `Authorization: <scheme> <key>` against the key store and, for generation requests,
/// the per-minute limits of the key and its account.
struct Authenticator: Sendable {
    let keys: any APIKeyRepository
    let limiter: any RequestAdmission
    let billing: BillingSettings
    let store: StoreCalls

    /// Missing or malformed header → 1004; unknown, revoked or expired key → 2049. `schemes` are
    /// the accepted authorization schemes, lowercase (fal's clients send `Key <key>`).
    func authenticate(_ authorization: String?, schemes: Set<String>) async throws(APIError) -> Caller {
        guard let authorization else {
            throw APIError(.authenticationFailed, "authentication failed: the Authorization header is missing")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, schemes.contains(parts[0].lowercased()) else {
            let expected = schemes.sorted().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " or ")
            throw APIError(.authenticationFailed, "authentication failed: use Authorization: \(expected) <API key>")
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        let check = try await store.read("check an API key") { [keys] in try keys.lookUpKey(secret: secret) }
        if case .valid(let key, _) = check, key.isUseWorthRecording(at: Date()) {
            store.writeLater("record a key's use", { [keys] in try keys.recordKeyUse(id: key.id, at: Date()) })
        }
        switch check {
        case .valid(let key, let account): return Caller(key: key, account: account)
        case .revoked: throw APIError(.invalidAPIKey, "invalid API key: this key has been revoked")
        case .expired: throw APIError(.invalidAPIKey, "invalid API key: this key has expired")
        case .unknown: throw APIError(.invalidAPIKey, "invalid API key")
        }
    }

    /// Counts a generation request against the per-minute limits of the caller's key and of its
    /// account (1002 with `Retry-After` past either).
    func admit(_ caller: Caller) async throws(APIError) {
        let decision = await limiter.admit(
            key: caller.key.id, keyRate: billing.limits(for: caller.key).requestsPerMinute,
            account: caller.account.id, accountRate: billing.limits(for: caller.account).requestsPerMinute)
        if case .refused(let scope, let rate, let retryAfter) = decision {
            throw APIError(
                .rateLimited,
                "rate limit exceeded: this \(scope.rawValue) may send \(rate) requests a minute; retry after \(retryAfter) s",
                retryAfterSeconds: retryAfter)
        }
    }
}

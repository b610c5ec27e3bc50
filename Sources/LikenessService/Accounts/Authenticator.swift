import Crypto
import Foundation
import LikenessCore
import LikenessStore
import Logging
import Synchronization

/// Who is calling: the key, and the account it belongs to.
package struct Caller: Sendable {
    package var key: APIKey
    package var account: Account

    package var isAdmin: Bool { key.role == .admin }
}

/// Checks `Authorization: <scheme> <key>` against the key store and, for generation requests,
/// the per-minute limits of the key and its account.
package struct Authenticator: Sendable {
    let keys: any APIKeyRepository
    let limiter: any RequestAdmission
    let billing: Billing
    let store: StoreCalls
    /// Keys checked lately (`BillingSettings.keyCacheLifetime`), shared with `AccountsService`,
    /// which forgets them whenever it changes a key or an account.
    let recentKeys: RecentKeys

    package init(
        keys: any APIKeyRepository, limiter: any RequestAdmission, billing: Billing, store: StoreCalls,
        recentKeys: RecentKeys
    ) {
        self.keys = keys
        self.limiter = limiter
        self.billing = billing
        self.store = store
        self.recentKeys = recentKeys
    }

    /// Missing or malformed header → 1004; unknown, revoked or expired key → 2049. `schemes` are
    /// the accepted authorization schemes, lowercase (fal's clients send `Key <key>`).
    package func authenticate(_ authorization: String?, schemes: Set<String>) async throws(APIError) -> Caller {
        guard let authorization else {
            throw APIError(.authenticationFailed, "authentication failed: the Authorization header is missing")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, schemes.contains(parts[0].lowercased()) else {
            let expected = schemes.sorted().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " or ")
            throw APIError(.authenticationFailed, "authentication failed: use Authorization: \(expected) <API key>")
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        let now = Date()
        let check: KeyCheck
        if let known = recentKeys.caller(secret: secret, at: now) {
            check = .valid(known.key, known.account)
        } else {
            check = try await store.read("check an API key") { [keys] in try keys.lookUpKey(secret: secret) }
            if case .valid(let key, let account) = check {
                recentKeys.remember(Caller(key: key, account: account), secret: secret, at: now)
            }
        }
        if case .valid(let key, _) = check, key.isUseWorthRecording(at: now) {
            recentKeys.noteUse(secret: secret, at: now)
            store.writeLater("record a key's use", { [keys] in try keys.recordKeyUse(id: key.id, at: now) })
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
    package func admit(_ caller: Caller) async throws(APIError) {
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

/// Valid keys checked within the last `lifetime`, by the SHA-256 of their secret: most requests
/// then authenticate without a store read. Only valid keys are kept (an unknown secret always
/// reads the store), an entry past its key's expiry is not used, and `forgetAll` drops every
/// entry when a key or an account changes through this server.
package final class RecentKeys: Sendable {
    private struct Entry {
        var caller: Caller
        var checkedAt: ContinuousClock.Instant
    }

    let lifetime: Duration
    /// Beyond this many keys the cache starts again empty: a bound on memory, not an eviction policy.
    private let capacity = 10_000
    private let entries = Mutex<[SHA256.Digest: Entry]>([:])

    package init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    func caller(secret: String, at now: Date) -> Caller? {
        guard lifetime > .zero else { return nil }
        let digest = SHA256.hash(data: Data(secret.utf8))
        let checkedSince = ContinuousClock.now - lifetime
        return entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            guard entry.checkedAt > checkedSince, entry.caller.key.expiresAt.map({ $0 > now }) ?? true else {
                entries[digest] = nil
                return nil
            }
            return entry.caller
        }
    }

    func remember(_ caller: Caller, secret: String, at now: Date) {
        guard lifetime > .zero else { return }
        let digest = SHA256.hash(data: Data(secret.utf8))
        entries.withLock { entries in
            if entries.count >= capacity { entries = [:] }
            entries[digest] = Entry(caller: caller, checkedAt: .now)
        }
    }

    /// The key's use is being recorded: its entry says so, so that it is recorded once a minute.
    func noteUse(secret: String, at now: Date) {
        guard lifetime > .zero else { return }
        let digest = SHA256.hash(data: Data(secret.utf8))
        entries.withLock { $0[digest]?.caller.key.lastUsedAt = now }
    }

    func forgetAll() {
        entries.withLock { $0 = [:] }
    }
}

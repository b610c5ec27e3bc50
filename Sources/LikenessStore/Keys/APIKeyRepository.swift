import Foundation
import LikenessCore

public enum KeyRole: String, Sendable, Hashable, CaseIterable {
    /// Generates and reads its own account's requests, usage and balance.
    case user
    /// Also the admin API: every account, key, credit and usage.
    case admin
}

public struct APIKey: Sendable, Hashable {
    public var id: String
    public var name: String
    public var accountID: String
    public var role: KeyRole
    /// The first characters of the secret, enough for a person to recognise it (`lk_3fQ9…`).
    public var displayPrefix: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var limits: UsageLimits
}

/// A key as issued: the only time its secret exists outside the caller's hands.
public struct IssuedAPIKey: Sendable {
    public var key: APIKey
    public var secret: String
    /// Signs the webhooks of jobs submitted with this key (HMAC-SHA256 of the body).
    public var webhookSecret: String
}

public enum KeyCheck: Sendable, Hashable {
    case valid(APIKey, Account)
    case revoked
    case expired
    case unknown
}

public protocol APIKeyRepository: Sendable {
    /// Issues a key for an account. `secret` adopts an operator-chosen secret
    /// (`LIKENESS_API_KEY`); otherwise one is generated.
    func createKey(
        name: String, accountID: String, role: KeyRole, secret: String?, expiresAt: Date?, limits: UsageLimits
    ) throws -> IssuedAPIKey
    /// Looks the key up, and records its use (at most once a minute).
    func checkKey(secret: String) throws -> KeyCheck
    /// Looks the key up and writes nothing: the check on a request's path, whose use is then
    /// recorded apart (`recordKeyUse`) so that a busy writer never holds up authentication.
    func lookUpKey(secret: String) throws -> KeyCheck
    func recordKeyUse(id: String, at date: Date) throws
    /// Every key, or one account's.
    func listKeys(accountID: String?) throws -> [APIKey]
    func key(id: String) throws -> APIKey?
    /// Returns false when no such key exists or it was already revoked.
    func revokeKey(id: String) throws -> Bool
    func keyCount() throws -> Int
}

extension APIKey {
    /// Whether a use now is news: one write a minute per key at most, not one per request.
    public func isUseWorthRecording(at date: Date) -> Bool {
        lastUsedAt.map { date.timeIntervalSince($0) > 60 } ?? true
    }
}

import Foundation

public struct APIKey: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The first characters of the secret, enough for a person to recognise it (`lk_3fQ9…`).
    public var displayPrefix: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

/// A key as issued: the only time its secret exists outside the caller's hands.
public struct IssuedAPIKey: Sendable {
    public var key: APIKey
    public var secret: String
    /// Signs the webhooks of jobs submitted with this key (HMAC-SHA256 of the body).
    public var webhookSecret: String
}

public enum KeyCheck: Sendable, Hashable {
    case valid(APIKey)
    case revoked
    case unknown
}

public protocol APIKeyRepository: Sendable {
    /// Issues a key. `secret` adopts an operator-chosen secret (`LIKENESS_API_KEY`); otherwise
    /// one is generated.
    func createKey(name: String, secret: String?) throws -> IssuedAPIKey
    func checkKey(secret: String) throws -> KeyCheck
    func listKeys() throws -> [APIKey]
    /// Returns false when no such key exists or it was already revoked.
    func revokeKey(id: String) throws -> Bool
    func keyCount() throws -> Int
}

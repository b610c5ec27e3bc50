import LikenessAPI
import LikenessStore
import Logging

/// Checks `Authorization: Bearer <key>` against the key store.
struct Authenticator: Sendable {
    let keys: any APIKeyRepository
    let logger: Logger

    /// Missing or malformed header → 1004; unknown or revoked key → 2049. `schemes` are the
    /// accepted authorization schemes, lowercase (fal's clients send `Key <key>`).
    func authenticate(_ authorization: String?, schemes: Set<String> = ["bearer"]) throws(APIError) -> APIKey {
        guard let authorization else {
            throw APIError(.authenticationFailed, "authentication failed: the Authorization header is missing")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, schemes.contains(parts[0].lowercased()) else {
            let expected = schemes.sorted().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " or ")
            throw APIError(.authenticationFailed, "authentication failed: use Authorization: \(expected) <API key>")
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        let check: KeyCheck
        do {
            check = try keys.checkKey(secret: secret)
        } catch {
            logger.error("key lookup failed", metadata: ["error": "\(error)"])
            throw APIError(.systemError, "the API key could not be checked")
        }
        switch check {
        case .valid(let key): return key
        case .revoked: throw APIError(.invalidAPIKey, "invalid API key: this key has been revoked")
        case .unknown: throw APIError(.invalidAPIKey, "invalid API key")
        }
    }
}

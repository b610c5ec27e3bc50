import Crypto
import Foundation
import LikenessCore
import LikenessStore

/// The installation's ED25519 keys that sign fal-dialect webhooks as fal signs its own, and the
/// JWKS that publishes them. One key signs; a rotated-out key stays published for `retention`,
/// so that a webhook it signed still verifies when it is retried. The keys live in the store (a
/// fleet's replicas share them), sealed under a key derived from the installation secret.
package struct WebhookSigningKeys: Sendable {
    static let settingName = "webhook-signing-keys"

    let settings: any FleetRepository
    let store: StoreCalls
    let retention: TimeInterval
    private let sealing: SymmetricKey

    package init(settings: any FleetRepository, serverSecret: Data, retention: Duration, store: StoreCalls) {
        self.settings = settings
        self.store = store
        self.retention = retention.seconds
        sealing = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: serverSecret), info: Data("likeness webhook signing keys v1".utf8),
            outputByteCount: 32)
    }

    /// One key: its id (the JWK's `kid`), its private key's 32 bytes, and when it was made and retired.
    struct Key: Codable, Sendable {
        var id: String
        var seed: Data
        var createdAt: Date
        var retiredAt: Date?

        var signing: Curve25519.Signing.PrivateKey {
            get throws { try Curve25519.Signing.PrivateKey(rawRepresentation: seed) }
        }

        static func make(at date: Date) -> Key {
            Key(
                id: "whk_" + Identifier.make().prefix(12), seed: Curve25519.Signing.PrivateKey().rawRepresentation,
                createdAt: date, retiredAt: nil)
        }
    }

    /// The key that signs now, made on first use.
    func current(at date: Date) async throws(APIError) -> Key {
        if let key = try await keys().first(where: { $0.retiredAt == nil }) { return key }
        let keys = try await change { keys in
            if keys.contains(where: { $0.retiredAt == nil }) { return keys }
            return keys + [Key.make(at: date)]
        }
        guard let key = keys.first(where: { $0.retiredAt == nil }) else {
            throw APIError(.systemError, "no webhook signing key was made")
        }
        return key
    }

    /// Retires the signing key and makes a new one; keys retired longer ago than `retention`
    /// are forgotten.
    package func rotate(at date: Date) async throws(APIError) {
        _ = try await change { [retention] keys in
            let kept = keys.compactMap { key -> Key? in
                var key = key
                let retired = key.retiredAt ?? date
                key.retiredAt = retired
                return retired.addingTimeInterval(retention) > date ? key : nil
            }
            return kept + [Key.make(at: date)]
        }
    }

    /// The JWKS (RFC 7517, OKP keys of RFC 8037): the signing key and those retired within `retention`.
    package func jwks(at date: Date) async throws(APIError) -> Data {
        var keys = try await keys().filter { published($0, at: date) }
        if keys.isEmpty { keys = [try await current(at: date)] }
        let entries = try keys.map { key throws(APIError) -> JSONValue in
            let publicKey: Data
            do {
                publicKey = try key.signing.publicKey.rawRepresentation
            } catch {
                throw APIError(.systemError, "a webhook signing key cannot be read")
            }
            return .object([
                "kty": .string("OKP"), "crv": .string("Ed25519"), "use": .string("sig"), "alg": .string("EdDSA"),
                "kid": .string(key.id), "x": .string(publicKey.base64URLEncoded),
            ])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let body = try? encoder.encode(JSONValue.object(["keys": .array(entries)])) else {
            throw APIError(.systemError, "the JWKS cannot be written")
        }
        return body
    }

    /// fal's signature: ED25519 over the request id, the user id, the timestamp and the body's
    /// SHA-256 (lowercase hex), each on its own line; the signature as lowercase hex.
    static func falSignature(
        requestID: String, userID: String, timestamp: Int64, body: Data, key: Curve25519.Signing.PrivateKey
    ) throws -> String {
        let digest = SHA256.hash(data: body).hexadecimal
        let message = Data([requestID, userID, String(timestamp), digest].joined(separator: "\n").utf8)
        return try key.signature(for: message).hexadecimal
    }

    private func published(_ key: Key, at date: Date) -> Bool {
        key.retiredAt.map { $0.addingTimeInterval(retention) > date } ?? true
    }

    private func keys() async throws(APIError) -> [Key] {
        let sealed = try await store.read("read the webhook signing keys") { [settings] in
            try settings.setting(named: Self.settingName)
        }
        return try sealed.map(open) ?? []
    }

    private func change(_ body: @escaping @Sendable ([Key]) -> [Key]) async throws(APIError) -> [Key] {
        let sealed = try await store.write("change the webhook signing keys") { [settings, sealing] in
            try settings.changeSetting(named: Self.settingName) { stored in
                let keys = try stored.map { try Self.open($0, with: sealing) } ?? []
                return try Self.seal(body(keys), with: sealing)
            }
        }
        return try open(sealed)
    }

    private func open(_ sealed: Data) throws(APIError) -> [Key] {
        do {
            return try Self.open(sealed, with: sealing)
        } catch {
            throw APIError(.systemError, "the webhook signing keys cannot be opened with this installation's secret")
        }
    }

    private static func open(_ sealed: Data, with key: SymmetricKey) throws -> [Key] {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return try JSONDecoder().decode([Key].self, from: try AES.GCM.open(box, using: key))
    }

    private static func seal(_ keys: [Key], with key: SymmetricKey) throws -> Data {
        guard let combined = try AES.GCM.seal(try JSONEncoder().encode(keys), using: key).combined else {
            throw CryptoKitError.incorrectParameterSize
        }
        return combined
    }
}

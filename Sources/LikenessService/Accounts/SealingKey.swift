import Crypto
import Foundation

/// AES-256-GCM under a key derived from the server's secret for one purpose (HKDF-SHA256), each
/// sealed value bound to what it belongs to (its account, its object): a sealed value copied to
/// another row does not open, and one purpose's key opens nothing of another's.
struct SealingKey: Sendable {
    private let key: SymmetricKey

    init(serverSecret: Data, purpose: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: serverSecret), info: Data(purpose.utf8), outputByteCount: 32)
    }

    func seal(_ plaintext: Data, boundTo owner: String) throws -> Data {
        guard let combined = try AES.GCM.seal(plaintext, using: key, authenticating: Data(owner.utf8)).combined
        else { throw CryptoKitError.incorrectParameterSize }
        return combined
    }

    func open(_ sealed: Data, boundTo owner: String) throws -> Data {
        try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Data(owner.utf8))
    }
}

/// Seals customers' provider keys (BYOK) for storage, bound to the account they belong to.
package struct CredentialVault: Sendable {
    private let key: SealingKey

    package init(serverSecret: Data) {
        key = SealingKey(serverSecret: serverSecret, purpose: "likeness byok v1")
    }

    func seal(_ credential: String, accountID: String) throws -> Data {
        try key.seal(Data(credential.utf8), boundTo: accountID)
    }

    func open(_ sealed: Data, accountID: String) throws -> String {
        String(decoding: try key.open(sealed, boundTo: accountID), as: UTF8.self)
    }
}

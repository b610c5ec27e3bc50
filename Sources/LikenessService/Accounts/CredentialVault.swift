import Crypto
import Foundation

/// Seals customers' provider keys (BYOK) for storage: AES-256-GCM under a key derived from the
/// server's secret (HKDF-SHA256), bound to the account it belongs to, so that a sealed key copied
/// to another account's row does not open.
package struct CredentialVault: Sendable {
    private let key: SymmetricKey

    package init(serverSecret: Data) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: serverSecret), info: Data("likeness byok v1".utf8),
            outputByteCount: 32)
    }

    func seal(_ credential: String, accountID: String) throws -> Data {
        guard
            let combined = try AES.GCM.seal(Data(credential.utf8), using: key, authenticating: Data(accountID.utf8))
                .combined
        else { throw CryptoKitError.incorrectParameterSize }
        return combined
    }

    func open(_ sealed: Data, accountID: String) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key, authenticating: Data(accountID.utf8)), as: UTF8.self)
    }
}

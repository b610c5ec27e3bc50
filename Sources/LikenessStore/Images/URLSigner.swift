import Crypto
import Foundation
import LikenessCore

/// Signs and checks image URLs: `/v1/files/<id>.<jpg|png|webp>?expires=<unix>&signature=<hmac>`.
///
/// The signature is HMAC-SHA256 over `<id>:<expires>` with the server secret; a URL cannot be
/// forged or have its expiry extended, and it stops working at `expires` even before the janitor
/// deletes the file. (An id has one format, fixed when it is stored, so the extension is not signed.)
public struct URLSigner: Sendable {
    private let key: SymmetricKey

    public init(secret: Data) {
        key = SymmetricKey(data: secret)
    }

    public func path(for imageID: String, format: OutputFormat, expiresAt: Date) -> String {
        let expires = Int64(expiresAt.timeIntervalSince1970.rounded(.up))
        return
            "/v1/files/\(imageID).\(format.fileExtension)?expires=\(expires)&signature=\(signature(imageID: imageID, expires: expires))"
    }

    /// Its thumbnail's, under the same signature: whoever may see the image may see it small.
    public func thumbnailPath(for imageID: String, format: OutputFormat, expiresAt: Date) -> String {
        let expires = Int64(expiresAt.timeIntervalSince1970.rounded(.up))
        return "/v1/files/\(imageID).\(format.fileExtension)/thumbnail?expires=\(expires)"
            + "&signature=\(signature(imageID: imageID, expires: expires))"
    }

    public func isValid(imageID: String, expires: Int64, signature: String, now: Date = Date()) -> Bool {
        isValid(imageID, expires: expires, signature: signature, now: now)
    }

    func signature(imageID: String, expires: Int64) -> String {
        signature(of: imageID, expires: expires)
    }

    /// Signs any `subject` (an upload's place: what it is, and for whom) until `expires`. Image
    /// ids are hex digits alone, so no other subject signs as an image.
    public func signature(of subject: String, expires: Int64) -> String {
        HMAC<SHA256>.authenticationCode(for: Self.message(subject, expires), using: key).hexadecimal
    }

    public func isValid(_ subject: String, expires: Int64, signature: String, now: Date = Date()) -> Bool {
        guard Double(expires) > now.timeIntervalSince1970, let mac = Data(hexadecimal: signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(subject, expires), using: key)
    }

    private static func message(_ subject: String, _ expires: Int64) -> Data {
        Data("\(subject):\(expires)".utf8)
    }
}

extension Data {
    init?(hexadecimal text: String) {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}

import Crypto
import Foundation

/// AWS Signature Version 4 for S3: the `Authorization` header of a request, or a presigned URL.
///
/// Kept small on purpose (no AWS SDK is available to this project): one canonical request, one
/// string to sign, one derived key. Tested against the examples AWS publishes for S3.
struct S3Signer: Sendable {
    let accessKeyID: String
    let secretAccessKey: String
    let region: String
    var service = "s3"

    /// The SHA-256 of an empty body, which a request without one signs.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The headers to add to a request (`x-amz-date`, `x-amz-content-sha256`, `Authorization`).
    /// `headers` are the others it sends and signs; `host` is taken from `url`.
    func sign(
        method: String, url: URL, headers: [String: String] = [:], payloadHash: String, date: Date
    ) -> [String: String] {
        let (amzDate, day) = Self.timestamps(date)
        var signed = headers.reduce(into: [String: String]()) { $0[$1.key.lowercased()] = Self.trimmed($1.value) }
        signed["host"] = Self.host(of: url)
        signed["x-amz-date"] = amzDate
        signed["x-amz-content-sha256"] = payloadHash
        let names = signed.keys.sorted()
        let canonical = [
            method, Self.canonicalPath(url), Self.canonicalQuery(url),
            names.map { "\($0):\(signed[$0]!)\n" }.joined(), names.joined(separator: ";"), payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signature = signature(of: canonical, amzDate: amzDate, day: day, scope: scope)
        return [
            "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash,
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope),SignedHeaders=\(names.joined(separator: ";")),Signature=\(signature)",
        ]
    }

    /// A URL that lets whoever holds it `method` the object until `expires` seconds after `date`
    /// (at most a week, as S3 allows). Only `host` is signed, and the payload is not.
    func presign(method: String = "GET", url: URL, expires: Int, date: Date) -> URL {
        let (amzDate, day) = Self.timestamps(date)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "X-Amz-Algorithm", value: "AWS4-HMAC-SHA256"),
            URLQueryItem(name: "X-Amz-Credential", value: "\(accessKeyID)/\(scope)"),
            URLQueryItem(name: "X-Amz-Date", value: amzDate),
            URLQueryItem(name: "X-Amz-Expires", value: String(min(max(1, expires), 604_800))),
            URLQueryItem(name: "X-Amz-SignedHeaders", value: "host"),
        ]
        let query = Self.canonicalQuery(items)
        let canonical = [
            method, Self.canonicalPath(url), query, "host:\(Self.host(of: url))\n", "host", "UNSIGNED-PAYLOAD",
        ].joined(separator: "\n")
        let signature = signature(of: canonical, amzDate: amzDate, day: day, scope: scope)
        components.percentEncodedQuery = query + "&X-Amz-Signature=" + signature
        return components.url!
    }

    private func signature(of canonicalRequest: String, amzDate: String, day: String, scope: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    static func payloadHash(_ body: Data) -> String { hex(SHA256.hash(data: body)) }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// `20130524T000000Z` and `20130524`, in UTC.
    private static func timestamps(_ date: Date) -> (String, String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: date)
        return (amzDate, String(amzDate.prefix(8)))
    }

    private static func host(of url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port, !(url.scheme == "https" && port == 443), !(url.scheme == "http" && port == 80)
        else { return host }
        return "\(host):\(port)"
    }

    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Each path segment URI-encoded once (S3 does not encode twice); `/` kept.
    private static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { encode(String($0).removingPercentEncoding ?? String($0)) }.joined(separator: "/")
    }

    private static func canonicalQuery(_ url: URL) -> String {
        canonicalQuery(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [])
    }

    private static func canonicalQuery(_ items: [URLQueryItem]) -> String {
        let pairs: [(name: String, value: String)] = items.map { (encode($0.name), encode($0.value ?? "")) }
        let sorted = pairs.sorted { first, second in
            first.name == second.name ? first.value < second.value : first.name < second.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986: only unreserved characters stay as they are.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                encoded.append(Character(UnicodeScalar(byte)))
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    private static let unreserved = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
}

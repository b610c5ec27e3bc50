import Configuration
import Foundation
import LikenessCore
import LikenessStore

/// `LIKENESS_S3_*`: images in an S3-compatible bucket instead of the data directory, so that
/// every replica serves every image.
public struct ObjectStorageSettings: Sendable, CustomStringConvertible {
    public enum Addressing: String, Sendable {
        /// `https://endpoint/bucket/key`: what MinIO, moto and most S3-compatible stores expect.
        case path
        /// `https://bucket.endpoint/key`: AWS's default.
        case virtual
    }

    /// How image links point at images.
    public enum Links: String, Sendable {
        /// Likeness's own signed URLs (`/v1/files/…`), served by any replica from the bucket.
        case proxy
        /// The bucket's presigned GETs, expiring with the result: for a CDN, or to keep image
        /// bytes off the replicas.
        case presigned
    }

    public var bucket: String
    /// `https://s3.<region>.amazonaws.com` unless `LIKENESS_S3_ENDPOINT` names another.
    public var endpoint: URL
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Put before every key, as a folder (`images` and `images/` alike), so one bucket can hold
    /// more than Likeness's images.
    public var prefix: String
    public var addressing: Addressing
    public var links: Links

    /// Never shows the secret.
    public var description: String { "s3://\(bucket)/\(prefix) at \(endpoint.absoluteString) (\(addressing.rawValue))" }

    package static func read(_ settings: ConfigReader) throws -> ObjectStorageSettings? {
        let links = try Links(rawValue: settings.string(forKey: "imageUrls", default: "proxy")).orThrow(
            "LIKENESS_IMAGE_URLS must be proxy or presigned")
        guard let bucket = settings.string(forKey: "s3.bucket"), !bucket.isEmpty else {
            guard links == .proxy else {
                throw ConfigurationError("LIKENESS_IMAGE_URLS=presigned needs a bucket (LIKENESS_S3_BUCKET)")
            }
            return nil
        }
        let region = settings.string(forKey: "s3.region", default: "us-east-1")
        let endpointText = settings.string(forKey: "s3.endpoint")
        guard
            let endpoint = URL(string: endpointText ?? "https://s3.\(region).amazonaws.com"),
            endpoint.scheme == "https" || endpoint.scheme == "http", endpoint.host != nil
        else { throw ConfigurationError("LIKENESS_S3_ENDPOINT must be an http(s) URL") }
        guard let accessKeyID = settings.string(forKey: "s3.accessKeyId"), !accessKeyID.isEmpty else {
            throw ConfigurationError("LIKENESS_S3_BUCKET needs LIKENESS_S3_ACCESS_KEY_ID")
        }
        var secret = settings.string(forKey: "s3.secretAccessKey", isSecret: true)
        if let file = settings.string(forKey: "s3.secretAccessKeyFile") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("LIKENESS_S3_SECRET_ACCESS_KEY_FILE cannot be read: \(file)")
            }
            secret = text.split(whereSeparator: \.isNewline).first.map(String.init)
        }
        guard let secret, !secret.isEmpty else {
            throw ConfigurationError(
                "LIKENESS_S3_BUCKET needs LIKENESS_S3_SECRET_ACCESS_KEY or LIKENESS_S3_SECRET_ACCESS_KEY_FILE")
        }
        let addressing = try Addressing(
            rawValue: settings.string(forKey: "s3.addressing", default: endpointText == nil ? "virtual" : "path")
        ).orThrow("LIKENESS_S3_ADDRESSING must be path or virtual")
        let prefix = settings.string(forKey: "s3.prefix", default: "")
        return ObjectStorageSettings(
            bucket: bucket, endpoint: endpoint, region: region, accessKeyID: accessKeyID, secretAccessKey: secret,
            prefix: prefix, addressing: addressing, links: links)
    }

    func key(id: String, format: OutputFormat) -> String {
        folder + id + "." + format.fileExtension
    }

    /// A queued job's input (its inline reference photo), until the job ends.
    func key(_ object: PrivateObject) -> String {
        folder + object.name
    }

    private var folder: String { prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/" }

    func objectURL(key: String) -> URL {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)!
        let base = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        switch addressing {
        case .path:
            components.path = "\(base)/\(bucket)/\(key)"
        case .virtual:
            components.host = "\(bucket).\(components.host ?? "")"
            components.path = "\(base)/\(key)"
        }
        return components.url!
    }
}

extension Optional {
    fileprivate func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ConfigurationError(message) }
        return self
    }
}

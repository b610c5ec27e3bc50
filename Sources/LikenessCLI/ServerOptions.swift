import ArgumentParser
import Foundation
import LikenessClient

/// Where a client command finds its Likeness server and key: flags, then the environment, then
/// the key file in the server's data directory (so a command run beside `serve` just works).
struct ServerOptions: ParsableArguments {
    @Option(help: "Server base URL (env LIKENESS_SERVER).") var server: String?
    @Option(name: .customLong("api-key"), help: "API key (env LIKENESS_API_KEY, else <data-dir>/api-key).") var apiKey:
        String?
    @Option(name: .customLong("data-dir"), help: "Where to find the first key (default ./.likeness).")
    var dataDirectory = "./.likeness"

    func resolved() throws -> (base: String, key: String) {
        let environment = ProcessInfo.processInfo.environment
        let base = server ?? environment["LIKENESS_SERVER"] ?? "http://127.0.0.1:8080"
        let file = URL(filePath: dataDirectory).appending(path: "api-key")
        let stored = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = apiKey ?? environment["LIKENESS_API_KEY"] ?? stored else {
            throw ValidationError(
                "no API key: pass --api-key, set LIKENESS_API_KEY, or run next to the server's data directory")
        }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base, key)
    }

    /// The SDK's client for this server and key.
    func client() throws -> LikenessClient {
        let (base, key) = try resolved()
        guard let url = URL(string: base), url.scheme != nil else {
            throw ValidationError("--server \(base) is not a URL")
        }
        return LikenessClient(baseURL: url, apiKey: key)
    }
}

/// A reference photo as a client names it: an http(s) or data URL passes as it is; anything else
/// is a file on this machine, sent as a data URL (the server cannot read the client's files).
enum ReferencePhoto {
    static let largestFile = 10 * 1024 * 1024

    static func isLocalPath(_ reference: String) -> Bool {
        !["http://", "https://", "data:"].contains { reference.lowercased().hasPrefix($0) }
    }

    static func wireValue(_ reference: String) throws -> String {
        guard isLocalPath(reference) else { return reference }
        let path = (reference as NSString).expandingTildeInPath
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int
        else { throw ValidationError("cannot read the reference photo \(reference)") }
        guard size <= largestFile else {
            throw ValidationError("the reference photo \(reference) is larger than 10 MB (\(size) bytes)")
        }
        let bytes = try Data(contentsOf: URL(filePath: path))
        let type = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg"
        return "data:\(type);base64,\(bytes.base64EncodedString())"
    }
}

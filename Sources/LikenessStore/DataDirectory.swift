import Foundation

/// Everything Likeness keeps on disk, under one directory (`--data-dir`, default `./.likeness`):
///
///     likeness.sqlite   requests/jobs, API keys, image records (WAL mode)
///     images/           generated images
///     secret            32 random bytes that sign image URLs (mode 0600)
///     api-key           the first API key, written once on first start (mode 0600)
public struct DataDirectory: Sendable {
    public let root: URL
    public let store: SQLiteStore
    public let blobs: FileBlobStore

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteStore(path: root.appending(path: "likeness.sqlite").path)
        blobs = try FileBlobStore(root: root.appending(path: "images", directoryHint: .isDirectory))
    }

    public var apiKeyFile: URL { root.appending(path: "api-key") }

    /// The URL-signing secret, created on first use.
    public func signingSecret() throws -> Data {
        let file = root.appending(path: "secret")
        if let existing = try? Data(contentsOf: file), existing.count >= 32 { return existing }
        var generator = SystemRandomNumberGenerator()
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try Self.writePrivate(secret, to: file)
        return secret
    }

    /// Holds `<data-dir>/serve.lock` for the life of the process, so that a second server cannot
    /// open the same directory: its start-up recovery would fail the first one's running jobs.
    public func lockForServing() throws {
        let path = root.appending(path: "serve.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError("cannot open \(path): errno \(errno)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError(.refused, "another Likeness server is already serving \(root.path)")
        }
        // Deliberately never closed: the lock lasts as long as the process.
    }

    /// Writes a file readable by its owner only.
    public static func writePrivate(_ data: Data, to file: URL) throws {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }
}

import Foundation

/// Everything Likeness keeps on disk, under one directory (`--data-dir`, default `./.likeness`):
///
///     likeness.sqlite   requests/jobs, API keys, image records (WAL mode)
///     images/           generated images
///     secret            32 random bytes that sign image URLs and seal BYOK keys (mode 0600)
///     api-key           the first API key, written once on first start (mode 0600)
///
/// In a fleet (`postgres`), the database and the secret are PostgreSQL's, shared by every
/// replica, and the directory keeps only what is local: images, unless object storage holds them.
public struct DataDirectory: Sendable {
    public let root: URL
    public let store: SQLStore
    public let blobs: FileBlobStore

    public init(root: URL, postgres: PostgreSQLDatabase? = nil) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if let postgres {
            store = try SQLStore(postgres: postgres)
        } else {
            store = try SQLStore(path: root.appending(path: "likeness.sqlite").path)
        }
        blobs = try FileBlobStore(root: root.appending(path: "images", directoryHint: .isDirectory))
    }

    /// State is shared with other replicas (PostgreSQL), not this process's alone.
    public var isShared: Bool { store.flavor == .postgres }

    public var apiKeyFile: URL { root.appending(path: "api-key") }

    /// The URL-signing secret, created on first use: in the directory, or in a fleet, in the
    /// database, where every replica finds the same one.
    public func signingSecret() throws -> Data {
        var generator = SystemRandomNumberGenerator()
        let fresh = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        if isShared { return try store.sharedSecret(named: Self.signingSecretName, candidate: fresh) }
        let file = root.appending(path: "secret")
        if let existing = try? Data(contentsOf: file), existing.count >= 32 { return existing }
        try Self.writePrivate(fresh, to: file)
        return fresh
    }

    /// The shared secret's name in a fleet's database.
    public static let signingSecretName = "signing-secret"

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

import Foundation

/// Image files on disk, `<root>/<first two hex digits>/<id>.jpg`.
///
/// A file appears under its name only complete: it is written to a temporary name and renamed
/// into place, so a process crash leaves at worst a temporary file that `sweep` removes. There
/// is no fsync per image (it would cost more than the rest of a request): after a power loss a
/// file may come back short, so readers compare its size with the record (`read(id:expectedSize:)`)
/// and treat a mismatch as missing.
public struct FileBlobStore: Sendable {
    public let root: URL
    static let temporarySuffix = ".partial"

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    public func fileURL(for id: String) -> URL {
        root.appending(path: String(id.prefix(2)), directoryHint: .isDirectory).appending(path: id + ".jpg")
    }

    public func write(_ bytes: Data, id: String) throws {
        let destination = fileURL(for: id)
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = destination.deletingLastPathComponent().appending(path: id + Self.temporarySuffix)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw StoreError("cannot create \(temporary.path)")
        }
        let handle = try FileHandle(forWritingTo: temporary)
        do {
            try handle.write(contentsOf: bytes)
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, destination.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw StoreError("cannot move \(temporary.path) into place: errno \(errno)")
        }
    }

    public func read(id: String) throws -> Data? {
        let url = fileURL(for: id)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }

    /// The file only if it is whole: exactly `expectedSize` bytes, as its record says.
    public func read(id: String, expectedSize: Int) throws -> Data? {
        guard let data = try read(id: id), data.count == expectedSize else { return nil }
        return data
    }

    public func delete(id: String) {
        try? FileManager.default.removeItem(at: fileURL(for: id))
    }

    /// Removes temporary files and files no record points to (what a crash can leave behind).
    /// Returns how many files were removed.
    @discardableResult
    public func sweep(keeping knownIDs: Set<String>) -> Int {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            return 0
        }
        var removed = 0
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            let name = url.lastPathComponent
            let isOrphan = name.hasSuffix(".jpg") && !knownIDs.contains(String(name.dropLast(4)))
            if name.hasSuffix(Self.temporarySuffix) || isOrphan {
                try? FileManager.default.removeItem(at: url)
                removed += 1
            }
        }
        return removed
    }
}

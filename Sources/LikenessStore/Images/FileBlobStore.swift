import Foundation
import LikenessCore
import NIOPosix

/// Image files on disk, `<root>/<first two hex digits>/<id>.<jpg|png|webp>`; private objects
/// under their names (`<root>/inputs/<job id>.input`, `<root>/characters/<photo id>.photo`).
///
/// A file appears under its name only complete: it is written to a temporary name and renamed
/// into place, so a process crash leaves at worst a temporary file that `sweep` removes. There
/// is no fsync per image (it would cost more than the rest of a request): after a power loss a
/// file may come back short, so readers compare its size with the record (`read(id:expectedSize:)`)
/// and treat a mismatch as missing.
public struct FileBlobStore: BlobStore {
    public let root: URL
    static let temporarySuffix = ".partial"
    static let privateFolders = ["inputs", "characters", "uploads"]

    public init(root: URL) throws {
        self.root = root
        // All 256 shard directories up front, so that a write never has to create one.
        for shard in 0..<256 {
            let name = String(shard, radix: 16)
            try FileManager.default.createDirectory(
                at: root.appending(path: name.count == 1 ? "0" + name : name, directoryHint: .isDirectory),
                withIntermediateDirectories: true)
        }
        for folder in Self.privateFolders {
            try FileManager.default.createDirectory(
                at: root.appending(path: folder, directoryHint: .isDirectory), withIntermediateDirectories: true)
        }
    }

    public func fileURL(for id: String, format: OutputFormat) -> URL {
        root.appending(path: String(id.prefix(2)), directoryHint: .isDirectory)
            .appending(path: id + "." + format.fileExtension)
    }

    /// `id` must be lowercase hex (an `Identifier`): its first two digits name the shard.
    public func writeFile(_ bytes: Data, id: String, format: OutputFormat) throws {
        precondition(Identifier.isValid(id), "blob ids are identifiers")
        try write(bytes, to: fileURL(for: id, format: format).path, naming: "image \(id)")
    }

    public func fileURL(for object: PrivateObject) -> URL {
        root.appending(path: object.name)
    }

    /// An object's id must be an `Identifier` (an upload's, `file-` and one): nothing else may
    /// become part of a path.
    public func writePrivateFile(_ bytes: Data, as object: PrivateObject) throws {
        precondition(
            Identifier.isValid(object.id) || UploadID(object.id) != nil, "private object ids are identifiers")
        try write(bytes, to: fileURL(for: object).path, naming: object.name)
    }

    public func readPrivateFile(_ object: PrivateObject) throws -> Data? {
        let url = fileURL(for: object)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }

    /// Written under a temporary name, then renamed into place: complete, or not there.
    private func write(_ bytes: Data, to destination: String, naming what: String) throws {
        let temporary = destination + Self.temporarySuffix
        let descriptor = open(String(temporary), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError("cannot create \(temporary): errno \(errno)") }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        let closed = close(descriptor) == 0
        guard written, closed, rename(String(temporary), destination) == 0 else {
            let code = errno
            unlink(String(temporary))
            throw StoreError("cannot write \(what): errno \(code)")
        }
    }

    public func readFile(id: String, format: OutputFormat) throws -> Data? {
        let url = fileURL(for: id, format: format)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }

    /// The file only if it is whole: exactly `expectedSize` bytes, as its record says.
    public func readFile(id: String, format: OutputFormat, expectedSize: Int) throws -> Data? {
        guard let data = try readFile(id: id, format: format), data.count == expectedSize else { return nil }
        return data
    }

    public func deleteFile(id: String, format: OutputFormat) {
        try? FileManager.default.removeItem(at: fileURL(for: id, format: format))
    }

    /// Removes temporary files, image files no record points to, inputs of jobs that hold none,
    /// photos of characters and uploads that no longer exist (what a crash can leave behind).
    /// Returns how many files were removed.
    @discardableResult
    public func sweep(
        keeping knownIDs: Set<String>, inputsOf jobsWithInputs: Set<String> = [],
        photos characterPhotos: Set<String> = [], uploads: Set<String> = []
    ) -> Int {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            return 0
        }
        var removed = 0
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            let name = url.lastPathComponent
            let stem = url.deletingPathExtension().lastPathComponent
            let isOrphan: Bool =
                switch url.pathExtension {
                case let image where OutputFormat(fileExtension: image) != nil: !knownIDs.contains(stem)
                case PrivateObject.jobInput(jobID: "").fileExtension: !jobsWithInputs.contains(stem)
                case PrivateObject.characterPhoto(photoID: "").fileExtension,
                    PrivateObject.characterThumbnail(photoID: "").fileExtension:
                    !characterPhotos.contains(stem)
                case PrivateObject.upload(id: "").fileExtension: !uploads.contains(stem)
                default: false
                }
            if name.hasSuffix(Self.temporarySuffix) || isOrphan {
                try? FileManager.default.removeItem(at: url)
                removed += 1
            }
        }
        return removed
    }
}

/// The blob store's calls, on NIO's blocking-I/O threads: file I/O never holds a thread of
/// Swift's cooperative pool.
extension FileBlobStore {
    public func write(_ bytes: Data, id: String, format: OutputFormat) async throws {
        try await NIOThreadPool.singleton.runIfActive { try writeFile(bytes, id: id, format: format) }
    }

    public func read(id: String, format: OutputFormat, expectedSize: Int) async throws -> Data? {
        try await NIOThreadPool.singleton.runIfActive {
            try readFile(id: id, format: format, expectedSize: expectedSize)
        }
    }

    public func delete(id: String, format: OutputFormat) async {
        _ = try? await NIOThreadPool.singleton.runIfActive { deleteFile(id: id, format: format) }
    }

    public func writePrivate(_ bytes: Data, as object: PrivateObject) async throws {
        try await NIOThreadPool.singleton.runIfActive { try writePrivateFile(bytes, as: object) }
    }

    public func readPrivate(_ object: PrivateObject) async throws -> Data? {
        try await NIOThreadPool.singleton.runIfActive { try readPrivateFile(object) }
    }

    public func deletePrivate(_ object: PrivateObject) async {
        _ = try? await NIOThreadPool.singleton.runIfActive { unlink(fileURL(for: object).path) }
    }
}

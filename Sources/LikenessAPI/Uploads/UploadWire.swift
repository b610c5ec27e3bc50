import Foundation
import LikenessCore

/// fal's storage API as `fal-client` calls it (`upload_file`): a CDN token, then the bytes posted
/// with it (`POST /files/upload`), or, as its fallback, `POST /storage/upload/initiate` with the
/// file's name and type, then a `PUT` of the bytes to the `upload_url` it answers.
public enum FalStorage {
    /// `POST /storage/auth/token?storage_type=fal-cdn-v3`.
    public struct Token: Codable, Sendable, Hashable {
        public var token: String
        public var tokenType: String
        public var baseUrl: String
        /// ISO 8601, as `datetime.fromisoformat` reads it.
        public var expiresAt: String

        public init(token: String, tokenType: String, baseUrl: String, expiresAt: String) {
            self.token = token
            self.tokenType = tokenType
            self.baseUrl = baseUrl
            self.expiresAt = expiresAt
        }
    }

    /// `POST /files/upload`'s answer: where the file is now.
    public struct Uploaded: Codable, Sendable, Hashable {
        public var accessUrl: String
        public var fileName: String
        public var contentType: String

        public init(accessUrl: String, fileName: String, contentType: String) {
            self.accessUrl = accessUrl
            self.fileName = fileName
            self.contentType = contentType
        }
    }

    /// `POST /storage/upload/initiate`'s answer.
    public struct Initiated: Codable, Sendable, Hashable {
        public var uploadUrl: String
        public var fileUrl: String

        public init(uploadUrl: String, fileUrl: String) {
            self.uploadUrl = uploadUrl
            self.fileUrl = fileUrl
        }
    }

    /// `POST /storage/upload/initiate`'s body: `{"file_name", "content_type"}`, both optional here.
    public static func fileName(initiating body: consuming Data) throws(APIError) -> String? {
        let fields = FieldReader(try JSONValue.parseObject(body))
        _ = try fields.string("content_type")  // judged by the bytes, whatever it says
        return try fields.string("file_name")
    }
}

/// OpenAI's files API as `client.files.create(file=…, purpose="vision")` calls it: a multipart
/// form with `file` and `purpose`. Only pictures are kept, to be named as `file_id` in edits.
public enum OpenAIFiles {
    public static let purposes: Set<String> = ["vision", "user_data"]

    public struct Upload: Sendable, Hashable {
        public var bytes: Data
        public var fileName: String?
        public var purpose: String
    }

    public static func parse(parts: [MultipartPart]) throws(APIError) -> Upload {
        guard let file = parts.first(where: { $0.name == "file" }), !file.body.isEmpty else {
            throw APIError.missing("file", ": the picture to upload (a file part)")
        }
        let purpose = parts.first { $0.name == "purpose" && !$0.isFile }.map {
            String(decoding: $0.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let purpose else { throw APIError.missing("purpose") }
        guard purposes.contains(purpose) else {
            throw APIError.invalid(
                "purpose", "must be vision or user_data: Likeness keeps pictures to use as references")
        }
        return Upload(bytes: file.body, fileName: file.filename, purpose: purpose)
    }

    /// An uploaded file as OpenAI describes one.
    public struct FileObject: Codable, Sendable, Hashable {
        public var id: String
        public var object = "file"
        public var bytes: Int
        public var createdAt: Int
        public var expiresAt: Int
        public var filename: String
        public var purpose: String
        public var status = "processed"

        public init(id: String, bytes: Int, createdAt: Int, expiresAt: Int, filename: String, purpose: String) {
            self.id = id
            self.bytes = bytes
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.filename = filename
            self.purpose = purpose
        }
    }

    public struct FileList: Codable, Sendable, Hashable {
        public var object = "list"
        public var data: [FileObject]
        public var hasMore = false

        public init(data: [FileObject]) {
            self.data = data
        }
    }

    public struct Deleted: Codable, Sendable, Hashable {
        public var id: String
        public var object = "file"
        public var deleted = true

        public init(id: String) {
            self.id = id
        }
    }
}

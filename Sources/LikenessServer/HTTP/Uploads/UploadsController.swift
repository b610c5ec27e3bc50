import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore
import NIOCore
import NIOFoundationCompat

/// Uploads as real clients make them: fal's storage (`fal_client.upload_file`: a CDN token and
/// `POST /files/upload`, or `POST /storage/upload/initiate` and a signed `PUT`) and OpenAI's
/// files (`client.files.create`, `files.list`, `files.delete`). Each answers a URL or an id that
/// names the upload in a later request (`OwnReferenceURL`, `images[0].file_id`). The rules are
/// `UploadService`'s.
struct UploadsController: Sendable {
    let uploads: UploadService
    let support: RequestSupport
    let links: ImageLinks
    let signer: URLSigner
    let clock: WallClock

    /// How long fal's CDN token and a signed upload URL stay good.
    static let grant: TimeInterval = 3600
    static let purposeFal = "fal"

    /// fal's storage, behind fal's authentication (errors in fal's shape).
    var falRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/storage/auth/token", use: cdnToken)
        routes.post("/files/upload", use: uploadToCDN)
        routes.post("/storage/upload/initiate", use: initiate)
        return routes
    }

    /// The signed `PUT` of fal's storage flow: its URL is its authorization.
    var signedRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.put("/storage/uploads/{id}", use: put)
        return routes
    }

    /// OpenAI's files, behind authentication (errors in OpenAI's shape).
    var openAIRoutes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/v1/files", use: createFile)
        routes.get("/v1/files", use: listFiles)
        // `{file}`, as the image route on the same path names it.
        routes.delete("/v1/files/{file}", use: deleteFile)
        routes.get("/v1/uploads/{id}", use: download)
        return routes
    }

    // MARK: fal

    /// The token fal-client then sends to its CDN: the caller's own credential, handed back as it
    /// was sent (the CDN is this server too), so that the upload is authenticated as every call is.
    @Sendable func cdnToken(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let parts = (request.headers[.authorization] ?? "").split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw APIError(.authenticationFailed) }
        let expires = clock.now().addingTimeInterval(Self.grant)
        return try support.json(
            FalStorage.Token(
                token: String(parts[1]), tokenType: String(parts[0]), baseUrl: links.origin(of: request),
                expiresAt: expires.formatted(.iso8601)))
    }

    @Sendable func uploadToCDN(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let upload = try await uploads.store(
            try await support.readBody(request), fileName: request.headers[.falFileName], purpose: Self.purposeFal,
            accountID: caller.account.id, field: "file")
        return try support.json(
            FalStorage.Uploaded(
                accessUrl: fileURL(upload.id, request: request), fileName: upload.fileName,
                contentType: upload.contentType))
    }

    /// Answers where to `PUT` the bytes (signed for this account, for an hour) and where the file
    /// will be. Nothing is kept until the bytes come.
    @Sendable func initiate(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let name = try FalStorage.fileName(initiating: try await support.readBody(request))
        let id = UploadService.makeID()
        let expires = Int64(clock.now().addingTimeInterval(Self.grant).timeIntervalSince1970)
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "account", value: caller.account.id), URLQueryItem(name: "expires", value: "\(expires)"),
            URLQueryItem(name: "file_name", value: name),
            URLQueryItem(
                name: "signature",
                value: signer.signature(of: Self.subject(id.rawValue, caller.account.id, name), expires: expires)),
        ]
        let uploadURL =
            links.origin(of: request) + "/storage/uploads/\(id.rawValue)?" + (components.percentEncodedQuery ?? "")
        return try support.json(
            FalStorage.Initiated(uploadUrl: uploadURL, fileUrl: fileURL(id.rawValue, request: request)))
    }

    @Sendable func put(_ request: Request, context: LikenessRequestContext) async -> Response {
        do throws(APIError) {
            let query = request.uri.queryParameters
            guard let id = UploadID(try context.parameter("id")), let account = query.get("account"),
                let expires = query.get("expires").flatMap({ Int64($0) }), let signature = query.get("signature"),
                signer.isValid(
                    Self.subject(id.rawValue, account, query.get("file_name")), expires: expires, signature: signature,
                    now: clock.now())
            else {
                throw APIError(.invalidParameters, "no such upload, or its URL has expired", reason: .notFound)
            }
            _ = try await uploads.store(
                try await support.readBody(request), fileName: query.get("file_name"), purpose: Self.purposeFal,
                accountID: account, id: id, field: "file")
            return Response(status: .ok)
        } catch {
            return support.response(FalDialect.rendered(error), context: context)
        }
    }

    /// What a signed upload URL may do: put this file, for this account, under this name.
    static func subject(_ id: String, _ account: String, _ name: String?) -> String {
        "upload \(id) \(account) \(name ?? "")"
    }

    func fileURL(_ id: String, request: Request) -> String {
        links.origin(of: request) + OwnReferenceURL.uploadPath(id)
    }

    // MARK: OpenAI

    @Sendable func createFile(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let form = try OpenAIFiles.parse(
            parts: try await support.readParts(request, route: "/v1/files", field: "file"))
        let upload = try await uploads.store(
            form.bytes, fileName: form.fileName, purpose: form.purpose, accountID: caller.account.id, field: "file")
        return try support.json(Self.fileObject(upload))
    }

    @Sendable func listFiles(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let found = try await uploads.uploads(accountID: try context.requireCaller().account.id, limit: 1000)
        return try support.json(OpenAIFiles.FileList(data: found.map(Self.fileObject)))
    }

    @Sendable func deleteFile(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let deleted = try await uploads.delete(
            try context.parameter("file"), accountID: try context.requireCaller().account.id)
        return try support.json(OpenAIFiles.Deleted(id: deleted.id))
    }

    /// The upload's bytes, to its own account only.
    @Sendable func download(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let text = try context.parameter("id")
        guard let id = UploadID(text) else { throw UploadService.notFound(text) }
        let (upload, bytes) = try await uploads.open(
            id, accountID: try context.requireCaller().account.id, field: "id")
        return Response(
            status: .ok, headers: [.contentType: upload.contentType, .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(data: bytes)))
    }

    static func fileObject(_ upload: StoredUpload) -> OpenAIFiles.FileObject {
        OpenAIFiles.FileObject(
            id: upload.id, bytes: upload.byteCount, createdAt: Int(upload.createdAt.timeIntervalSince1970),
            expiresAt: Int(upload.expiresAt.timeIntervalSince1970), filename: upload.fileName,
            purpose: upload.purpose)
    }
}

extension HTTPField.Name {
    static let falFileName = HTTPField.Name("X-Fal-File-Name")!
}

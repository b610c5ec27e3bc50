import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import LikenessStore
import NIOCore
import NIOFoundationCompat

/// The caller's characters: `POST /v1/characters` (JSON or a multipart form), `GET /v1/characters`
/// (newest first, paged by `after`), `GET|DELETE /v1/characters/{id}`, each photo's thumbnail, and
/// the images made from it (`GET /v1/characters/{id}/generations`).
/// Errors are in OpenAI's shape; every answer is about the calling key's account only, and
/// another account's character is not found. The rules are `CharacterService`'s.
struct CharactersController: Sendable {
    let characters: CharacterService
    let generation: GenerationService
    let support: RequestSupport
    let links: ImageLinks

    static let pageLimit = 1...100

    /// Creating one analyses its photos: it counts against the caller's requests a minute.
    var creation: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/v1/characters", use: create)
        return routes
    }

    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/characters", use: list)
        routes.get("/v1/characters/{id}", use: show)
        routes.delete("/v1/characters/{id}", use: delete)
        routes.get("/v1/characters/{id}/photos/{index}/thumbnail", use: thumbnail)
        routes.get("/v1/characters/{id}/generations", use: history)
        return routes
    }

    @Sendable func create(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let isForm = request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true
        let parsed =
            isForm
            ? try CharacterRequest.parse(
                parts: try await support.readParts(request, route: "/v1/characters", field: "image"))
            : try CharacterRequest.parse(json: try await support.readBody(request))
        let character = try await characters.create(
            name: parsed.name, photos: parsed.photos, accountID: caller.account.id)
        return try support.json(body(of: character, request: request), status: .created)
    }

    @Sendable func list(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        let limit = try Self.pageLimit(query.get("limit"))
        let after = query.get("after")
        if let after, CharacterID(after) == nil {
            throw APIError.invalid("after", "must be a character id (chr_ and 32 hex digits)")
        }
        let found = try await characters.characters(accountID: caller.account.id, limit: limit + 1, after: after)
        return try support.json(
            CharacterListBody(
                data: found.prefix(limit).map { body(of: $0, request: request) }, hasMore: found.count > limit))
    }

    @Sendable func show(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let character = try await characters.character(
            try Self.id(context), accountID: try context.requireCaller().account.id)
        return try support.json(body(of: character, request: request))
    }

    @Sendable func delete(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let deleted = try await characters.delete(
            try Self.id(context), accountID: try context.requireCaller().account.id)
        return try support.json(CharacterDeletedBody(id: deleted.id))
    }

    @Sendable func thumbnail(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        guard let index = Int(try context.parameter("index")), index >= 0 else {
            throw APIError(.invalidParameters, "no such photo", reason: .notFound)
        }
        let jpeg = try await characters.thumbnail(
            of: try Self.id(context), photo: index, accountID: try context.requireCaller().account.id)
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(data: jpeg)))
    }

    @Sendable func history(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let character = try await characters.character(try Self.id(context), accountID: caller.account.id)
        let query = request.uri.queryParameters
        let limit = try Self.pageLimit(query.get("limit"))
        let after = query.get("after")
        if let after, !Identifier.isValid(after) { throw APIError.invalid("after", "must be a generation's id") }
        let history = try await generation.history(
            of: caller,
            matching: JobQuery(status: .succeeded, characterID: character.id, after: after, limit: limit + 1))
        let origin = links.origin(of: request)
        let entries = history.prefix(limit).map { entry in
            let images = entry.images.compactMap { recorded in
                recorded.image.map { image in
                    CharacterImageBody(
                        url: links.url(for: image, origin: origin), width: image.width, height: image.height,
                        identityScore: recorded.identityScore)
                }
            }
            let job = entry.job
            return CharacterGenerationBody(
                id: job.id, createdAt: Int(job.createdAt.timeIntervalSince1970), model: job.model,
                prompt: entry.request?.prompt, dialect: job.dialect.rawValue, images: images,
                identityScores: job.identity?.scores ?? [], identityThreshold: job.identity?.threshold)
        }
        return try support.json(CharacterHistoryBody(data: entries, hasMore: history.count > limit))
    }

    func body(of character: StoredCharacter, request: Request) -> CharacterBody {
        let url = links.origin(of: request) + OwnReferenceURL.characterPath(character.id)
        return CharacterBody(
            id: character.id, name: character.name, createdAt: Int(character.createdAt.timeIntervalSince1970),
            url: url,
            photos: character.photos.enumerated().map { index, photo in
                CharacterPhotoBody(
                    width: photo.width, height: photo.height, bytes: photo.byteCount, contentType: photo.contentType,
                    face: zip(photo.faceWidth, photo.faceHeight).map { CharacterFaceBody(width: $0, height: $1) },
                    note: photo.faceNote, thumbnailUrl: "\(url)/photos/\(index)/thumbnail")
            })
    }

    private static func id(_ context: LikenessRequestContext) throws(APIError) -> String {
        let id = try context.parameter("id")
        // A malformed id names nothing: not found, like another account's.
        guard CharacterID(id) != nil else { throw CharacterService.notFound(id) }
        return id
    }

    private static func pageLimit(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 20 }
        guard let limit = Int(text), pageLimit.contains(limit) else {
            throw APIError.invalid("limit", "must be an integer in \(pageLimit.lowerBound)...\(pageLimit.upperBound)")
        }
        return limit
    }
}

/// Both, when both are there.
func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

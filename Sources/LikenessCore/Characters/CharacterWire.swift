import Foundation

// The JSON bodies of `/v1/characters`, shared by the server and the Swift client. Keys are
// snake_case on the wire (`AccountsWire.encoder`); times are Unix seconds, as OpenAI's objects
// give them.

/// A stored character: `POST /v1/characters`, `GET /v1/characters/{id}`.
public struct CharacterBody: Codable, Sendable, Hashable {
    public var id: String
    public var object = "character"
    public var name: String?
    public var createdAt: Int
    /// This character's own URL: `image_url` (fal) or `image_file` may name it in place of a photo.
    public var url: String
    public var photos: [CharacterPhotoBody]

    /// The most photos one character holds, all of the same person.
    public static let maximumPhotos = 5

    public init(id: String, name: String?, createdAt: Int, url: String, photos: [CharacterPhotoBody]) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.url = url
        self.photos = photos
    }
}

/// One photo of a character, as it was checked (never its bytes).
public struct CharacterPhotoBody: Codable, Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var contentType: String
    /// The face found in the photo, as it was analysed; nil when none was (or scoring is off).
    public var face: CharacterFaceBody?
    /// What was noticed about the face (none found, too small, several faces).
    public var note: String?
    /// A small JPEG of the photo, for the caller's key only.
    public var thumbnailUrl: String

    public init(
        width: Int, height: Int, bytes: Int, contentType: String, face: CharacterFaceBody?, note: String?,
        thumbnailUrl: String
    ) {
        self.width = width
        self.height = height
        self.bytes = bytes
        self.contentType = contentType
        self.face = face
        self.note = note
        self.thumbnailUrl = thumbnailUrl
    }
}

public struct CharacterFaceBody: Codable, Sendable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// `GET /v1/characters`: newest first; `after=<last_id>` asks for the next page.
public struct CharacterListBody: Codable, Sendable, Hashable {
    public var object = "list"
    public var data: [CharacterBody]
    public var hasMore: Bool
    public var lastId: String?

    public init(data: [CharacterBody], hasMore: Bool) {
        self.data = data
        self.hasMore = hasMore
        self.lastId = data.last?.id
    }
}

/// `DELETE /v1/characters/{id}`: the photos, faces and thumbnails are gone.
public struct CharacterDeletedBody: Codable, Sendable, Hashable {
    public var id: String
    public var object = "character.deleted"
    public var deleted = true

    public init(id: String) {
        self.id = id
    }
}

/// `GET /v1/characters/{id}/generations`: the images made from the character, newest first;
/// `after=<last_id>` asks for the next page.
public struct CharacterHistoryBody: Codable, Sendable, Hashable {
    public var object = "list"
    public var data: [CharacterGenerationBody]
    public var hasMore: Bool
    public var lastId: String?

    public init(data: [CharacterGenerationBody], hasMore: Bool) {
        self.data = data
        self.hasMore = hasMore
        self.lastId = data.last?.id
    }
}

/// One request made from the character: its job, the prompt, and each image with its score.
public struct CharacterGenerationBody: Codable, Sendable, Hashable {
    public var id: String
    public var object = "character.generation"
    public var createdAt: Int
    public var model: String?
    public var prompt: String?
    /// The dialect it came in: `minimax`, `openai`, `fal` or `mcp`.
    public var dialect: String
    /// Empty once the images have expired; the scores stay.
    public var images: [CharacterImageBody]
    public var identityScores: [Double?]
    public var identityThreshold: Double?

    public init(
        id: String, createdAt: Int, model: String?, prompt: String?, dialect: String, images: [CharacterImageBody],
        identityScores: [Double?], identityThreshold: Double?
    ) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.prompt = prompt
        self.dialect = dialect
        self.images = images
        self.identityScores = identityScores
        self.identityThreshold = identityThreshold
    }
}

public struct CharacterImageBody: Codable, Sendable, Hashable {
    public var url: String
    public var width: Int
    public var height: Int
    public var identityScore: Double?

    public init(url: String, width: Int, height: Int, identityScore: Double?) {
        self.url = url
        self.width = width
        self.height = height
        self.identityScore = identityScore
    }
}

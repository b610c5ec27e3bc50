import Foundation

/// A character stored for an account: up to `CharacterBody.maximumPhotos` photos of one person, each kept
/// sealed in the blob store with its thumbnail (`PrivateObject.characterPhoto`), and the face
/// found in it, sealed, in its row.
public struct StoredCharacter: Sendable, Hashable {
    public var id: String
    public var accountID: String
    public var name: String?
    public var createdAt: Date
    /// In the order they were given; the first is the one engines draw from.
    public var photos: [StoredCharacterPhoto]

    public init(id: String, accountID: String, name: String?, createdAt: Date, photos: [StoredCharacterPhoto]) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.createdAt = createdAt
        self.photos = photos
    }
}

public struct StoredCharacterPhoto: Sendable, Hashable {
    /// An `Identifier`: it names the photo's and the thumbnail's objects.
    public var id: String
    public var contentType: String
    /// The photo's bytes before sealing, and its size in pixels.
    public var byteCount: Int
    public var width: Int
    public var height: Int
    /// The face found in the photo, sealed; nil when none was (or scoring is off).
    public var sealedFace: Data?
    /// The face's box in pixels of the photo as analysed.
    public var faceWidth: Int?
    public var faceHeight: Int?
    /// What the caller was told about the face (none found, too small, several).
    public var faceNote: String?

    public init(
        id: String, contentType: String, byteCount: Int, width: Int, height: Int, sealedFace: Data? = nil,
        faceWidth: Int? = nil, faceHeight: Int? = nil, faceNote: String? = nil
    ) {
        self.id = id
        self.contentType = contentType
        self.byteCount = byteCount
        self.width = width
        self.height = height
        self.sealedFace = sealedFace
        self.faceWidth = faceWidth
        self.faceHeight = faceHeight
        self.faceNote = faceNote
    }
}

/// Characters, always by their account: another account's character is not found.
public protocol CharacterRepository: Sendable {
    /// Records the character and its photos, unless the account already has `limit` characters
    /// (then `StoreError.refused`).
    func insertCharacter(_ character: StoredCharacter, limit: Int) throws
    func character(id: String, accountID: String) throws -> StoredCharacter?
    /// The account's characters, newest first, the page after the character `after` (its id).
    func characters(accountID: String, limit: Int, after: String?) throws -> [StoredCharacter]
    /// Deletes the character's rows and returns it (the caller removes its objects); nil when the
    /// account has no such character.
    func deleteCharacter(id: String, accountID: String) throws -> StoredCharacter?
    /// Every stored photo's id, for the sweep of objects a crash left behind.
    func characterPhotoIDs() throws -> Set<String>
}

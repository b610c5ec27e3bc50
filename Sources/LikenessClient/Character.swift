import Foundation
import LikenessCore

/// The account's characters: a person's photos stored once on the server, then named by id in
/// every request (`Reference.character(id)`). Likeness only.
extension LikenessClient {
    /// Stores a character from 1 to 5 photos of one person (files, bytes or URLs the server
    /// fetches). Each is checked as a reference is, its face found once.
    public func createCharacter(name: String? = nil, photos: [Reference]) async throws(LikenessError)
        -> CharacterBody
    {
        var files: [String] = []
        for photo in photos {
            switch photo {
            case .url(let url): files.append(url.absoluteString)
            case .data(let bytes): files.append(Self.dataURL(bytes))
            case .file(let file): files.append(Self.dataURL(try Self.readFile(file, field: "image_file")))
            case .character:
                throw LikenessError(.invalidParameter, "a character is made from photos", field: "image_file")
            }
        }
        return try await account(
            .post, "/v1/characters", body: CharacterCreation(name: name, imageFile: files), as: CharacterBody.self)
    }

    public func character(id: String) async throws(LikenessError) -> CharacterBody {
        try await account(.get, "/v1/characters/\(id)", as: CharacterBody.self)
    }

    /// One page of the account's characters, newest first; pass the last page's `lastId` as `after`.
    public func characters(limit: Int = 20, after: String? = nil) async throws(LikenessError) -> CharacterListBody {
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if let after { query.append(URLQueryItem(name: "after", value: after)) }
        return try await account(.get, "/v1/characters", query: query, as: CharacterListBody.self)
    }

    /// Deletes the character: its photos, faces and thumbnails, everywhere the server kept them.
    public func deleteCharacter(id: String) async throws(LikenessError) -> CharacterDeletedBody {
        try await account(.delete, "/v1/characters/\(id)", as: CharacterDeletedBody.self)
    }
}

private struct CharacterCreation: Encodable {
    var name: String?
    var imageFile: [String]
}

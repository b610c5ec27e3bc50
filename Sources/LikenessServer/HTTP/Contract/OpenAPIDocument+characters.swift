import Foundation
import LikenessCore

/// `/v1/characters`: a person's photos stored once, then named in every dialect.
extension OpenAPIDocument {
    static func characters(into paths: inout [String: J]) {
        let id = pathParameter("id", "A character id (chr_…)", schema: string())
        let paging = [
            queryParameter("limit", "1 to 100 (default 20)", type: "integer"),
            queryParameter("after", "The last id of the previous page", type: "string"),
        ]
        paths["/v1/characters"] = .object([
            "post": operation(
                "createCharacter", tag: "characters", summary: "Store a character from 1 to 5 photos of one person",
                description: "Each photo is checked as a subject reference is (type by content, size, header "
                    + "limits, the face check), stripped of its metadata and sealed at rest. Use the character "
                    + "as `subject_reference[0].character_id`, or its `url` as fal's `image_url`.",
                security: accountSecurity,
                body: .object([
                    "required": .bool(true),
                    "content": .object([
                        "application/json": .object(["schema": ref("CreateCharacterJSON")]),
                        "multipart/form-data": .object(["schema": ref("CreateCharacterForm")]),
                    ]),
                ]),
                responses: ["201": json(ref("Character"), "The character"), "default": openAIError()]),
            "get": operation(
                "listCharacters", tag: "characters", summary: "The account's characters, newest first",
                security: accountSecurity, parameters: paging,
                responses: ["200": json(ref("CharacterList"), "A page of characters"), "default": openAIError()]),
        ])
        paths["/v1/characters/{id}"] = .object([
            "get": operation(
                "getCharacter", tag: "characters", summary: "One of the account's characters",
                security: accountSecurity, parameters: [id],
                responses: ["200": json(ref("Character"), "The character"), "default": openAIError()]),
            "delete": operation(
                "deleteCharacter", tag: "characters",
                summary: "Delete a character: its photos, faces and thumbnails, in every store",
                security: accountSecurity, parameters: [id],
                responses: ["200": json(ref("CharacterDeleted"), "Deleted"), "default": openAIError()]),
        ])
        paths["/v1/characters/{id}/photos/{index}/thumbnail"] = .object([
            "get": operation(
                "getCharacterThumbnail", tag: "characters", summary: "A photo's thumbnail (JPEG, at most 256 px)",
                security: accountSecurity,
                parameters: [id, pathParameter("index", "The photo's place, from 0", schema: integer(0...4))],
                responses: [
                    "200": .object([
                        "description": .string("The thumbnail"),
                        "content": .object(["image/jpeg": .object(["schema": string()])]),
                    ]),
                    "default": openAIError(),
                ])
        ])
        paths["/v1/characters/{id}/generations"] = .object([
            "get": operation(
                "getCharacterHistory", tag: "characters",
                summary: "The images made from a character, newest first, with their identity scores",
                security: accountSecurity, parameters: [id] + paging,
                responses: ["200": json(ref("CharacterHistory"), "A page of generations"), "default": openAIError()])
        ])
    }
}

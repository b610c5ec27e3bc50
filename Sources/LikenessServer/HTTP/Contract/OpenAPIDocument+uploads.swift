import Foundation
import LikenessCore

/// Uploads as fal-client (fal's storage) and the openai SDK (`files`) make them.
extension OpenAPIDocument {
    static func uploads(into paths: inout [String: J]) {
        let picture: J = .object([
            "required": .bool(true),
            "content": .object(
                Dictionary(
                    uniqueKeysWithValues: ["image/jpeg", "image/png"].map { type in
                        (
                            type,
                            J.object([
                                "schema": .object(["type": .string("string"), "contentMediaType": .string(type)])
                            ])
                        )
                    })),
        ])
        paths["/storage/auth/token"] = .object([
            "post": operation(
                "falStorageToken", tag: "files", summary: "fal's CDN token, as fal-client asks for it before an upload",
                security: falSecurity,
                parameters: [queryParameter("storage_type", "`fal-cdn-v3`", type: "string")],
                responses: ["200": json(ref("FalStorageToken"), "The token"), "default": falError()])
        ])
        paths["/files/upload"] = .object([
            "post": operation(
                "falUpload", tag: "files", summary: "Upload a picture as fal-client does (its CDN upload)",
                description: "Checked as a subject reference is, stripped of its metadata and sealed; its "
                    + "`access_url` names it as `image_url` until it expires.",
                security: falSecurity, body: picture,
                responses: ["200": json(ref("FalUploaded"), "Where the file is"), "default": falError()])
        ])
        paths["/storage/upload/initiate"] = .object([
            "post": operation(
                "falInitiateUpload", tag: "files", summary: "fal's storage flow: where to PUT a file, and its URL",
                security: falSecurity,
                parameters: [queryParameter("storage_type", "`gcs`", type: "string")],
                body: jsonBody(object(["file_name": string(), "content_type": string()])),
                responses: ["200": json(ref("FalInitiated"), "The upload's URLs"), "default": falError()])
        ])
        paths["/storage/uploads/{id}"] = .object([
            "put": operation(
                "falPutUpload", tag: "files", summary: "The bytes of an initiated upload, by its signed URL",
                description: "Good for one upload, for an hour; a changed or expired URL is 404.",
                security: .array([]),
                parameters: [
                    pathParameter("id", "The upload's id (file-…)", schema: string()),
                    queryParameter("account", "Whose upload", type: "string"),
                    queryParameter("expires", "Unix seconds", type: "string"),
                    queryParameter("file_name", "The file's name", type: "string"),
                    queryParameter("signature", "HMAC-SHA256, hex", type: "string"),
                ], body: picture,
                responses: ["200": .object(["description": .string("Stored")]), "default": falError()])
        ])
        paths["/v1/files"] = .object([
            "post": operation(
                "createFile", tag: "files", summary: "Upload a picture as the openai SDK does (`files.create`)",
                description: "`purpose` is `vision` or `user_data`; the file's id is then `images[0].file_id` "
                    + "in a JSON edit, until it expires.",
                security: accountSecurity,
                body: .object([
                    "required": .bool(true),
                    "content": .object(["multipart/form-data": .object(["schema": ref("CreateFileForm")])]),
                ]),
                responses: ["200": json(ref("FileObject"), "The file"), "default": openAIError()]),
            "get": operation(
                "listFiles", tag: "files", summary: "The account's unexpired uploads, newest first",
                security: accountSecurity,
                responses: ["200": json(ref("FileList"), "The files"), "default": openAIError()]),
        ])
        paths["/v1/uploads/{id}"] = .object([
            "get": operation(
                "getUpload", tag: "files", summary: "An uploaded picture, to its own account",
                security: accountSecurity,
                parameters: [pathParameter("id", "The upload's id (file-…)", schema: string())],
                responses: [
                    "200": .object([
                        "description": .string("The picture as it was kept"),
                        "content": .object([
                            "image/jpeg": .object(["schema": string()]), "image/png": .object(["schema": string()]),
                        ]),
                    ]),
                    "default": openAIError(),
                ])
        ])
    }

    static func deleteFile() -> J {
        operation(
            "deleteFile", tag: "files", summary: "Delete an upload (`files.delete`)", security: accountSecurity,
            parameters: [pathParameter("file", "The file's id (file-…)", schema: string())],
            responses: ["200": json(ref("FileDeleted"), "Deleted"), "default": openAIError()])
    }

    static func uploadSchemas() -> [String: J] {
        [
            "FalStorageToken": object(
                ["token": string(), "token_type": string(), "base_url": string(), "expires_at": string()],
                required: ["token", "token_type", "base_url", "expires_at"]),
            "FalUploaded": object(
                ["access_url": string(), "file_name": string(), "content_type": string()], required: ["access_url"]),
            "FalInitiated": object(
                ["upload_url": string(), "file_url": string()], required: ["upload_url", "file_url"]),
            "CreateFileForm": object(
                [
                    "file": .object([
                        "type": .string("string"), "contentMediaType": .string("application/octet-stream"),
                        "description": .string("A JPEG or PNG under 10 MB"),
                    ]),
                    "purpose": enumeration(["vision", "user_data"]),
                ], required: ["file", "purpose"]),
            "FileObject": object(
                [
                    "id": string(), "object": .object(["const": .string("file")]), "bytes": integer(),
                    "created_at": integer(), "expires_at": integer(), "filename": string(), "purpose": string(),
                    "status": string(),
                ], required: ["id", "object", "bytes", "created_at", "filename", "purpose"]),
            "FileList": object(
                [
                    "object": .object(["const": .string("list")]), "data": array(ref("FileObject")),
                    "has_more": boolean(),
                ],
                required: ["object", "data"]),
            "FileDeleted": object(
                ["id": string(), "object": .object(["const": .string("file")]), "deleted": boolean()],
                required: ["id", "object", "deleted"]),
        ]
    }
}

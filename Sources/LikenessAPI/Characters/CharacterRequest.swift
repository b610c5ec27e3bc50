import Foundation
import LikenessCore

/// `POST /v1/characters`, as JSON or as a multipart form, read into a name and the photos.
///
/// JSON: `{"name": "Ada", "image_file": "data:image/jpeg;base64,…"}`, where `image_file` may be
/// an array of up to five data or http(s) URLs. A form: a `name` field and up to five file parts
/// named `image` (or `image[]`). Each photo is then checked as any subject reference is.
public struct CharacterRequest: Sendable, Hashable {
    public var name: String?
    public var photos: [SubjectReference]

    public init(name: String?, photos: [SubjectReference]) {
        self.name = name
        self.photos = photos
    }

    public static func parse(json body: consuming Data) throws(APIError) -> CharacterRequest {
        let fields = FieldReader(try JSONValue.parseObject(body))
        let name = try fields.string("name")
        var photos: [SubjectReference] = []
        switch fields.object["image_file"] {
        case .array(let elements)?:
            try checkCount(elements.count, field: "image_file")
            for (index, element) in elements.enumerated() {
                let field = "image_file[\(index)]"
                guard case .string(let text) = element, !text.isEmpty else {
                    throw APIError.invalid(field, "must be a data URL or an http(s) URL")
                }
                photos.append(SubjectReference(source: try ReferenceSource.parse(text, field: field), field: field))
            }
        default:
            guard let text = try fields.string("image_file"), !text.isEmpty else {
                throw APIError.missing("image_file", ": a photo of the character (a data or http(s) URL)")
            }
            photos = [
                SubjectReference(source: try ReferenceSource.parse(text, field: "image_file"), field: "image_file")
            ]
        }
        guard !photos.isEmpty else {
            throw APIError.missing("image_file", ": a photo of the character (a data or http(s) URL)")
        }
        return CharacterRequest(name: name, photos: photos)
    }

    public static func parse(parts: [MultipartPart]) throws(APIError) -> CharacterRequest {
        let images = parts.filter { $0.name == "image" || $0.name == "image[]" }
        guard !images.isEmpty else { throw APIError.missing("image", ": a photo of the character (a file part)") }
        try checkCount(images.count, field: "image")
        var photos: [SubjectReference] = []
        for (index, image) in images.enumerated() {
            let field = images.count == 1 ? "image" : "image[\(index)]"
            guard !image.body.isEmpty else { throw APIError.invalid(field, "is empty") }
            photos.append(SubjectReference(source: .inline(image.body), field: field))
        }
        let name = parts.first { $0.name == "name" && !$0.isFile }.map { String(decoding: $0.body, as: UTF8.self) }
        return CharacterRequest(name: name, photos: photos)
    }

    private static func checkCount(_ count: Int, field: String) throws(APIError) {
        let most = CharacterBody.maximumPhotos
        guard count <= most else {
            throw APIError.invalid(field, "holds at most \(most) photos of one person (got \(count))")
        }
    }
}

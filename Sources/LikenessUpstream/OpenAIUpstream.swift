import Foundation
import LikenessCore

/// Likeness as a client of an OpenAI-compatible image server (`sd-server`, LocalAI, another
/// gateway): `POST /images/generations` (JSON) or `POST /images/edits` (multipart).
public enum OpenAIUpstream {
    /// How the subject reference travels to a server that speaks the OpenAI shape.
    public enum ReferenceTransport: String, Sendable, Hashable, CaseIterable {
        /// A multipart `/images/edits` request with the photo as the `image` part.
        case edits
        /// `/images/generations` with MiniMax's `subject_reference` array as an extra JSON field,
        /// as gateways that front image-01 accept it (`extra_body` in the OpenAI SDK).
        case subjectReference = "subject-reference"
    }

    /// The JSON body of `/images/generations`. Images are asked for as `b64_json` (one round
    /// trip, nothing to expire) unless `asURLs`, for results passed through as the upstream's URLs.
    public static func generationsBody(
        _ request: GenerationRequest, model: String, referenceDataURL: String?, asURLs: Bool = false
    ) -> Data {
        var body = commonFields(request, model: model, asURLs: asURLs).mapValues(JSONValue.string)
        body["n"] = .integer(Int64(request.count))
        if let referenceDataURL {
            body["subject_reference"] = .array([
                .object(["type": .string("character"), "image_file": .string(referenceDataURL)])
            ])
        }
        return UpstreamWire.encode(body)
    }

    /// The multipart body of `/images/edits` and its content type.
    public static func editsBody(
        _ request: GenerationRequest, model: String, reference: Data, boundary: String, asURLs: Bool = false
    ) -> (body: Data, contentType: String) {
        var body = Data()
        func part(_ headers: String, _ content: Data) {
            body.append(Data("--\(boundary)\r\n\(headers)\r\n\r\n".utf8))
            body.append(content)
            body.append(Data("\r\n".utf8))
        }
        var fields = commonFields(request, model: model, asURLs: asURLs)
        fields["n"] = String(request.count)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            part("Content-Disposition: form-data; name=\"\(name)\"", Data(value.utf8))
        }
        let isPNG = reference.starts(with: [0x89, 0x50, 0x4E, 0x47])
        part(
            "Content-Disposition: form-data; name=\"image\"; filename=\"reference.\(isPNG ? "png" : "jpg")\"\r\n"
                + "Content-Type: image/\(isPNG ? "png" : "jpeg")",
            reference)
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    private static func commonFields(_ request: GenerationRequest, model: String, asURLs: Bool) -> [String: String] {
        var fields = [
            "model": model, "prompt": request.prompt, "size": request.size.description,
            "response_format": asURLs ? "url" : "b64_json",
        ]
        if let ratio = request.aspectRatio { fields["aspect_ratio"] = ratio.rawValue }
        return fields
    }

    /// One image of an answer's `data`.
    public enum Image: Sendable, Hashable {
        case base64(String)
        case url(String)
    }

    public static func readImages(_ body: Data) throws(UpstreamWire.MalformedAnswer) -> [Image] {
        let object = try UpstreamWire.parse(body)
        guard let data = object["data"]?.arrayValue else {
            throw UpstreamWire.MalformedAnswer("the answer has no data array")
        }
        return try data.map { item throws(UpstreamWire.MalformedAnswer) in
            let entry = item.objectValue ?? [:]
            if let base64 = entry["b64_json"]?.stringValue { return .base64(base64) }
            if let url = entry["url"]?.stringValue { return .url(url) }
            throw UpstreamWire.MalformedAnswer("a data entry has neither b64_json nor url")
        }
    }

    /// An OpenAI error body's message and code.
    public static func readError(_ body: Data) -> (message: String, code: String?)? {
        guard let error = (try? UpstreamWire.parse(body))?["error"]?.objectValue,
            let message = error["message"]?.stringValue
        else { return nil }
        return (message, error["code"]?.stringValue ?? error["type"]?.stringValue)
    }
}

import Foundation
import LikenessCore

/// A reference URL that names something this server keeps: a character
/// (`/v1/characters/chr_…`) or an uploaded file (`/v1/uploads/file-…`). fal's `image_url` has no
/// other way to say either, so a URL of this server's with one of these paths is never fetched.
enum OwnReferenceURL {
    /// The hosts fal-client uploads to (fixed in the client): an operator who points them at
    /// Likeness (DNS or a proxy) gets file URLs on them, and they name this server's uploads.
    static let falUploadHosts: Set<String> = ["rest.fal.ai", "v3.fal.media"]

    static func characterPath(_ id: String) -> String { "/v1/characters/\(id)" }
    static func uploadPath(_ id: String) -> String { "/v1/uploads/\(id)" }

    /// What `url` names when it is this server's (at `origin`, as the request reached it or
    /// `publicURL`); nil for any other URL, which is fetched as usual. Whose it is, is admission's
    /// question.
    static func source(of url: URL, origin: String) -> ReferenceSource? {
        guard url.query == nil, let host = url.host?.lowercased() else { return nil }
        let components = url.path.split(separator: "/")
        guard components.count == 3, components[0] == "v1" else { return nil }
        switch components[1] {
        case "characters" where isOrigin(url, origin):
            return CharacterID(components[2]).map(ReferenceSource.character)
        case "uploads" where isOrigin(url, origin) || (url.scheme == "https" && falUploadHosts.contains(host)):
            return UploadID(components[2]).map(ReferenceSource.upload)
        default:
            return nil
        }
    }

    private static func isOrigin(_ url: URL, _ origin: String) -> Bool {
        guard let own = URL(string: origin) else { return false }
        return url.scheme?.lowercased() == own.scheme?.lowercased() && url.host?.lowercased() == own.host?.lowercased()
            && url.port == own.port
    }
}

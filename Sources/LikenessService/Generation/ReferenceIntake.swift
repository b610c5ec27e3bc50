import Foundation
import LikenessCore
import LikenessEngines
import LikenessImaging

/// Turns a subject reference into checked bytes: fetched when remote, then judged by content.
/// Only JPEG and PNG are accepted (whatever the URL or data URL claims), within 10 MB, within
/// `limits` by the header (refused before a pixel is decoded), and fully decodable. The bytes
/// kept are the picture encoded again with no metadata (`ImageHeader.strippingMetadata`).
package struct ReferenceIntake: Sendable {
    let fetcher: any ReferenceFetching
    let limits: DecodeLimits

    package init(fetcher: any ReferenceFetching, limits: DecodeLimits = DecodeLimits()) {
        self.fetcher = fetcher
        self.limits = limits
    }

    /// Errors name the reference's field as its caller spelled it.
    func load(_ reference: SubjectReference) async throws(APIError) -> Data {
        let field = reference.field
        let bytes: Data
        switch reference.source {
        case .inline(let data): bytes = data
        case .remote(let url): bytes = try await fetcher.fetch(url, field: field)
        case .character, .upload:
            throw APIError(.internalError, "a character's photos and uploads were checked as they were stored")
        }
        guard bytes.count <= ReferenceSource.maximumByteCount else {
            throw APIError.invalid(field, "is larger than 10 MB")
        }
        let header: ImageHeader
        do {
            header = try ImageHeader(probing: bytes)
        } catch {
            throw APIError.invalid(field, "is not an image (\(error.message))")
        }
        guard header.format == .jpeg || header.format == .png else {
            throw APIError.invalid(
                field, "must be a JPG, JPEG or PNG image (this one is \(header.format.rawValue))")
        }
        do {
            // Every pixel is read (so truncation shows). What is kept, drawn and sent upstream
            // is the picture alone: a photo's tags say who took it, with what, when and where.
            return try await RenderThreads.run { [limits] in
                try ImageHeader.strippingMetadata(from: bytes, limits: limits)
            }
        } catch let error as ImagingError {
            throw APIError.invalid(field, "is not usable: \(error.message)")
        } catch {
            throw APIError(.internalError, "the reference could not be checked")
        }
    }
}

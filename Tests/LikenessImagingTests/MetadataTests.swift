import Foundation
import LikenessTestSupport
import Testing

@testable import LikenessImaging

@Suite("A photo's metadata, stripped")
struct MetadataTests {
    /// Whether any of the personal values is in `bytes`, in EXIF, XMP, a comment or anywhere.
    private func carriesPersonalValues(_ bytes: Data) -> Bool {
        PersonalMetadata.strings.contains { bytes.range(of: Data($0.utf8)) != nil }
    }

    @Test("the crafted photo carries what a phone writes, so the checks below can fail")
    func craftedPhoto() throws {
        let photo = try personalPhoto()
        #expect(exifTags(in: photo).isSuperset(of: PersonalMetadata.tags))
        #expect(carriesPersonalValues(photo))
        #expect(try ImageHeader.xmp(in: photo)?.contains(PersonalMetadata.artist) == true)
    }

    @Test("a stripped JPEG keeps no camera, author, date, GPS, XMP or comment, and stays a JPEG")
    func strippedJPEG() throws {
        let stripped = try ImageHeader.strippingMetadata(from: try personalPhoto(), limits: DecodeLimits())
        #expect(exifTags(in: stripped).isDisjoint(with: PersonalMetadata.tags))
        #expect(!carriesPersonalValues(stripped))
        #expect(try ImageHeader.xmp(in: stripped) == nil)
        let header = try ImageHeader(probing: stripped)
        #expect(header.format == .jpeg && header.width == 200 && header.height == 120)
    }

    @Test("the EXIF orientation is applied before it goes, so the picture stays upright")
    func orientationApplied() throws {
        // 6: the stored pixels are turned a quarter; upright the picture is 120 wide, 200 high.
        let stripped = try ImageHeader.strippingMetadata(
            from: try personalPhoto(orientation: 6), limits: DecodeLimits())
        let header = try ImageHeader(probing: stripped)
        #expect(header.width == 120 && header.height == 200)
    }

    @Test("a stripped PNG keeps its alpha and loses its XMP")
    func strippedPNG() throws {
        let image = try RasterImage.panel(width: 80, height: 80, colour: RGB(10, 200, 30), alpha: 128)
        let png = try image.encoded(
            as: .png, xmp: "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\(PersonalMetadata.artist)</x:xmpmeta>")
        #expect(try ImageHeader.xmp(in: png) != nil)
        let stripped = try ImageHeader.strippingMetadata(from: png, limits: DecodeLimits(minimumSide: 1))
        #expect(try ImageHeader.xmp(in: stripped) == nil)
        #expect(try ImageHeader(probing: stripped).format == .png)
        // IHDR's colour type: 6 is RGB with alpha.
        #expect(stripped[stripped.startIndex + 25] == 6)
    }

    @Test("truncated or oversized input is refused, as a decode refuses it")
    func refusals() throws {
        let photo = try personalPhoto()
        #expect(throws: ImagingError.self) {
            try ImageHeader.strippingMetadata(from: photo.prefix(photo.count / 2), limits: DecodeLimits())
        }
        #expect(throws: ImagingError.self) {
            try ImageHeader.strippingMetadata(from: photo, limits: DecodeLimits(maximumSide: 100))
        }
    }

    @Test("an image drawn from a photo is encoded with none of the photo's metadata, only the XMP given")
    func drawnImage() throws {
        let drawn = try RasterImage(decoding: try personalPhoto(), limits: DecodeLimits())
        let output = try drawn.encoded(
            as: .jpeg(quality: 90), xmp: "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">likeness-aigc</x:xmpmeta>")
        #expect(exifTags(in: output).isDisjoint(with: PersonalMetadata.tags))
        #expect(!carriesPersonalValues(output))
        #expect(try ImageHeader.xmp(in: output)?.contains("likeness-aigc") == true)
    }
}

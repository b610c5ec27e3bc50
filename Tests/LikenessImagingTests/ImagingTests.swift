import Foundation
import LikenessTestSupport
import Testing

@testable import LikenessImaging

func sampleImage(width: Int = 320, height: Int = 240) throws -> RasterImage {
    try RasterImage.gradient(
        width: width, height: height, from: RGB(10, 20, 30), to: RGB(200, 100, 50), vertical: false)
}

@Suite("Imaging")
struct ImagingTests {
    @Test("the format is judged by content, not by name")
    func probeByContent() throws {
        let jpeg = try sampleImage().encoded(as: .jpeg(quality: 80))
        let png = try sampleImage().encoded(as: .png)
        #expect(try ImageHeader(probing: jpeg) == ImageHeader(format: .jpeg, width: 320, height: 240))
        #expect(try ImageHeader(probing: png) == ImageHeader(format: .png, width: 320, height: 240))
    }

    @Test("bytes that are not an image are unreadable")
    func notAnImage() {
        for bytes in [Data(), Data("hello, world".utf8), Data(repeating: 0xFF, count: 4096)] {
            #expect(throws: ImagingError.self) { try ImageHeader(probing: bytes) }
        }
    }

    @Test("a decompression bomb is refused from its header before decoding")
    func bomb() throws {
        let bomb = bombPNG(width: 60_000, height: 60_000)
        #expect(bomb.count < 100)
        let header = try ImageHeader(probing: bomb)
        #expect(header.width == 60_000 && header.format == .png)
        do {
            _ = try RasterImage(decoding: bomb)
            Issue.record("decoded a bomb")
        } catch {
            #expect(error.kind == .outOfLimits)
        }
    }

    @Test("limits bound each side and the pixel count")
    func limits() throws {
        let limits = DecodeLimits(minimumSide: 64, maximumSide: 8192, maximumPixels: 40_000_000)
        #expect(throws: ImagingError.self) { try limits.check(ImageHeader(format: .png, width: 32, height: 500)) }
        #expect(throws: ImagingError.self) { try limits.check(ImageHeader(format: .png, width: 9000, height: 100)) }
        #expect(throws: ImagingError.self) { try limits.check(ImageHeader(format: .png, width: 8000, height: 8000)) }
        try limits.check(ImageHeader(format: .png, width: 4000, height: 3000))
    }

    @Test("a truncated JPEG is refused when decoded")
    func truncated() throws {
        let jpeg = try sampleImage(width: 800, height: 600).encoded(as: .jpeg(quality: 90))
        let truncated = jpeg.prefix(jpeg.count / 2)
        #expect(try ImageHeader(probing: Data(truncated)).format == .jpeg)
        #expect(throws: ImagingError.self) { try RasterImage(decoding: Data(truncated)) }
    }

    @Test("decoding gives 3-band sRGB whatever the input's alpha")
    func decodeNormalises() throws {
        let withAlpha = try RasterImage.panel(width: 100, height: 80, colour: RGB(255, 0, 0), alpha: 0).encoded(
            as: .png)
        let decoded = try RasterImage(decoding: withAlpha)
        #expect(decoded.bands == 3)
        // Fully transparent flattens onto white.
        #expect(try decoded.pixel(x: 10, y: 10) == RGB(255, 255, 255))
    }

    @Test("cover decodes straight to exactly the frame, upright sRGB, alpha flattened")
    func cover() throws {
        let wide = try sampleImage(width: 400, height: 100).encoded(as: .jpeg(quality: 90))
        let covered = try RasterImage.cover(decoding: wide, width: 50, height: 70)
        #expect(covered.width == 50 && covered.height == 70 && covered.bands == 3)
        let transparent = try RasterImage.panel(width: 100, height: 100, colour: RGB(0, 0, 0), alpha: 0).encoded(
            as: .png)
        #expect(
            try RasterImage.cover(decoding: transparent, width: 10, height: 10).pixel(x: 5, y: 5) == RGB(255, 255, 255))
    }

    @Test("cover refuses truncated data and bombs like a full decode does")
    func coverRefuses() throws {
        let jpeg = try sampleImage(width: 800, height: 600).encoded(as: .jpeg(quality: 90))
        #expect(throws: ImagingError.self) {
            try RasterImage.cover(decoding: Data(jpeg.prefix(jpeg.count / 2)), width: 64, height: 64)
        }
        do {
            _ = try RasterImage.cover(decoding: bombPNG(width: 60_000, height: 60_000), width: 64, height: 64)
            Issue.record("a bomb was decoded")
        } catch {
            #expect(error.kind == .outOfLimits)
        }
    }

    @Test("overlay draws at the given position and drawing fills pixels")
    func overlayAndDraw() throws {
        let canvas = try sampleImage()
        try canvas.fillRectangle(x: 0, y: 0, width: 10, height: 10, colour: RGB(0, 255, 0))
        #expect(try canvas.pixel(x: 5, y: 5) == RGB(0, 255, 0))
        let patch = try RasterImage.panel(width: 20, height: 20, colour: RGB(0, 0, 255), alpha: 255)
        let composed = try canvas.overlaying(patch, x: 100, y: 100)
        #expect(try composed.pixel(x: 110, y: 110) == RGB(0, 0, 255))
        #expect(composed.width == 320 && composed.bands == 3)
    }

    @Test("XMP given at encoding is written into the JPEG")
    func xmp() throws {
        let packet = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><marker>likeness-test-marker</marker></x:xmpmeta>"
        let jpeg = try sampleImage().encoded(as: .jpeg(quality: 80), xmp: packet)
        #expect(jpeg.range(of: Data("likeness-test-marker".utf8)) != nil)
        let plain = try sampleImage().encoded(as: .jpeg(quality: 80))
        #expect(plain.range(of: Data("likeness-test-marker".utf8)) == nil)
    }

    @Test("text is drawn from plain text, markup characters escaped")
    func text() throws {
        let rendered = try RasterImage.text(
            "<b>a & b</b> 你好", font: "DejaVu Sans", colour: RGB(255, 255, 255), width: 400)
        #expect(rendered.width > 0 && rendered.bands == 4)
        #expect(RasterImage.escapeMarkup("<a & 'b'>") == "&lt;a &amp; &#39;b&#39;&gt;")
    }
}

@Suite("Raw pixels")
struct RawPixelTests {
    @Test("an image built from RGB bytes reads back the same pixels")
    func roundTrip() throws {
        let pixels: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7]
        let image = try RasterImage(rgbPixels: pixels, width: 2, height: 2)
        #expect(try image.pixel(x: 1, y: 0) == RGB(0, 255, 0))
        #expect(try image.pixel(x: 1, y: 1) == RGB(9, 8, 7))
        let png = try RasterImage(decoding: image.encoded(as: .png), limits: DecodeLimits(minimumSide: 1))
        #expect(try png.pixel(x: 0, y: 1) == RGB(0, 0, 255))
    }
}

@Suite("Hostile image bytes")
struct HostileImageTests {
    @Test("mutated JPEGs and PNGs probe and decode to an image or an ImagingError, never a crash")
    func mutatedImages() throws {
        var generator = SystemRandomNumberGenerator()
        let originals = [
            try sampleImage(width: 200, height: 150).encoded(as: .jpeg(quality: 80)),
            try sampleImage(width: 200, height: 150).encoded(as: .png),
        ]
        var decoded = 0
        var refused = 0
        for original in originals {
            for _ in 0..<150 {
                var bytes = [UInt8](original)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
                do {
                    _ = try ImageHeader(probing: Data(bytes))
                    _ = try RasterImage(decoding: Data(bytes), limits: DecodeLimits(minimumSide: 1))
                    decoded += 1
                } catch {
                    refused += 1
                }
            }
        }
        #expect(decoded + refused == 300)
        // PNG chunks carry CRCs and libvips runs with fail_on=error: corruption must be seen.
        #expect(refused > 0)
    }
}

@Suite("XMP metadata")
struct XMPTests {
    @Test("each format carries the XMP packet it was encoded with, read back without decoding")
    func roundTrip() throws {
        let image = try RasterImage.gradient(
            width: 64, height: 48, from: RGB(10, 20, 30), to: RGB(200, 100, 50), vertical: false)
        let packet = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">likeness-test</x:xmpmeta>"
        for format in [RasterImage.EncodedFormat.jpeg(quality: 80), .png, .webp(quality: 80)] {
            let tagged = try image.encoded(as: format, xmp: packet)
            #expect(try ImageHeader.xmp(in: tagged)?.contains("likeness-test") == true, "\(format)")
            #expect(try ImageHeader.xmp(in: image.encoded(as: format)) == nil, "\(format)")
        }
    }
}

import Foundation
import LikenessCore
import LikenessImaging

/// `aigc_watermark`: a visible label in the corner and a machine-readable marker in the file.
///
/// The marker is an XMP packet carrying the IPTC Digital Source Type
/// `trainedAlgorithmicMedia` (the vocabulary C2PA and the major platforms read for AI-generated
/// media) plus `likeness:AIGC="true"` and the engine's name. It is applied to every engine's
/// output in one place, so upstream images are labelled exactly like preview ones.
public enum AIGCMarker {
    public static let label = "AI生成 · AI-generated"
    public static let digitalSourceType = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

    public static func xmpPacket(engine: String) -> String {
        """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
            xmlns:likeness="https://likeness.dev/ns/1.0/"
            Iptc4xmpExt:DigitalSourceType="\(digitalSourceType)"
            likeness:AIGC="true"
            likeness:Engine="\(engine.filter { $0.isLetter || $0.isNumber || $0 == "-" })"/>
         </rdf:RDF>
        </x:xmpmeta>
        <?xpacket end="w"?>
        """
    }

    /// Returns the image with the label drawn at the top right, encoded as asked with the XMP
    /// marker written (JPEG, PNG and WebP all carry XMP).
    public static func apply(to jpeg: Data, engine: String, encoding: OutputEncoding) throws(ImagingError) -> Data {
        let image = try RasterImage(decoding: jpeg, limits: DecodeLimits(minimumSide: 1))
        let shortSide = min(image.width, image.height)
        let margin = max(8, shortSide / 40)
        let text = try RasterImage.text(
            label, font: "Noto Sans CJK SC, DejaVu Sans", colour: RGB(255, 255, 255), width: image.width / 2,
            dpi: max(36, shortSide / 14))
        let panel = try RasterImage.panel(
            width: text.width + margin, height: text.height + margin / 2, colour: RGB(0, 0, 0), alpha: 150)
        let panelX = image.width - panel.width - margin / 2
        let labelled = try image.overlaying(panel, x: panelX, y: margin / 2)
            .overlaying(text, x: panelX + margin / 2, y: margin / 2 + margin / 4)
        return try labelled.encoded(as: ImageFinishing.encoderFormat(encoding), xmp: xmpPacket(engine: engine))
    }
}

/// The step between an engine and storage: the engine's JPEG, labelled when `aigc_watermark`
/// asks, in the format and quality the caller asked for. Untouched when neither applies, so the
/// common request pays nothing.
public enum ImageFinishing {
    /// JPEG quality for a labelled image when the caller named none (the engines' own level).
    static let defaultJPEGQuality = 88

    public static func finish(_ jpeg: Data, watermarkedBy engine: String?, as encoding: OutputEncoding)
        throws(ImagingError) -> Data
    {
        if let engine { return try AIGCMarker.apply(to: jpeg, engine: engine, encoding: encoding) }
        guard encoding.changesEngineOutput else { return jpeg }
        return try RasterImage(decoding: jpeg, limits: DecodeLimits(minimumSide: 1))
            .encoded(as: encoderFormat(encoding))
    }

    static func encoderFormat(_ encoding: OutputEncoding) -> RasterImage.EncodedFormat {
        switch encoding.format {
        // libjpeg's quality starts at 1; OpenAI's output_compression at 0.
        case .jpeg: .jpeg(quality: max(1, encoding.quality ?? defaultJPEGQuality))
        case .png: .png
        case .webp: .webp(quality: encoding.quality ?? OutputEncoding.defaultWebPQuality)
        }
    }
}

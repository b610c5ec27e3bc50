import Foundation
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

    /// Returns the JPEG with the label drawn at the top right and the XMP marker written.
    public static func apply(toJPEG jpeg: Data, engine: String, quality: Int = 88) throws(ImagingError) -> Data {
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
        return try labelled.encoded(as: .jpeg(quality: quality), xmp: xmpPacket(engine: engine))
    }
}

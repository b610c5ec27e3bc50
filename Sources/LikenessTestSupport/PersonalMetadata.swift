import Foundation
import LikenessImaging

/// What a phone photo's metadata says about the person in it and who took it: the values that
/// `withPersonalMetadata` writes, for tests to look for in what the server keeps and makes.
public enum PersonalMetadata {
    public static let make = "LeakyCam"
    public static let model = "LK-1 Pro"
    public static let artist = "Jane Q. Photographer"
    public static let copyright = "Copyright Jane Q. Photographer"
    public static let description = "Jane at home, 12 Elm Street"
    public static let dateTime = "2019:07:04 12:34:56"
    public static let comment = "shot for Jane's private album"
    /// Every value above, as it appears in the file's bytes.
    public static let strings = [make, model, artist, copyright, description, dateTime, comment]
    /// The EXIF tags written: description, make, model, date, artist, copyright, GPS.
    public static let tags: Set<UInt16> = [0x010E, 0x010F, 0x0110, 0x0132, 0x013B, 0x8298, 0x8825]
}

/// A JPEG photo as a phone writes one: a gradient, `width` × `height` as stored, with an XMP
/// packet naming its author and the EXIF and comment of `withPersonalMetadata`.
public func personalPhoto(width: Int = 200, height: Int = 120, orientation: UInt16 = 1) throws -> Data {
    let image = try RasterImage.gradient(
        width: width, height: height, from: RGB(200, 150, 120), to: RGB(40, 60, 90), vertical: true)
    let xmp = """
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\
        <rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="\(PersonalMetadata.artist)"/>\
        </rdf:RDF></x:xmpmeta>
        """
    return withPersonalMetadata(try image.encoded(as: .jpeg(quality: 90), xmp: xmp), orientation: orientation)
}

/// `jpeg` with a phone's metadata added: an EXIF segment with camera, author, date, copyright,
/// `orientation` and GPS position (51.5° N, 0.12° W), and a comment. Any EXIF the JPEG had is
/// replaced; its other segments (an XMP packet, say) stay.
public func withPersonalMetadata(_ jpeg: Data, orientation: UInt16 = 1) -> Data {
    let bytes = [UInt8](jpeg)
    let kept = jpegSegments(bytes).filter { !isExif($0) }
    let comment = Array(PersonalMetadata.comment.utf8)
    var out: [UInt8] = [0xFF, 0xD8]
    out += segment(0xE1, Array("Exif".utf8) + [0, 0] + personalTIFF(orientation: orientation))
    out += segment(0xFE, comment)
    for kept in kept { out += segment(kept.marker, kept.payload) }
    out += bytes[jpegScanStart(bytes)...]
    return Data(out)
}

/// The tags in the first IFD of every EXIF segment of `jpeg` (0x8825 points to a GPS position).
public func exifTags(in jpeg: Data) -> Set<UInt16> {
    var tags: Set<UInt16> = []
    for exif in jpegSegments([UInt8](jpeg)).filter(isExif) {
        let tiff = Array(exif.payload.dropFirst(6))
        guard tiff.count >= 8 else { continue }
        let bigEndian = tiff[0] == 0x4D
        func read(_ at: Int, _ size: Int) -> Int {
            guard at >= 0, at + size <= tiff.count else { return 0 }
            let slice = tiff[at..<(at + size)]
            return (bigEndian ? Array(slice) : slice.reversed()).reduce(0) { $0 << 8 | Int($1) }
        }
        let directory = read(4, 4)
        for index in 0..<read(directory, 2) { tags.insert(UInt16(read(directory + 2 + index * 12, 2))) }
    }
    return tags
}

private struct JPEGSegment {
    var marker: UInt8
    var payload: [UInt8]
}

private func isExif(_ segment: JPEGSegment) -> Bool {
    segment.marker == 0xE1 && segment.payload.starts(with: Array("Exif".utf8) + [0, 0])
}

/// The segments between SOI and the first scan (SOS), where JPEG keeps its metadata.
private func jpegSegments(_ bytes: [UInt8]) -> [JPEGSegment] {
    var segments: [JPEGSegment] = []
    var at = 2
    while at + 4 <= bytes.count, bytes[at] == 0xFF, bytes[at + 1] != 0xDA {
        let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        guard length >= 2, at + 2 + length <= bytes.count else { break }
        segments.append(JPEGSegment(marker: bytes[at + 1], payload: Array(bytes[(at + 4)..<(at + 2 + length)])))
        at += 2 + length
    }
    return segments
}

private func jpegScanStart(_ bytes: [UInt8]) -> Int {
    var at = 2
    while at + 4 <= bytes.count, bytes[at] == 0xFF, bytes[at + 1] != 0xDA {
        at += 2 + (Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]))
    }
    return at
}

private func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
    let length = payload.count + 2
    return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
}

/// A little-endian TIFF structure: IFD0 with the personal tags and a pointer to a GPS IFD.
private func personalTIFF(orientation: UInt16) -> [UInt8] {
    typealias Entry = (tag: UInt16, type: UInt16, count: UInt32, value: [UInt8])
    func ascii(_ tag: UInt16, _ text: String) -> Entry {
        let bytes = Array(text.utf8) + [0]
        return (tag, 2, UInt32(bytes.count), bytes)
    }
    func rationals(_ tag: UInt16, _ values: [(UInt32, UInt32)]) -> Entry {
        (tag, 5, UInt32(values.count), values.flatMap { little($0.0) + little($0.1) })
    }
    func little(_ value: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) } }
    func little(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    let gps: [Entry] = [
        (0x0000, 1, 4, [2, 2, 0, 0]), ascii(0x0001, "N"), rationals(0x0002, [(51, 1), (30, 1), (0, 1)]),
        ascii(0x0003, "W"), rationals(0x0004, [(0, 1), (7, 1), (12, 1)]),
    ]
    let ifd0Count = 8
    let ifd0Offset = 8
    let gpsOffset = ifd0Offset + 2 + ifd0Count * 12 + 4
    let ifd0: [Entry] = [
        ascii(0x010E, PersonalMetadata.description), ascii(0x010F, PersonalMetadata.make),
        ascii(0x0110, PersonalMetadata.model), (0x0112, 3, 1, little(orientation) + [0, 0]),
        ascii(0x0132, PersonalMetadata.dateTime), ascii(0x013B, PersonalMetadata.artist),
        ascii(0x8298, PersonalMetadata.copyright), (0x8825, 4, 1, little(UInt32(gpsOffset))),
    ]
    var data: [UInt8] = []
    var dataOffset = gpsOffset + 2 + gps.count * 12 + 4
    func directory(_ entries: [Entry]) -> [UInt8] {
        var out = little(UInt16(entries.count))
        for entry in entries {
            out += little(entry.tag) + little(entry.type) + little(entry.count)
            if entry.value.count <= 4 {
                out += entry.value + [UInt8](repeating: 0, count: 4 - entry.value.count)
            } else {
                out += little(UInt32(dataOffset))
                data += entry.value
                dataOffset += entry.value.count
            }
        }
        return out + little(UInt32(0))
    }
    let header: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + little(UInt32(ifd0Offset))
    let first = directory(ifd0)
    let second = directory(gps)
    return header + first + second + data
}

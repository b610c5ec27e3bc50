extension Sequence<UInt8> {
    /// Lowercase hex. Written out by hand: `String(format:)` per byte costs microseconds each,
    /// and digests are formatted on every request.
    public var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

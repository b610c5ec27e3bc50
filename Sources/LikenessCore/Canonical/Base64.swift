import Foundation

/// Standard base64 decoding straight from UTF-8 bytes.
///
/// A data URL arrives as a slice of a 14 MB JSON string; Foundation's decoder wants a `String`
/// or `Data` of its own, which would copy those 14 MB once more while the request body and the
/// decoded image are both alive. MIME line breaks are skipped; padding is optional.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        for skipped in [UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t")] {
            table[Int(skipped)] = 0xFE
        }
        return table
    }()

    static func decode(_ text: Substring.UTF8View) -> Data? {
        if let decoded = text.withContiguousStorageIfAvailable({ decode($0) }) { return decoded }
        return Array(text).withUnsafeBufferPointer { decode($0) }
    }

    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> Data? {
        var end = input.count
        var padding = 0
        while end > 0, padding < 2, input[end - 1] == UInt8(ascii: "=") || table[Int(input[end - 1])] == 0xFE {
            if input[end - 1] == UInt8(ascii: "=") { padding += 1 }
            end -= 1
        }
        var output = Data(count: end / 4 * 3 + 3)
        var written = 0
        let valid = output.withUnsafeMutableBytes { raw -> Bool in
            let out = raw.bindMemory(to: UInt8.self)
            var accumulator: UInt32 = 0
            var pending = 0
            for index in 0..<end {
                let value = table[Int(input[index])]
                if value == 0xFE { continue }
                guard value != 0xFF else { return false }
                accumulator = accumulator << 6 | UInt32(value)
                pending += 1
                if pending == 4 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                    written += 3
                    accumulator = 0
                    pending = 0
                }
            }
            switch pending {
            case 0: return true
            case 2:
                out[written] = UInt8(truncatingIfNeeded: accumulator >> 4)
                written += 1
                return true
            case 3:
                out[written] = UInt8(truncatingIfNeeded: accumulator >> 10)
                out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
                written += 2
                return true
            default: return false
            }
        }
        guard valid else { return nil }
        output.count = written
        return output
    }
}

import Foundation
import LikenessEngines

/// Mutations of a valid request body, for the fuzz tests of every parser and route: seeded
/// (`SplitMix64`), so a failure reproduces from its index.
public enum HostileBodies {
    /// 1 to 8 random byte changes: replaced, removed or inserted.
    public static func byteMutation(of seed: Data, using generator: inout SplitMix64) -> Data {
        var bytes = [UInt8](seed)
        for _ in 0..<Int.random(in: 1...8, using: &generator) {
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
            case 1: bytes.remove(at: index)
            default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            }
            if bytes.isEmpty { bytes = [0x7B] }
        }
        return Data(bytes)
    }

    /// `count` byte mutations of `seed`.
    public static func byteMutations(of seed: Data, count: Int, using generator: inout SplitMix64) -> [Data] {
        (0..<count).map { _ in byteMutation(of: seed, using: &generator) }
    }

    /// 1 to 3 fields of a JSON object set to hostile values (wrong types, limits, invisible and
    /// control characters, internal URLs, deep nesting) or removed.
    public static func fieldMutation(of object: [String: Any], using generator: inout SplitMix64) -> [String: Any] {
        var mutated = object
        let names = Array(object.keys).sorted() + extraFields
        let values = values
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let name = names[Int.random(in: 0..<names.count, using: &generator)]
            let choice = Int.random(in: 0...values.count, using: &generator)
            mutated[name] = choice == values.count ? nil : values[choice]
        }
        return mutated
    }

    /// Field values a hostile or careless client sends (computed: `Any` is not `Sendable`).
    public static var values: [Any] {
        [
            NSNull(), 0, -1, 1, 9, 10, 1_000_000, Int64.max, Int64.min, 1.5, -0.0, 1e308, true, false, "", " ", "\u{0}",
            "\u{0}\u{1}\u{7F}", "\u{200B}\u{FEFF}", "\u{FFFF}", "\u{202E}evil", "é\u{301}", "👩‍👩‍👧", "漫画", "水彩",
            String(repeating: "a", count: 1501), String(repeating: "字", count: 1500), "1:1", "21:9", "5:4", "16:9",
            "1024x1024", "100x100", "auto", "2048x2048", "url", "base64", "b64_json", "image-01", "image-01-live",
            "MiniMax-Image-01", "character", "data:image/jpeg;base64,", "data:image/png;base64,!!!!",
            "data:text/plain,hello", "http://127.0.0.1/face.jpg", "http://169.254.169.254/latest/meta-data",
            "ftp://example.com/a.jpg", "javascript:alert(1)", [Any](), [[String: Any]()], [["type": "character"]],
            [["type": "character", "image_file": 7]], [["type": "character", "image_file": ["", "x"]]],
            ["style_type": "漫画", "style_weight": 2], ["style_type": 1], [String: Any](),
            [[[[[[[[[["deep"]]]]]]]]]],
        ]
    }

    /// Fields no seed body has, set too: unknown ones must be ignored.
    static let extraFields = [
        "model", "prompt", "n", "num_images", "size", "width", "height", "aspect_ratio", "style", "style_type",
        "style_weight", "seed", "subject_reference", "image_url", "response_format", "prompt_optimizer",
        "aigc_watermark", "unknown_field",
    ]
}

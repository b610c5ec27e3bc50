import Foundation
import LikenessCore

/// `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape (`{"object": "list", "data":
/// [{"id", "object": "model", "created", "owned_by"}]}`), one entry per name the OpenAI dialect
/// accepts, with what Likeness knows of each under `likeness`: the model it means, its price,
/// what it can do, and the engines that serve it.
public enum OpenAIModelList {
    public struct Entry: Sendable, Hashable {
        /// The name a caller sends as `model`.
        public var id: String
        public var model: ImageModel
        public var pricePerImage: MicroDollars
        /// The route's tiers of engine names, in the order they are tried.
        public var engines: [[String]]

        public init(id: String, model: ImageModel, pricePerImage: MicroDollars, engines: [[String]]) {
            self.id = id
            self.model = model
            self.pricePerImage = pricePerImage
            self.engines = engines
        }
    }

    /// 2025-03-01T00:00:00Z, when image-01 was published: the same `created` on every server.
    public static let created: Int64 = 1_740_787_200

    public static func listData(_ entries: [Entry]) -> Data {
        encode(.object(["object": .string("list"), "data": .array(entries.map(object))]))
    }

    public static func modelData(_ entry: Entry) -> Data {
        encode(object(entry))
    }

    static func object(_ entry: Entry) -> JSONValue {
        let model = entry.model
        let customSize: JSONValue =
            model.takesCustomSize
            ? .object([
                "min": .integer(Int64(PixelSize.customSideRange.lowerBound)),
                "max": .integer(Int64(PixelSize.customSideRange.upperBound)),
                "multiple_of": .integer(Int64(PixelSize.customSideMultiple)),
            ]) : .null
        let capabilities: JSONValue = .object([
            "subject_reference": .bool(true),
            "aspect_ratios": .array(model.aspectRatios.map { .string($0.rawValue) }),
            "sizes": .array(model.aspectRatios.map { .string($0.pixelSize.description) }),
            "custom_size": customSize,
            "styles": .array(model.styles.map { .string($0.rawValue) }),
            "max_images": .integer(Int64(GenerationRequest.countRange.upperBound)),
            "response_formats": .array([.string("url"), .string("b64_json")]),
        ])
        return .object([
            "id": .string(entry.id),
            "object": .string("model"),
            "created": .integer(created),
            "owned_by": .string("minimax"),
            "likeness": .object([
                "model": .string(model.rawValue),
                "price_per_image_usd": .string(entry.pricePerImage.usd),
                "capabilities": capabilities,
                "engines": .array(entry.engines.map { .array($0.map(JSONValue.string)) }),
            ]),
        ])
    }

    private static func encode(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSONValue holds only strings, numbers, booleans, arrays and objects: it always encodes.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

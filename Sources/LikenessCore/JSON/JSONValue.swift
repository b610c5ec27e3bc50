import Foundation

/// Untyped JSON, decoded first so that validation can name the field and the expected type
/// instead of surfacing a decoder's error.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a request body. Anything that is not a JSON object is refused.
    public static func parseObject(_ body: Data) throws(APIError) -> [String: JSONValue] {
        let decoder = JSONDecoder()
        // Decoded as an object straight away: a refused guess costs a thrown error, and every
        // request body is an object. Only a refused body is decoded again, to say why.
        if let object = try? decoder.decode([String: JSONValue].self, from: body) { return object }
        guard (try? decoder.decode(JSONValue.self, from: body)) != nil else {
            throw APIError(.invalidParameters, "invalid params, the request body is not valid JSON")
        }
        throw APIError(.invalidParameters, "invalid params, the request body must be a JSON object")
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Each refused guess throws, which is what decoding costs most: strings, the commonest
        // value in a request, are tried first. Bool before numbers keeps `true` from reading
        // as 1, and Int64 before Double keeps integers exact.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

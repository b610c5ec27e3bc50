import Foundation
import LikenessCore

/// The request bodies Likeness sends when it is itself the client of an upstream provider, and
/// the lenient readers of their answers. Foundation only, like every other dialect: the engines
/// do the I/O, this file only translates.
public enum UpstreamWire {
    /// A reply that could not be read as the provider's documented answer.
    public struct MalformedAnswer: Error, Sendable, CustomStringConvertible {
        public var description: String

        public init(_ description: String) {
            self.description = description
        }
    }

    static func encode(_ object: [String: JSONValue]) -> Data {
        // JSONValue's encoding cannot fail: every case is a plain JSON value.
        (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data("{}".utf8)
    }

    static func parse(_ body: Data) throws(MalformedAnswer) -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body), case .object(let object) = value
        else {
            throw MalformedAnswer("the body is not a JSON object (\(body.count) bytes)")
        }
        return object
    }
}

extension JSONValue {
    /// An integer sent as a number or as a string of digits (MiniMax sends both for its counts).
    var lenientInteger: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .number(let value): Int(exactly: value)
        case .string(let text): Int(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// A number, integral or not.
    var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { object } else { nil }
    }

    var arrayValue: [JSONValue]? {
        if case .array(let array) = self { array } else { nil }
    }
}

/// Typed access to a JSON object's fields, where a wrong type is a 2013 naming the field.
/// `null` reads as absent, as clients commonly send it for "use the default".
public struct FieldReader: Sendable {
    public let object: [String: JSONValue]
    /// Prefix for field names in messages (`"subject_reference[0]."`).
    public let path: String

    public init(_ object: [String: JSONValue], path: String = "") {
        self.object = object
        self.path = path
    }

    public func contains(_ key: String) -> Bool {
        if case .some(.null) = object[key] { return false }
        return object[key] != nil
    }

    public func string(_ key: String) throws(APIError) -> String? {
        switch object[key] {
        case nil, .null: return nil
        case .string(let value): return value
        case let other?: throw APIError.invalid(path + key, "must be a string, not \(other.typeName)")
        }
    }

    public func integer(_ key: String) throws(APIError) -> Int64? {
        switch object[key] {
        case nil, .null: return nil
        case .integer(let value): return value
        case .number(let value) where value.rounded() == value && abs(value) < 9.0e18: return Int64(value)
        case let other?: throw APIError.invalid(path + key, "must be an integer, not \(other.typeName)")
        }
    }

    public func number(_ key: String) throws(APIError) -> Double? {
        switch object[key] {
        case nil, .null: return nil
        case .integer(let value): return Double(value)
        case .number(let value): return value
        case let other?: throw APIError.invalid(path + key, "must be a number, not \(other.typeName)")
        }
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        switch object[key] {
        case nil, .null: return nil
        case .bool(let value): return value
        case let other?: throw APIError.invalid(path + key, "must be a boolean, not \(other.typeName)")
        }
    }

    public func array(_ key: String) throws(APIError) -> [JSONValue]? {
        switch object[key] {
        case nil, .null: return nil
        case .array(let value): return value
        case let other?: throw APIError.invalid(path + key, "must be an array, not \(other.typeName)")
        }
    }

    public func object(_ key: String) throws(APIError) -> [String: JSONValue]? {
        switch object[key] {
        case nil, .null: return nil
        case .object(let value): return value
        case let other?: throw APIError.invalid(path + key, "must be an object, not \(other.typeName)")
        }
    }
}

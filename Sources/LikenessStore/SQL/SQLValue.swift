import Foundation

/// A store failure, by kind, so that callers can tell a refusal they should explain from a
/// failure they should report.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The store refused the change by its own rules (a balance below zero, a constraint).
        case refused
        /// A row the operation needs does not exist.
        case notFound
        /// A stored row cannot be read back as what it should be.
        case corrupt
        /// The database is locked by another writer for longer than the busy timeout.
        case busy
        /// Anything else: I/O, a full disk, a statement that cannot run.
        case failed
    }

    public var kind: Kind
    public var message: String
    public var description: String { "\(kind.rawValue): \(message)" }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ message: String) {
        self.init(.failed, message)
    }
}

/// A value bound to or read from a statement.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }

    public init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    public init(_ integer: Int?) { self = integer.map { .integer(Int64($0)) } ?? .null }
    public init(_ date: Date?) { self = date.map { .real($0.timeIntervalSince1970) } ?? .null }
}

/// One result row, read by column name (or index).
public struct SQLRow: Sendable {
    public var values: [SQLValue]
    /// Column names to indexes, shared by every row of one result.
    var columns: [String: Int] = [:]

    public init(values: [SQLValue], columns: [String: Int] = [:]) {
        self.values = values
        self.columns = columns
    }

    /// The names of the columns, in the order the query selected them.
    public var columnNames: [String] { columns.sorted { $0.value < $1.value }.map(\.key) }

    /// The value of the named column; `.null` for a name the query did not select.
    public subscript(_ column: String) -> SQLValue {
        columns[column].map { values[$0] } ?? .null
    }

    public func text(_ index: Int) -> String? { values[index].text }
    public func integer(_ index: Int) -> Int64? { values[index].integer }
    public func real(_ index: Int) -> Double? { values[index].real }
    public func blob(_ index: Int) -> Data? { values[index].blob }
    public func date(_ index: Int) -> Date? { values[index].date }

    public func text(_ column: String) -> String? { self[column].text }
    public func integer(_ column: String) -> Int64? { self[column].integer }
    public func real(_ column: String) -> Double? { self[column].real }
    public func blob(_ column: String) -> Data? { self[column].blob }
    public func date(_ column: String) -> Date? { self[column].date }
}

extension SQLValue {
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value.rounded(.towardZero))
        default: nil
        }
    }

    public var real: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    public var blob: Data? {
        if case .blob(let value) = self { return value }
        return nil
    }

    public var date: Date? { real.map { Date(timeIntervalSince1970: $0) } }
}

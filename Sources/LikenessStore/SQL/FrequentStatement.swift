/// A statement the store runs for every job. PostgreSQL plans it once per connection (a
/// prepared statement) instead of at every call: planning was 45 % of its statement time on
/// the gateway bench, and these few statements the most planned. SQLite runs its text as any
/// other. The text and the parameters' types never vary, since the plan is made for them. A
/// write reports what it changed with `RETURNING`.
public protocol FrequentStatement: Sendable {
    /// Unique among the store's frequent statements; PostgreSQL knows the plan by it.
    static var name: String { get }
    /// The statement, with `?` placeholders, as `flavor` writes it.
    static func sql(_ flavor: SQLFlavor) -> String
    /// The type of each parameter, in order. A bound `.null` fits any of them.
    static var parameterTypes: [SQLType] { get }
}

/// The type of a statement's parameter.
public enum SQLType: Sendable, Hashable {
    case integer, real, text, blob
}

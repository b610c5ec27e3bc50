/// What `SQLStore` runs its statements on: SQLite (the embedded default) or PostgreSQL (a fleet).
///
/// The store's SQL is written once, in the dialect both engines share, with `?` placeholders;
/// the few places where they differ are `SQLFlavor`'s fragments. Calls block their thread: the
/// server makes them from threads of its own (`StoreCalls`), never from Swift's cooperative pool.
public protocol SQLDatabase: Sendable {
    var flavor: SQLFlavor { get }
    /// A statement outside any transaction; returns the rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int
    /// A statement that only reads.
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow]
    /// A frequent statement that only reads.
    func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue]) throws -> [SQLRow]
    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws.
    func transaction<T>(_ body: (any SQLTransaction) throws -> T) throws -> T
}

/// Statement access inside `SQLDatabase.transaction`.
public protocol SQLTransaction {
    /// Returns the rows the statement changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int
    func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow]
    /// A frequent statement's rows (a read, or a write's `RETURNING`).
    func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue]) throws -> [SQLRow]
    /// Holds the row with this `id` against other transactions until this one ends, so that a
    /// check and the write it allows cannot interleave with another's (SQLite's single writer
    /// already serialises transactions; PostgreSQL takes the row lock).
    func lock(_ table: String, id: String) throws
    /// Makes the transactions that name the same `name` run one at a time (PostgreSQL: an
    /// advisory lock held to the end of the transaction; SQLite's writer already does).
    func serialize(_ name: String) throws
}

extension SQLDatabase {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }
}

extension SQLTransaction {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }
}

/// Where SQLite's and PostgreSQL's SQL differ, as fragments the shared statements splice in.
public enum SQLFlavor: String, Sendable, Hashable {
    case sqlite, postgres

    /// The larger of two values (SQLite's two-argument `MAX`).
    var greatest: String {
        switch self {
        case .sqlite: "MAX"
        case .postgres: "GREATEST"
        }
    }

    /// A column that orders rows as they were inserted (SQLite's implicit `rowid`).
    var insertionOrder: String {
        switch self {
        case .sqlite: "rowid"
        case .postgres: "row_seq"
        }
    }

    /// Appended to the select that picks a job to claim: a replica never waits on another's
    /// claim of the same job; it finds the job taken and moves on.
    var skipLocked: String {
        switch self {
        case .sqlite: ""
        case .postgres: "FOR UPDATE SKIP LOCKED"
        }
    }
}

import CSQLite
import Foundation
import Synchronization

/// SQLite in WAL mode: one writer connection and a few read-only ones, each behind its mutex.
///
/// Reads (`query`) never wait for the writer: WAL lets them read the last committed state while a
/// write is in progress here or in another process (the `likeness` commands), so a writer waiting
/// on the file lock holds up only other writes. Calls block their thread for as long as SQLite
/// takes; the server makes them from threads of its own, never from Swift's cooperative pool.
public final class SQLiteDatabase: SQLDatabase {
    private let writer: LockedConnection
    private let readers: [LockedConnection]
    private let nextReader = Atomic<UInt>(0)

    /// How long a write waits for another process's write to finish before failing as busy.
    public static let busyTimeoutMilliseconds = 5000

    public init(path: String, readers readerCount: Int = 2) throws {
        let writer = try Connection(path: path)
        try writer.run("PRAGMA journal_mode = WAL", [], collect: false)
        // NORMAL in WAL mode: a commit survives a process crash; only an OS crash can lose the last one.
        try writer.run("PRAGMA synchronous = NORMAL", [], collect: false)
        try writer.run("PRAGMA foreign_keys = ON", [], collect: false)
        try writer.run("PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)", [], collect: false)
        self.writer = LockedConnection(writer)
        readers = try (0..<max(1, readerCount)).map { _ in
            let reader = try Connection(path: path)
            try reader.run("PRAGMA query_only = ON", [], collect: false)
            try reader.run("PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)", [], collect: false)
            return LockedConnection(reader)
        }
    }

    public var flavor: SQLFlavor { .sqlite }

    /// A statement that writes, on the writer connection.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try writer.mutex.withLock { connection in
            try connection.run(sql, parameters, collect: false)
            return Int(sqlite3_changes(connection.handle))
        }
    }

    /// A statement that only reads, on a read connection.
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let index = Int(nextReader.wrappingAdd(1, ordering: .relaxed).newValue % UInt(readers.count))
        return try readers[index].mutex.withLock { try $0.run(sql, parameters, collect: true) }
    }

    public func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue]) throws
        -> [SQLRow]
    {
        try query(Statement.sql(.sqlite), parameters)
    }

    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws.
    public func transaction<T>(_ body: (any SQLTransaction) throws -> T) throws -> T {
        try withTransaction(body)
    }

    /// `transaction`, with SQLite's own context (scripts, for migrations).
    func withTransaction<T>(_ body: (TransactionContext) throws -> T) throws -> T {
        try writer.mutex.withLock { connection in
            try connection.run("BEGIN IMMEDIATE", [], collect: false)
            do {
                let result = try body(TransactionContext(connection: connection))
                try connection.run("COMMIT", [], collect: false)
                return result
            } catch {
                _ = try? connection.run("ROLLBACK", [], collect: false)
                throw error
            }
        }
    }

    /// Statement access inside `transaction`.
    public struct TransactionContext: SQLTransaction {
        fileprivate let connection: Connection

        @discardableResult
        public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
            try connection.run(sql, parameters, collect: false)
            return Int(sqlite3_changes(connection.handle))
        }

        public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
            try connection.run(sql, parameters, collect: true)
        }

        public func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue])
            throws -> [SQLRow]
        {
            try query(Statement.sql(.sqlite), parameters)
        }

        /// `BEGIN IMMEDIATE` already holds the one write lock for the whole transaction.
        public func lock(_ table: String, id: String) throws {}
        public func serialize(_ name: String) throws {}

        /// Several statements at once (a migration, whose triggers hold semicolons of their own).
        public func executeScript(_ sql: String) throws {
            var message: UnsafeMutablePointer<CChar>? = nil
            guard sqlite3_exec(connection.handle, sql, nil, nil, &message) == SQLITE_OK else {
                let text = message.map { String(cString: $0) } ?? "unknown error"
                sqlite3_free(message)
                throw StoreError("migration failed: \(text)")
            }
        }
    }
}

/// A connection and the mutex that gives one thread at a time its use.
private final class LockedConnection: Sendable {
    let mutex: Mutex<Connection>

    init(_ connection: sending Connection) {
        mutex = Mutex(connection)
    }
}

private final class Connection {
    let handle: OpaquePointer
    /// Prepared statements by SQL text: the same few statements run on every request.
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StoreError("cannot open database \(path): \(message)")
        }
        self.handle = handle
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    private func statement(for sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError("cannot prepare \(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
        statements[sql] = statement
        return statement
    }

    @discardableResult
    func run(_ sql: String, _ parameters: [SQLValue], collect: Bool) throws -> [SQLRow] {
        let statement = try statement(for: sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32 =
                switch value {
                case .null: sqlite3_bind_null(statement, index)
                case .integer(let integer): sqlite3_bind_int64(statement, index, integer)
                case .real(let real): sqlite3_bind_double(statement, index, real)
                case .text(let text): lk_sqlite3_bind_text(statement, index, text, -1)
                case .blob(let data):
                    data.withUnsafeBytes { lk_sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count)) }
                }
            guard code == SQLITE_OK else { throw StoreError("cannot bind parameter \(index) of \(sql)") }
        }
        var rows: [SQLRow] = []
        var columns: [String: Int] = [:]
        if collect {
            for column in 0..<sqlite3_column_count(statement) {
                columns[String(cString: sqlite3_column_name(statement, column))] = Int(column)
            }
        }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                let kind: StoreError.Kind =
                    switch step & 0xFF {
                    case SQLITE_BUSY, SQLITE_LOCKED: .busy
                    case SQLITE_CONSTRAINT: .refused
                    case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
                    default: .failed
                    }
                throw StoreError(kind, "\(sql) failed: \(String(cString: sqlite3_errmsg(handle)))")
            }
            if collect { rows.append(Self.row(statement, columns: columns)) }
        }
        return rows
    }

    private static func row(_ statement: OpaquePointer, columns: [String: Int]) -> SQLRow {
        SQLRow(
            values: (0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, column)))
                case SQLITE_BLOB:
                    .blob(
                        Data(
                            bytes: sqlite3_column_blob(statement, column),
                            count: Int(sqlite3_column_bytes(statement, column))))
                default: .null
                }
            }, columns: columns)
    }
}

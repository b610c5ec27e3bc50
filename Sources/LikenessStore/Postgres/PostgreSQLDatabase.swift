import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// PostgreSQL for a fleet: a few connections, each lent to one calling thread at a time.
///
/// Calls block their thread until PostgreSQL answers, like SQLite's. They wait on PostgresNIO's
/// futures, which is allowed from any thread but an event loop's, and the server makes store
/// calls only from threads of its own (`StoreCalls`). A connection that breaks is dropped and
/// opened again by the next call; a transaction that PostgreSQL aborts as a deadlock or a
/// serialization failure runs again, up to three times.
public final class PostgreSQLDatabase: SQLDatabase {
    public let configuration: PostgresConnection.Configuration
    private let pool: ConnectionPool
    private let logger: Logger
    /// `?` placeholders rewritten as `$1…`, by statement.
    private let translations = Mutex<[String: String]>([:])

    public var flavor: SQLFlavor { .postgres }

    public init(configuration: PostgresConnection.Configuration, connections: Int = 8, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        pool = ConnectionPool(size: max(1, connections))
    }

    /// Another set of connections to the same database (as a second replica would open).
    public func anotherPool(connections: Int = 8) -> PostgreSQLDatabase {
        PostgreSQLDatabase(configuration: configuration, connections: connections, logger: logger)
    }

    /// Another database on the same server, with the same credentials.
    public func onDatabase(_ name: String, connections: Int = 8) -> PostgreSQLDatabase {
        var configuration = configuration
        configuration.database = name
        return PostgreSQLDatabase(configuration: configuration, connections: connections, logger: logger)
    }

    /// Opens a connection of its own (for `LISTEN`, which holds one for as long as it listens).
    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
            id: Int.random(in: 1...Int.max), logger: logger)
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try withConnection { try Self.run(translate(sql), parameters, on: $0, logger: logger).changed }
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        try withConnection { try Self.run(translate(sql), parameters, on: $0, logger: logger).rows }
    }

    public func transaction<T>(_ body: (any SQLTransaction) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection { connection in
                    try Self.run("BEGIN", [], on: connection, logger: logger)
                    do {
                        let value = try body(Transaction(database: self, connection: connection))
                        try Self.run("COMMIT", [], on: connection, logger: logger)
                        return value
                    } catch {
                        _ = try? Self.run("ROLLBACK", [], on: connection, logger: logger)
                        throw error
                    }
                }
            } catch let error as StoreError where error.kind == .busy && attempt < 3 {
                attempt += 1
            }
        }
    }

    private struct Transaction: SQLTransaction {
        let database: PostgreSQLDatabase
        let connection: PostgresConnection

        func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
            try PostgreSQLDatabase.run(
                database.translate(sql), parameters, on: connection, logger: database.logger
            ).changed
        }

        func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
            try PostgreSQLDatabase.run(database.translate(sql), parameters, on: connection, logger: database.logger)
                .rows
        }

        func lock(_ table: String, id: String) throws {
            _ = try query("SELECT 1 FROM \(table) WHERE id = ? FOR UPDATE", [.text(id)])
        }

        func serialize(_ name: String) throws {
            _ = try query("SELECT pg_advisory_xact_lock(hashtext(?))", [.text(name)])
        }
    }

    // MARK: Connections

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let slot = pool.borrow()
        defer { pool.giveBack(slot) }
        let connection: PostgresConnection
        if let open = slot.connection, !open.isClosed {
            connection = open
        } else {
            do {
                connection = try PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: slot.id,
                    logger: logger
                ).wait()
            } catch {
                throw StoreError(.failed, "cannot connect to PostgreSQL: \(Self.describe(error))")
            }
            slot.connection = connection
        }
        return try body(connection)
    }

    /// Rewrites the store's `?` placeholders as PostgreSQL's `$n`, outside quoted text.
    func translate(_ sql: String) -> String {
        if let known = translations.withLock({ $0[sql] }) { return known }
        var translated = ""
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                number += 1
                translated += "$\(number)"
            } else {
                translated.append(character)
            }
        }
        translations.withLock { $0[sql] = translated }
        return translated
    }

    @discardableResult
    private static func run(_ sql: String, _ parameters: [SQLValue], on connection: PostgresConnection, logger: Logger)
        throws -> (rows: [SQLRow], changed: Int)
    {
        var bindings = PostgresBindings(capacity: parameters.count)
        for parameter in parameters {
            switch parameter {
            case .null: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .blob(let value): bindings.append(ByteBuffer(bytes: value))
            }
        }
        let result: PostgresQueryResult
        do {
            result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
        } catch {
            throw storeError(error, sql: sql)
        }
        var columns: [String: Int] = [:]
        for cell in result.rows.first.map(Array.init) ?? [] { columns[cell.columnName] = cell.columnIndex }
        let rows = try result.rows.map { row in SQLRow(values: try row.map(value(of:)), columns: columns) }
        return (rows, result.metadata.rows ?? 0)
    }

    private static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .numeric: return .integer(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).int64Value)
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea: return .blob(Data(try cell.decode(ByteBuffer.self).readableBytesView))
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw StoreError(.corrupt, "column \(cell.columnName) cannot be read: \(error)")
        }
    }

    /// PostgreSQL's SQLSTATE, as the store's kinds of failure.
    private static func storeError(_ error: any Error, sql: String) -> StoreError {
        guard let error = error as? PSQLError else {
            return StoreError(.failed, "\(sql) failed: \(describe(error))")
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let kind: StoreError.Kind =
            switch state {
            // Serialization failure, deadlock, lock not available: try again.
            case "40001", "40P01", "55P03": .busy
            // Integrity constraints (unique, check, foreign key, not null), and the ledger's trigger.
            case _ where state.hasPrefix("23"), "P0001": .refused
            default: .failed
            }
        return StoreError(kind, "\(sql) failed: \(describe(error))")
    }

    /// The server's message when there is one; PSQLError's own description hides it.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (\(error.serverInfo?[.sqlState] ?? "no SQLSTATE"))"
        }
        return "\(error.code)"
    }
}

/// A fixed set of connection slots; a caller waits for a free one.
private final class ConnectionPool: Sendable {
    private let free: Mutex<[ConnectionSlot]>
    private let available: DispatchSemaphore

    init(size: Int) {
        free = Mutex((1...size).map { ConnectionSlot(id: $0) })
        available = DispatchSemaphore(value: size)
    }

    func borrow() -> ConnectionSlot {
        available.wait()
        return free.withLock { $0.removeLast() }
    }

    func giveBack(_ slot: ConnectionSlot) {
        free.withLock { $0.append(slot) }
        available.signal()
    }
}

/// One connection, used by the one thread that has borrowed its slot.
// @unchecked: `connection` is read and written only by the thread holding the slot, which
// `ConnectionPool` lends to one thread at a time (its mutex orders the hand-overs).
private final class ConnectionSlot: @unchecked Sendable {
    let id: Int
    var connection: PostgresConnection?

    init(id: Int) {
        self.id = id
    }

    deinit {
        // Closed without waiting (this may run on any thread); the closure keeps the
        // connection alive until it is closed, as PostgresNIO requires.
        guard let connection, !connection.isClosed else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// PostgreSQL for a fleet, on PostgresNIO's own pool (`PostgresClient`).
///
/// The store's calls are synchronous (one set of statements serves SQLite too), so each call
/// borrows a connection from the pool for as long as it runs: a task leases it and lends it to
/// the calling thread (`ConnectionLoan`), and the thread's statements wait on the connection's
/// futures. The pool reconnects what breaks, keeps idle connections alive and closes those it no
/// longer needs. A transaction that PostgreSQL aborts as a deadlock or a serialization failure
/// runs again, up to three times.
///
/// The pool runs from the moment the database is opened (migrations and the first key come
/// before any service runs) until `close()`; the server closes it as its last service stops.
public final class PostgreSQLDatabase: SQLDatabase {
    public let configuration: PostgresClient.Configuration
    /// The driver's pool, for the async callers (the fleet's notices).
    public let client: PostgresClient
    private let running: Task<Void, Never>
    private let logger: Logger
    /// `?` placeholders rewritten as `$1…`, by statement.
    private static let translations = Mutex<[String: String]>([:])

    public var flavor: SQLFlavor { .postgres }

    public init(configuration: PostgresClient.Configuration, connections: Int = 8, logger: Logger) {
        var configuration = configuration
        configuration.options.maximumConnections = max(1, connections)
        self.configuration = configuration
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        running = Task(executorPreference: PoolExecutor.shared) { await client.run() }
    }

    deinit {
        running.cancel()
    }

    /// Stops the pool: its connections close, and calls made from now on fail.
    public func close() async {
        running.cancel()
        await running.value
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

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> Int {
        try withConnection { try Self.run(Self.translate(sql), parameters, on: $0, logger: logger).changed }
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        try withConnection { try Self.run(Self.translate(sql), parameters, on: $0, logger: logger).rows }
    }

    public func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue]) throws
        -> [SQLRow]
    {
        try withConnection {
            try Self.runPrepared(statement, parameters, on: $0, logger: logger)
        }
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
                PostgreSQLDatabase.translate(sql), parameters, on: connection, logger: database.logger
            ).changed
        }

        func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
            try PostgreSQLDatabase.run(
                PostgreSQLDatabase.translate(sql), parameters, on: connection, logger: database.logger
            ).rows
        }

        func query<Statement: FrequentStatement>(_ statement: Statement.Type, _ parameters: [SQLValue]) throws
            -> [SQLRow]
        {
            try PostgreSQLDatabase.runPrepared(statement, parameters, on: connection, logger: database.logger)
        }

        func lock(_ table: String, id: String) throws {
            _ = try query("SELECT 1 FROM \(table) WHERE id = ? FOR UPDATE", [.text(id)])
        }

        func serialize(_ name: String) throws {
            _ = try query("SELECT pg_advisory_xact_lock(hashtext(?))", [.text(name)])
        }
    }

    // MARK: Connections

    /// Runs `body` on the calling thread with a connection leased from the pool, given back
    /// when `body` returns. The thread blocks meanwhile; the lease itself runs on the pool's
    /// executor, so even a blocked thread of the cooperative pool cannot hold it up.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let loan = ConnectionLoan()
        Task(executorPreference: PoolExecutor.shared) { [client] in
            do {
                try await client.withConnection { connection in
                    loan.lend(connection)
                    await loan.returned()
                }
            } catch {
                loan.fail(error)
            }
        }
        let connection: PostgresConnection
        do {
            connection = try loan.borrow()
        } catch {
            throw StoreError(.failed, "cannot connect to PostgreSQL: \(Self.describe(error))")
        }
        defer { loan.giveBack() }
        return try body(connection)
    }

    /// Rewrites the store's `?` placeholders as PostgreSQL's `$n`, outside quoted text.
    static func translate(_ sql: String) -> String {
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
        return (try rows(result.rows), result.metadata.rows ?? 0)
    }

    static func rows(_ rows: [PostgresRow]) throws -> [SQLRow] {
        var columns: [String: Int] = [:]
        for cell in rows.first.map(Array.init) ?? [] { columns[cell.columnName] = cell.columnIndex }
        return try rows.map { row in SQLRow(values: try row.map(value(of:)), columns: columns) }
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
    static func storeError(_ error: any Error, sql: String) -> StoreError {
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

/// A leased connection handed from the task that holds the lease to the thread that uses it,
/// and back: `borrow` blocks the thread until the task lends (or fails), and the task waits in
/// `returned` until the thread gives the connection back.
private final class ConnectionLoan: Sendable {
    private enum Return {
        case notYet
        /// The thread gave it back before the task waited.
        case givenBack
        /// The task waits for the thread.
        case awaited(CheckedContinuation<Void, Never>)
    }

    private let lent = Mutex<Result<PostgresConnection, any Error>?>(nil)
    private let ready = DispatchSemaphore(value: 0)
    private let back = Mutex(Return.notYet)

    func lend(_ connection: PostgresConnection) {
        lent.withLock { $0 = .success(connection) }
        ready.signal()
    }

    func fail(_ error: any Error) {
        lent.withLock { $0 = .failure(error) }
        ready.signal()
    }

    func borrow() throws -> PostgresConnection {
        ready.wait()
        guard let outcome = lent.withLock({ $0 }) else { preconditionFailure("signalled with nothing lent") }
        return try outcome.get()
    }

    func giveBack() {
        let waiting = back.withLock { state -> CheckedContinuation<Void, Never>? in
            guard case .awaited(let continuation) = state else {
                state = .givenBack
                return nil
            }
            return continuation
        }
        waiting?.resume()
    }

    func returned() async {
        await withCheckedContinuation { continuation in
            let alreadyBack = back.withLock { state in
                if case .givenBack = state { return true }
                state = .awaited(continuation)
                return false
            }
            if alreadyBack { continuation.resume() }
        }
    }
}

/// Where the pool's tasks run: one thread of their own, never Swift's cooperative pool. A store
/// call blocks its thread until the pool lends it a connection, and that thread may be one of
/// the cooperative pool's (a test, startup work); on a machine of one or two cores the pool's
/// own tasks would then wait behind the very threads waiting for them.
final class PoolExecutor: TaskExecutor {
    static let shared = PoolExecutor()

    /// For the life of the process, like NIO's singleton groups.
    private let loop: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension PostgreSQLDatabase: Service {
    /// Keeps the pool open until the server shuts down, then closes it. The server's first
    /// service, so stopped last: the workers put their running jobs back before it closes.
    public func run() async {
        try? await gracefulShutdown()
        await close()
    }
}

import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A frequent statement as PostgresNIO prepares it: the driver keeps, per connection, which
/// statements the server has already planned, and knows each by its static name and text. Its
/// rows are read one by one (the driver's prepared path gives no command tag before every row
/// has been read, so a write says what it changed with `RETURNING`).
private struct PreparedQuery<Frequent: FrequentStatement>: PostgresPreparedStatement {
    static var name: String { "likeness_\(Frequent.name)" }
    static var sql: String { PostgreSQLDatabase.translate(Frequent.sql(.postgres)) }
    static var bindingDataTypes: [PostgresDataType] {
        Frequent.parameterTypes.map { type in
            switch type {
            case .integer: .int8
            case .real: .float8
            case .text: .text
            case .blob: .bytea
            }
        }
    }

    let parameters: [SQLValue]

    func makeBindings() throws -> PostgresBindings {
        let types = Frequent.parameterTypes
        guard parameters.count == types.count else {
            throw StoreError("\(Frequent.name) takes \(types.count) parameters, not \(parameters.count)")
        }
        var bindings = PostgresBindings(capacity: parameters.count)
        for (parameter, type) in zip(parameters, types) {
            // The plan was made for the declared type, so each value is sent as that type.
            switch (parameter, type) {
            case (.null, _): bindings.appendNull()
            case (.integer(let value), .integer): bindings.append(value)
            case (.integer(let value), .real): bindings.append(Double(value))
            case (.real(let value), .real): bindings.append(value)
            case (.text(let value), .text): bindings.append(value)
            case (.blob(let value), .blob): bindings.append(ByteBuffer(bytes: value))
            default: throw StoreError("\(Frequent.name) cannot bind \(parameter) as \(type)")
            }
        }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgreSQLDatabase {
    /// Runs a frequent statement on `connection` from the calling (store) thread, which waits:
    /// the driver prepares statements only through its async API, so a task on the pool's
    /// executor runs it.
    static func runPrepared<Frequent: FrequentStatement>(
        _ statement: Frequent.Type, _ parameters: [SQLValue], on connection: PostgresConnection, logger: Logger
    ) throws -> [SQLRow] {
        let outcome = Mutex<Result<[SQLRow], any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task(executorPreference: PoolExecutor.shared) {
            let result: Result<[SQLRow], any Error>
            do {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(
                    PreparedQuery<Frequent>(parameters: parameters), logger: logger)
                {
                    rows.append(row)
                }
                result = .success(try Self.rows(rows))
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        guard let result = outcome.withLock({ $0 }) else { preconditionFailure("signalled with no outcome") }
        do {
            return try result.get()
        } catch let error as StoreError {
            throw error
        } catch {
            throw storeError(error, sql: Frequent.name)
        }
    }
}

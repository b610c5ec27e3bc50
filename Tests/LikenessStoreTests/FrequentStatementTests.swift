import Foundation
import LikenessTestSupport
import Testing

@testable import LikenessStore

/// One parameter, declared real, read back.
private enum EchoReal: FrequentStatement {
    static let name = "test_echo_real"
    static let parameterTypes: [SQLType] = [.real]
    static func sql(_ flavor: SQLFlavor) -> String { "SELECT ? + 0.0 AS value" }
}

/// A write that reports what it changed with `RETURNING`.
private enum RenameRow: FrequentStatement {
    static let name = "test_rename_row"
    static let parameterTypes: [SQLType] = [.text, .integer]
    static func sql(_ flavor: SQLFlavor) -> String { "UPDATE frequent_rows SET label = ? WHERE id = ? RETURNING id" }
}

@Suite("Frequent statements, planned once per connection on PostgreSQL")
struct FrequentStatementTests {
    let directory = temporaryDirectory()

    /// SQLite, or PostgreSQL on one connection, so that every call reuses the first call's plan.
    private func database(_ kind: StoreKind) throws -> any SQLDatabase {
        switch kind {
        case .sqlite: try SQLiteDatabase(path: directory.appendingPathComponent("\(UUID()).sqlite").path)
        case .postgres: try PostgresTestDatabases.fresh().anotherPool(connections: 1)
        }
    }

    @Test("The plan is made for the declared types, whatever the first call bound", arguments: StoreKind.tested)
    func declaredTypes(kind: StoreKind) throws {
        let database = try database(kind)
        // A first call that binds null would, with types inferred from it, leave the
        // parameter untyped and refuse the numbers that follow.
        #expect(try database.query(EchoReal.self, [.null]).first?.values == [.null])
        #expect(try database.query(EchoReal.self, [.real(2.5)]).first?.real(0) == 2.5)
        #expect(try database.query(EchoReal.self, [.integer(3)]).first?.real(0) == 3)
    }

    @Test("A value of another type, or a wrong count of them, is refused", arguments: StoreKind.tested)
    func refusedBindings(kind: StoreKind) throws {
        let database = try database(kind)
        #expect(throws: StoreError.self) { try database.query(EchoReal.self, [.real(1), .real(2)]) }
        if kind == .postgres {
            #expect(throws: StoreError.self) { try database.query(EchoReal.self, [.text("one")]) }
        }
        // The connection still serves the statement after a refusal.
        #expect(try database.query(EchoReal.self, [.real(4)]).first?.real(0) == 4)
    }

    @Test("In a transaction, a write's RETURNING rows say what it changed", arguments: StoreKind.tested)
    func writeInTransaction(kind: StoreKind) throws {
        let database = try database(kind)
        try database.execute("CREATE TABLE frequent_rows (id BIGINT PRIMARY KEY, label TEXT NOT NULL)")
        try database.execute("INSERT INTO frequent_rows (id, label) VALUES (1, 'one'), (2, 'two')")
        let changed = try database.transaction { transaction in
            (
                try transaction.query(RenameRow.self, [.text("uno"), .integer(1)]).count,
                try transaction.query(RenameRow.self, [.text("nine"), .integer(9)]).count
            )
        }
        #expect(changed == (1, 0))
        #expect(try database.query("SELECT label FROM frequent_rows ORDER BY id").map { $0.text(0) } == ["uno", "two"])
    }
}

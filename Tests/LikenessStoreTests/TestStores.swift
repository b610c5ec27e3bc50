import Foundation
import Logging
import Synchronization
import Testing

@testable import LikenessStore

/// The stores every repository test runs against: SQLite always, and PostgreSQL when
/// `LIKENESS_TEST_DATABASE_URL` names a server (`scripts/test.sh` starts one).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let tested: [StoreKind] = testDatabaseURL == nil ? [.sqlite] : [.sqlite, .postgres]

    static var testDatabaseURL: String? {
        ProcessInfo.processInfo.environment["LIKENESS_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A new, empty store of this kind: a new SQLite file in `directory`, or a new PostgreSQL
    /// database (the `store`'s `reopen` gives a second store on the same one).
    func makeStore(in directory: URL) throws -> SQLStore {
        switch self {
        case .sqlite: return try DataDirectory(root: directory).store
        case .postgres: return try SQLStore(postgres: try PostgresTestDatabases.fresh())
        }
    }
}

extension StoreKind {
    /// Two stores on one new database, as two replicas (or a server and a command) open it.
    func makeTwoStores(in directory: URL) throws -> (SQLStore, SQLStore) {
        switch self {
        case .sqlite:
            return (try DataDirectory(root: directory).store, try DataDirectory(root: directory).store)
        case .postgres:
            let database = try PostgresTestDatabases.fresh()
            return (try SQLStore(postgres: database), try SQLStore(postgres: database.anotherPool()))
        }
    }
}

/// Creates one database per test on the test server, so tests run side by side untouched.
enum PostgresTestDatabases {
    private static let created = Atomic<Int>(0)

    static func fresh() throws -> PostgreSQLDatabase {
        guard let url = StoreKind.testDatabaseURL else { throw StoreError.noTestServer }
        let server = try PostgreSQLDatabase(
            configuration: PostgreSQLDatabase.configuration(url: url), connections: 1, logger: logger)
        let name = "lk_test_\(ProcessInfo.processInfo.processIdentifier)_\(created.add(1, ordering: .relaxed).newValue)"
        try server.execute("DROP DATABASE IF EXISTS \(name)")
        try server.execute("CREATE DATABASE \(name)")
        return server.onDatabase(name, connections: 4)
    }

    static let logger = Logger(label: "likeness.test.postgres")
}

extension StoreError {
    static let noTestServer = StoreError(.refused, "LIKENESS_TEST_DATABASE_URL is not set")
}

extension JobRepository {
    /// Claims as a test's one replica would, under a lease of a minute.
    func claimNextJob(engine: String, at date: Date) throws -> ClaimedJob? {
        try claimNextJob(
            engine: engine, lease: JobLease(owner: "test", expiresAt: date.addingTimeInterval(60)), at: date)
    }

    func claimJob(id: String, engine: String, at date: Date) throws -> ClaimedJob? {
        try claimJob(
            id: id, engine: engine, lease: JobLease(owner: "test", expiresAt: date.addingTimeInterval(60)), at: date)
    }
}

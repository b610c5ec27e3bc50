import ArgumentParser
import Foundation
import LikenessServer
import LikenessService
import Logging

/// `likeness migrate-data --from ./.likeness --to postgres://…`: moving up to a fleet.
struct MigrateData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-data",
        abstract: "Copy an embedded installation (SQLite and images) into a fleet's PostgreSQL and bucket.",
        discussion: """
            Copies accounts, keys, the ledger, jobs with their logs and inputs, image records, webhook \
            deliveries and the signing secret into an empty PostgreSQL database, in one transaction, and \
            checks that every balance still equals the sum of its ledger. With LIKENESS_S3_BUCKET (and \
            the other LIKENESS_S3_* settings) the image files are copied into the bucket too. The \
            database's password may come from LIKENESS_DATABASE_PASSWORD_FILE. Stop the server first.
            """)

    @Option(help: "The data directory to copy from (its likeness.sqlite and images/).")
    var from: String

    @Option(help: "The PostgreSQL database to copy into: postgres://user@host:port/database (must be empty).")
    var to: String

    func run() async throws {
        var logger = Logger(label: "likeness.migrate")
        logger.logLevel = .warning
        let configuration = try LikenessConfiguration.fromEnvironment()
        let report = try await DataMigration.run(
            from: URL(filePath: from, directoryHint: .isDirectory), to: to,
            password: configuration.database?.password, bucket: configuration.objectStorage, logger: logger)
        print(report)
        print("Done. Start the replicas with LIKENESS_DATABASE_URL set to that database.")
    }
}

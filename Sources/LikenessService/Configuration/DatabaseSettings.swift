import Configuration
import Foundation
import LikenessStore

/// `LIKENESS_DATABASE_URL`: all state in PostgreSQL, shared by every replica that names it.
/// Without it, state stays in the data directory's SQLite file.
public struct DatabaseSettings: Sendable, CustomStringConvertible {
    /// `postgres://user@host:port/database?sslmode=…`, its password possibly elsewhere.
    public var url: String
    /// From `LIKENESS_DATABASE_PASSWORD_FILE` (its first line), in place of one in the URL.
    public var password: String?
    /// Connections this replica opens for store calls (`LIKENESS_DATABASE_CONNECTIONS`); one
    /// more listens for the fleet's notices.
    public var connections: Int
    /// A job's lease (`LIKENESS_FLEET_LEASE_SECONDS`): renewed by its replica every third of it,
    /// and when it lapses (the replica died) another replica runs the job again.
    public var lease: Duration

    /// Never shows the password, whichever way it came.
    public var description: String { PostgreSQLDatabase.redacted(url) }

    package static func read(_ settings: ConfigReader) throws -> DatabaseSettings? {
        guard let url = settings.string(forKey: "database.url", isSecret: true), !url.isEmpty else { return nil }
        var password: String? = nil
        if let file = settings.string(forKey: "database.passwordFile") {
            do {
                password =
                    try String(contentsOfFile: file, encoding: .utf8)
                    .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            } catch {
                throw ConfigurationError("LIKENESS_DATABASE_PASSWORD_FILE cannot be read: \(file)")
            }
        }
        return DatabaseSettings(
            url: url, password: password,
            connections: max(2, settings.int(forKey: "database.connections", default: 10)),
            lease: .seconds(max(3, settings.int(forKey: "fleet.leaseSeconds", default: 30))))
    }
}

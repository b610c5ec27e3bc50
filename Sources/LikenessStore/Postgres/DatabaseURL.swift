import Foundation
import NIOSSL
import PostgresNIO

extension PostgreSQLDatabase {
    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=…]` (or `postgresql://`).
    ///
    /// `password` (from `LIKENESS_DATABASE_PASSWORD_FILE`) takes the place of one in the URL.
    /// `sslmode` is libpq's: `disable`, `prefer` (the default: TLS when the server offers it),
    /// or `require`/`verify-full` (TLS with the server's certificate verified). A
    /// `host=/path` query item connects through a Unix socket in that directory.
    public static func configuration(url text: String, password: String? = nil) throws
        -> PostgresClient.Configuration
    {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw StoreError(.refused, "the database URL must start with postgres:// (got \(redacted(text)))")
        }
        let user = url.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = password ?? url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let database = path.isEmpty ? user : path
        let items = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        if let socketDirectory = items["host"], socketDirectory.hasPrefix("/") {
            let port = url.port ?? 5432
            return PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password,
                database: database)
        }
        guard let host = url.host, !host.isEmpty else {
            throw StoreError(.refused, "the database URL names no host (\(redacted(text)))")
        }
        let tls: PostgresClient.Configuration.TLS
        switch items["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let mode:
            throw StoreError(.refused, "sslmode \(mode) is not one of disable, prefer, require, verify-full")
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: password, database: database, tls: tls)
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "*****"
        return url.string ?? "postgres://…"
    }
}

import ArgumentParser
import Foundation
import LikenessAPI
import LikenessCore
import LikenessServer
import LikenessService
import LikenessStore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys in the data directory (works while the server runs).",
        subcommands: [Create.self, List.self, Revoke.self, WebhookSecret.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print its id, its secret (shown only now) and its webhook signing secret.")
        @Option(help: "A label to recognise the key by.") var name = "unnamed"
        @Option(help: "The account that owns it (default: the house account, the first one).") var account: String?
        @Option(help: "user, or admin (the admin API).") var role = "user"
        @Option(help: "Days until it stops working (default: never).") var expiresInDays: Int?
        @Option(help: "Requests a minute for this key (0: unlimited; default: the server's).")
        var requestsPerMinute: Int?
        @Option(help: "Requests queued or running at once (0: unlimited; default: the server's).")
        var concurrentJobs: Int?
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let issued = try await refusing { () async throws(APIError) in
                // The house account, the first one, when none is named.
                var accountID = account
                if accountID == nil { accountID = try await accounts.listAccounts().first?.id }
                guard let accountID else {
                    throw APIError(
                        .invalidParameters,
                        "there is no account yet: start the server once, or run `likeness accounts create`")
                }
                let now = Date()
                return try await accounts.createKey(
                    accountID: accountID, name: name, role: role,
                    expiresAt: expiresInDays.map { now.addingTimeInterval(Double($0) * 86_400) },
                    limits: UsageLimits(requestsPerMinute: requestsPerMinute, concurrentJobs: concurrentJobs), now: now)
            }
            print("\(issued.key.id)\t\(issued.secret)\t\(issued.webhookSecret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (secrets are never shown again).")
        @Option(help: "Only this account's keys.") var account: String?
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let keys = try await refusing { () async throws(APIError) in try await accounts.listKeys(accountID: account)
            }
            print("ID\tNAME\tACCOUNT\tROLE\tPREFIX\tCREATED\tLAST USED\tSTATUS")
            for key in keys {
                let status =
                    key.revokedAt.map { "revoked \($0.formatted(.iso8601))" }
                    ?? key.expiresAt.map { $0 <= Date() ? "expired" : "active until \($0.formatted(.iso8601))" }
                    ?? "active"
                let used = key.lastUsedAt.map { $0.formatted(.iso8601) } ?? "never"
                print(
                    "\(key.id)\t\(key.name)\t\(key.accountID)\t\(key.role.rawValue)\t\(key.displayPrefix)\t"
                        + "\(key.createdAt.formatted(.iso8601))\t\(used)\t\(status)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: its requests fail with 2049 from now on.")
        @Argument(help: "The key's id, as `keys list` shows it.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            _ = try await refusing { () async throws(APIError) in try await accounts.revokeKey(id) }
            print("revoked \(id)")
        }
    }

    struct WebhookSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook-secret",
            abstract: "Print the secret that signs the webhooks of a key's jobs (HMAC-SHA256 of the body).")
        @Argument(help: "The key's id, as `keys list` shows it.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            print(try await refusing { () async throws(APIError) in try await accounts.webhookSecret(keyID: id) })
        }
    }
}

import ArgumentParser
import Foundation
import LikenessServer
import LikenessStore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys in the data directory (works while the server runs).",
        subcommands: [Create.self, List.self, Revoke.self, WebhookSecret.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print its id, its secret (shown only now) and its webhook signing secret.")
        @Option(help: "A label to recognise the key by.") var name = "unnamed"
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let directory = try DataDirectory(root: URL(filePath: try await data.configuration().dataDirectory))
            let issued = try directory.store.createKey(name: name, secret: nil)
            print("\(issued.key.id)\t\(issued.secret)\t\(issued.webhookSecret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (secrets are never shown again).")
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let directory = try DataDirectory(root: URL(filePath: try await data.configuration().dataDirectory))
            let format = ISO8601DateFormatter()
            print("ID\tNAME\tPREFIX\tCREATED\tLAST USED\tSTATUS")
            for key in try directory.store.listKeys() {
                let status = key.revokedAt.map { "revoked \(format.string(from: $0))" } ?? "active"
                let used = key.lastUsedAt.map(format.string(from:)) ?? "never"
                print(
                    "\(key.id)\t\(key.name)\t\(key.displayPrefix)\t\(format.string(from: key.createdAt))\t\(used)\t\(status)"
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: its requests fail with 2049 from now on.")
        @Argument(help: "The key's id, as `keys list` shows it.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let directory = try DataDirectory(root: URL(filePath: try await data.configuration().dataDirectory))
            guard try directory.store.revokeKey(id: id) else {
                throw ValidationError("no active key with id \(id)")
            }
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
            let directory = try DataDirectory(root: URL(filePath: try await data.configuration().dataDirectory))
            guard let secret = try directory.store.webhookSigningSecret(keyID: id) else {
                throw ValidationError("no key with id \(id)")
            }
            print(secret)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import LikenessAPI
import LikenessCore
import LikenessStore
import NIOCore
import NIOFoundationCompat
import NIOPosix
import Testing

@testable import LikenessServer
@testable import LikenessService

/// The `likeness` binary beside this test bundle, run on a data directory.
struct OperatorCommand {
    let dataDirectory: String

    static var binary: URL {
        URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "likeness")
    }

    /// Runs `likeness <arguments> --data-dir …`: its exit status, standard output and error. It
    /// waits on NIO's blocking-I/O threads: a process held on one of the cooperative pool's
    /// threads (two on a 2-core machine) stalls every other test in this process meanwhile.
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        try await NIOThreadPool.singleton.runIfActive { try runBlocking(arguments) }
    }

    private func runBlocking(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = Self.binary
        // Before any `--`, after which everything is positional (a negative amount).
        let split = arguments.firstIndex(of: "--") ?? arguments.endIndex
        process.arguments = arguments[..<split] + ["--data-dir", dataDirectory] + arguments[split...]
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData, as: UTF8.self)
        )
    }
}

@Suite("Operator commands refuse what the admin API refuses")
struct OperatorCommandTests {
    /// One refusal: the command, and the admin API request that must be refused the same way.
    struct Refusal: Sendable, CustomStringConvertible {
        var command: [String]
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        var description: String { command.joined(separator: " ") }
    }

    static func refusals(account: String) -> [Refusal] {
        [
            Refusal(
                command: ["keys", "create", "--account", account, "--expires-in-days=-1"], method: .post,
                path: "/v1/admin/accounts/\(account)/keys", body: #"{"expires_at": "2020-01-01T00:00:00Z"}"#),
            Refusal(
                command: ["keys", "create", "--account", account, "--role", "root"], method: .post,
                path: "/v1/admin/accounts/\(account)/keys", body: #"{"role": "root"}"#),
            Refusal(
                command: ["keys", "create", "--account", account, "--concurrent-jobs=-2"], method: .post,
                path: "/v1/admin/accounts/\(account)/keys", body: #"{"concurrent_jobs": -2}"#),
            Refusal(
                command: ["keys", "create", "--account", "acct_missing"], method: .post,
                path: "/v1/admin/accounts/acct_missing/keys", body: "{}"),
            Refusal(command: ["keys", "revoke", "key_missing"], method: .delete, path: "/v1/admin/keys/key_missing"),
            Refusal(
                command: ["accounts", "create", "  "], method: .post, path: "/v1/admin/accounts",
                body: #"{"name": "  "}"#),
            Refusal(
                command: ["accounts", "create", "Acme", "--billing", "free"], method: .post,
                path: "/v1/admin/accounts", body: #"{"name": "Acme", "billing": "free"}"#),
            Refusal(
                command: ["accounts", "limits", account, "--requests-per-minute=-5"], method: .patch,
                path: "/v1/admin/accounts/\(account)", body: #"{"requests_per_minute": -5}"#),
            Refusal(
                command: ["credits", "add", account, "0"], method: .post, path: "/v1/admin/accounts/\(account)/credits",
                body: #"{"amount_usd": "0"}"#),
            Refusal(
                command: ["credits", "adjust", "--note", "too much", "--", account, "-5"], method: .post,
                path: "/v1/admin/accounts/\(account)/credits",
                body: #"{"amount_usd": "-5", "kind": "adjustment", "note": "too much"}"#),
            Refusal(
                command: ["credits", "ledger", "acct_missing"], method: .get,
                path: "/v1/admin/accounts/acct_missing/ledger"),
            Refusal(
                command: ["accounts", "delete", "acct_missing", "--yes"], method: .delete,
                path: "/v1/admin/accounts/acct_missing"),
        ]
    }

    @Test("each refusal: the same message from the command (exit 1) and the admin API (4xx)")
    func sameRefusals() async throws {
        let harness = try Harness()
        let customer = try harness.customer(credit: MicroDollars(1_000_000))
        let command = OperatorCommand(dataDirectory: harness.configuration.dataDirectory)
        try await harness.test { client in
            for refusal in Self.refusals(account: customer.accountID) {
                let ran = try await command.run(refusal.command)
                #expect(ran.status != 0, "\(refusal) succeeded: \(ran.output)")
                let body = refusal.body.map { ByteBuffer(string: $0) }
                try await client.execute(
                    uri: refusal.path, method: refusal.method,
                    headers: [.authorization: "Bearer \(harness.key)", .contentType: "application/json"], body: body
                ) { response in
                    #expect((400..<500).contains(response.status.code), "\(refusal): HTTP \(response.status.code)")
                    let error = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    let message = try #require((error?["error"] as? [String: Any])?["message"] as? String)
                    #expect(
                        ran.error.trimmingCharacters(in: .whitespacesAndNewlines) == "Error: \(message)", "\(refusal)")
                }
            }
        }
        // Nothing refused changed the books: one top-up, no fee, as the harness made it.
        let ledger = try harness.directory.store.ledger(
            accountID: customer.accountID, from: .distantPast, to: .distantFuture, limit: 10)
        #expect(ledger.map(\.kind) == [.topUp])
    }

    @Test("what the admin API accepts, the command accepts: a key that expires, a top-up less its fee")
    func sameAcceptance() async throws {
        let harness = try Harness()
        let customer = try harness.customer()
        let command = OperatorCommand(dataDirectory: harness.configuration.dataDirectory)
        let created = try await command.run([
            "keys", "create", "--account", customer.accountID, "--expires-in-days", "3",
        ])
        #expect(created.status == 0, "\(created.error)")
        let keyID = try #require(created.output.split(separator: "\t").first.map(String.init))
        let key = try #require(try harness.directory.store.key(id: keyID))
        #expect(key.expiresAt.map { $0.timeIntervalSinceNow > 2.9 * 86_400 } == true)
        let topUp = try await command.run(["credits", "add", customer.accountID, "10.00"])
        #expect(topUp.status == 0 && topUp.output.contains("balance\t9.50"), "\(topUp.output) \(topUp.error)")

        let unconfirmed = try await command.run(["accounts", "delete", customer.accountID])
        #expect(unconfirmed.status != 0 && unconfirmed.error.contains("--yes"))
        #expect(try harness.directory.store.account(id: customer.accountID)?.isDeleted == false)
        let deleted = try await command.run(["accounts", "delete", customer.accountID, "--yes"])
        #expect(
            deleted.status == 0 && deleted.output.contains("$9.50 given back"), "\(deleted.output) \(deleted.error)")
        #expect(try harness.directory.store.account(id: customer.accountID)?.isDeleted == true)
        #expect(try harness.directory.store.key(id: keyID)?.revokedAt != nil)
    }
}

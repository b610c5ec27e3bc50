import ArgumentParser
import AsyncHTTPClient
import Foundation
import LikenessAPI
import LikenessCore
import LikenessServer
import LikenessService
import LikenessStore
import Logging

/// The accounts service over the data directory (or the fleet's database), for an operator
/// command (works while the server runs). Commands go through it, so they refuse what the admin API refuses.
func openAccounts(_ data: DataDirectoryOption) async throws -> (AccountsService, LikenessConfiguration) {
    let configuration = try await data.configuration()
    let directory = try openDataDirectory(configuration)
    var logger = Logger(label: "likeness")
    logger.logLevel = .warning
    // A fleet keeps its objects in the bucket: deleting an account deletes them there.
    let bucket = configuration.objectStorage.map { S3BlobStore(settings: $0, client: .shared, logger: logger) }
    return (
        try AccountsService(
            dataDirectory: directory, blobs: bucket, billing: configuration.billing, logger: logger),
        configuration
    )
}

/// Runs an operator command's work; a refusal prints the same message the admin API answers.
func refusing<Value>(_ body: () async throws(APIError) -> Value) async throws -> Value {
    do {
        return try await body()
    } catch {
        throw OperatorRefusal(message: error.message)
    }
}

/// A refusal of the accounts service, printed as `Error: <message>`.
struct OperatorRefusal: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A dollar amount argument: `10`, `12.50`.
func dollars(_ text: String) throws -> MicroDollars {
    guard let amount = MicroDollars(usd: text) else { throw ValidationError("\(text) is not a dollar amount") }
    return amount
}

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts: who owns keys, balances and limits.",
        subcommands: [Create.self, List.self, Show.self, Limits.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account and print its id.")
        @Argument(help: "The account's name.") var name: String
        @Option(help: "prepaid (charged from its balance) or unmetered (never charged).") var billing = "prepaid"
        @Option(help: "Requests a minute for the account (0: unlimited; default: the server's).")
        var requestsPerMinute: Int?
        @Option(help: "Requests queued or running at once (0: unlimited; default: the server's).")
        var concurrentJobs: Int?
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let account = try await refusing { () async throws(APIError) in
                try await accounts.createAccount(
                    name: name, billing: billing,
                    limits: UsageLimits(requestsPerMinute: requestsPerMinute, concurrentJobs: concurrentJobs))
            }
            print(account.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts with their balances.")
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            print("ID\tNAME\tBILLING\tBALANCE USD\tRESERVED USD\tBYOK")
            for account in try await refusing({ () async throws(APIError) in try await accounts.listAccounts() }) {
                let reserved = try await refusing { () async throws(APIError) in try await accounts.reserved(account.id)
                }
                print(
                    "\(account.id)\t\(account.name)\t\(account.billing.rawValue)\t\(account.balance.usd)\t"
                        + "\(reserved.usd)\t\(account.hasMiniMaxKey ? "minimax" : "-")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an account, its limits and its keys.")
        @Argument(help: "The account's id.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let (account, reserved, keys) = try await refusing { () async throws(APIError) in
                let account = try await accounts.account(id)
                return (account, try await accounts.reserved(id), try await accounts.listKeys(accountID: id))
            }
            let effective = accounts.effectiveLimits(of: account)
            let limit = { (own: Int?, effective: Int?) in
                own.map { $0 == 0 ? "unlimited" : String($0) } ?? "\(effective ?? 0) (server default)"
            }
            print("id\t\(account.id)\nname\t\(account.name)\nbilling\t\(account.billing.rawValue)")
            print("balance\t$\(account.balance.usd)\nreserved\t$\(reserved.usd)")
            print("requests a minute\t" + limit(account.limits.requestsPerMinute, effective.requestsPerMinute))
            print("concurrent jobs\t" + limit(account.limits.concurrentJobs, effective.concurrentJobs))
            print("queue weight\t\(account.queueWeight ?? 1)")
            print("own MiniMax key\t\(account.miniMaxKeyRegion ?? "none")")
            for key in keys {
                print(
                    "key\t\(key.id)\t\(key.name)\t\(key.role.rawValue)\t\(key.revokedAt == nil ? "active" : "revoked")")
            }
        }
    }

    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's request limits (0: unlimited).")
        @Argument(help: "The account's id.") var id: String
        @Option var requestsPerMinute: Int?
        @Option var concurrentJobs: Int?
        @Option(help: "Its share of the workers against other accounts' waiting jobs (1-100; default 1).")
        var queueWeight: Int?
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            _ = try await refusing { () async throws(APIError) in
                try await accounts.updateLimits(
                    id, UsageLimits(requestsPerMinute: requestsPerMinute, concurrentJobs: concurrentJobs),
                    queueWeight: queueWeight)
            }
            print("updated \(id)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Delete an account's characters, uploads, requests and images, revoke its keys and give back its balance.",
            discussion: "The account's row and its ledger stay, marked deleted, as the books.")
        @Argument(help: "The account's id.") var id: String
        @Flag(help: "Confirm: what is deleted cannot be recovered.") var yes = false
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            guard yes else { throw ValidationError("deleting an account cannot be undone: add --yes to confirm") }
            let (accounts, _) = try await openAccounts(data)
            let deleted = try await refusing { () async throws(APIError) in
                try await accounts.deleteAccount(id, by: nil)
            }
            print(
                "deleted \(id): \(deleted.jobIDs.count) requests, \(deleted.images.count) images, "
                    + "\(deleted.characterIDs.count) characters, \(deleted.uploadIDs.count) uploads, "
                    + "\(deleted.revokedKeys) keys revoked, $\(deleted.refunded.usd) given back")
        }
    }
}

struct Credits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top up, correct and audit balances (the ledger is append-only).",
        subcommands: [Add.self, Adjust.self, Ledger.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Record a payment: the amount is credited less the platform fee (likeness.billing.topUpFeePercent).")
        @Argument(help: "The account's id.") var id: String
        @Argument(help: "Dollars received, like 10 or 12.50.") var amount: String
        @Flag(help: "Credit the whole amount, with no fee.") var waiveFee = false
        @Option(help: "A note kept with the ledger rows (an invoice number).") var note: String?
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let paid = try dollars(amount)
            let entries = try await refusing { () async throws(APIError) in
                try await accounts.addCredit(paid, as: .topUp(waiveFee: waiveFee), to: id, note: note)
            }
            for entry in entries { print("\(entry.kind.rawValue)\t\(entry.amount.usd)") }
            print("balance\t\(entries.last?.balanceAfter.usd ?? "?")")
        }
    }

    struct Adjust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a balance either way (no fee); refused below zero.")
        @Argument(help: "The account's id.") var id: String
        @Argument(help: "Dollars, like 5 or -2.50.") var amount: String
        @Option(help: "Why (kept in the ledger).") var note: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let amount = try dollars(amount)
            let entries = try await refusing { () async throws(APIError) in
                try await accounts.addCredit(amount, as: .adjustment, to: id, note: note)
            }
            print("balance\t\(entries.last?.balanceAfter.usd ?? "?")")
        }
    }

    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an account's ledger, oldest first.")
        @Argument(help: "The account's id.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (accounts, _) = try await openAccounts(data)
            let entries = try await refusing { () async throws(APIError) in
                try await accounts.ledger(
                    id, period: ReportPeriod(from: nil, to: nil, defaultFrom: .distantPast, defaultTo: .distantFuture),
                    limit: .max)
            }
            print("SEQ\tTIME\tKIND\tAMOUNT USD\tBALANCE USD\tREQUEST\tNOTE")
            for entry in entries {
                print(
                    "\(entry.sequence)\t\(entry.createdAt.formatted(.iso8601))\t\(entry.kind.rawValue)\t"
                        + "\(entry.amount.usd)\t\(entry.balanceAfter.usd)\t\(entry.requestID ?? "-")\t\(entry.note ?? "")"
                )
            }
        }
    }
}

struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an account's requests and what they cost, as CSV (the columns of GET /v1/usage).")
    @Argument(help: "The account's id.") var id: String
    @Option(help: "First day, like 2026-11-01 (UTC), or an ISO 8601 time (default: 30 days ago).") var from: String?
    @Option(help: "Last day, included (default: today).") var to: String?
    @OptionGroup var data: DataDirectoryOption

    func run() async throws {
        let (accounts, _) = try await openAccounts(data)
        let (rows, totals) = try await refusing { () async throws(APIError) in
            let period = try ReportPeriod.usage(from: from, to: to)
            _ = try await accounts.account(id)
            return (
                try await accounts.usage(id, period: period, limit: .max),
                try await accounts.usageTotals(id, period: period)
            )
        }
        print(UsageRow.csvHeader)
        for row in rows { print(row.csvLine) }
        FileHandle.standardError.write(
            Data(
                "\(totals.requests) requests, \(totals.imagesDelivered) images delivered, $\(totals.costUsd.usd) charged\n"
                    .utf8))
    }
}

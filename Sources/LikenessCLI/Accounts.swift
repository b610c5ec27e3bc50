import ArgumentParser
import Foundation
import LikenessAPI
import LikenessServer
import LikenessStore

/// The data directory's store, opened for an operator command (works while the server runs).
func openStore(_ data: DataDirectoryOption) async throws -> (SQLiteStore, LikenessConfiguration) {
    let configuration = try await data.configuration()
    return (try DataDirectory(root: URL(filePath: configuration.dataDirectory)).store, configuration)
}

func requireAccount(_ id: String, in store: SQLiteStore) throws -> Account {
    guard let account = try store.account(id: id) else { throw ValidationError("no account with id \(id)") }
    return account
}

/// A dollar amount argument: `10`, `12.50`.
func dollars(_ text: String) throws -> MicroDollars {
    guard let amount = MicroDollars(usd: text) else { throw ValidationError("\(text) is not a dollar amount") }
    return amount
}

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts: who owns keys, balances and limits.",
        subcommands: [Create.self, List.self, Show.self, Limits.self])

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
            guard let billing = AccountBilling(rawValue: billing) else {
                throw ValidationError("--billing must be prepaid or unmetered")
            }
            let (store, _) = try await openStore(data)
            let account = try store.createAccount(
                name: name, billing: billing,
                limits: UsageLimits(requestsPerMinute: requestsPerMinute, concurrentJobs: concurrentJobs))
            print(account.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts with their balances.")
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (store, _) = try await openStore(data)
            print("ID\tNAME\tBILLING\tBALANCE USD\tRESERVED USD\tBYOK")
            for account in try store.listAccounts() {
                let reserved = try store.reserved(accountID: account.id)
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
            let (store, configuration) = try await openStore(data)
            let account = try requireAccount(id, in: store)
            let limit = { (own: Int?, fallback: Int?) in
                own.map { $0 == 0 ? "unlimited" : String($0) } ?? "\(fallback ?? 0) (server default)"
            }
            print("id\t\(account.id)\nname\t\(account.name)\nbilling\t\(account.billing.rawValue)")
            print("balance\t$\(account.balance.usd)\nreserved\t$\(try store.reserved(accountID: id).usd)")
            print(
                "requests a minute\t"
                    + limit(account.limits.requestsPerMinute, configuration.billing.accountLimits.requestsPerMinute))
            print(
                "concurrent jobs\t"
                    + limit(account.limits.concurrentJobs, configuration.billing.accountLimits.concurrentJobs))
            print("own MiniMax key\t\(account.miniMaxKeyRegion ?? "none")")
            for key in try store.listKeys(accountID: id) {
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
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (store, _) = try await openStore(data)
            _ = try requireAccount(id, in: store)
            _ = try store.updateLimits(
                accountID: id, UsageLimits(requestsPerMinute: requestsPerMinute, concurrentJobs: concurrentJobs))
            print("updated \(id)")
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
            let (store, configuration) = try await openStore(data)
            _ = try requireAccount(id, in: store)
            let paid = try dollars(amount)
            guard paid > .zero else { throw ValidationError("the amount must be more than 0") }
            let fee = waiveFee ? .zero : configuration.billing.topUpFee(paid)
            let entries = try store.topUp(accountID: id, paid: paid, fee: fee, note: note)
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
            let (store, _) = try await openStore(data)
            _ = try requireAccount(id, in: store)
            let entry = try store.adjust(accountID: id, by: try dollars(amount), note: note)
            print("balance\t\(entry.balanceAfter.usd)")
        }
    }

    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an account's ledger, oldest first.")
        @Argument(help: "The account's id.") var id: String
        @OptionGroup var data: DataDirectoryOption

        func run() async throws {
            let (store, _) = try await openStore(data)
            _ = try requireAccount(id, in: store)
            print("SEQ\tTIME\tKIND\tAMOUNT USD\tBALANCE USD\tREQUEST\tNOTE")
            for entry in try store.ledger(accountID: id, from: .distantPast, to: .distantFuture, limit: .max) {
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
        let (store, _) = try await openStore(data)
        _ = try requireAccount(id, in: store)
        let period: ReportPeriod
        do {
            period = try ReportPeriod.usage(from: from, to: to)
        } catch {
            throw ValidationError(error.message)
        }
        let (start, end) = (period.from, period.to)
        print(UsageRow.csvHeader)
        for row in try store.usage(accountID: id, from: start, to: end, limit: .max) { print(row.csvLine) }
        let totals = try store.usageTotals(accountID: id, from: start, to: end)
        FileHandle.standardError.write(
            Data(
                "\(totals.requests) requests, \(totals.imagesDelivered) images delivered, $\(totals.costUsd.usd) charged\n"
                    .utf8))
    }
}

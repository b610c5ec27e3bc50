import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

/// History pages (`JobRepository.jobs(matching:)`): newest first, each filter narrowing, the
/// cursor kept within its account, on both stores.
@Suite("history queries")
struct JobQueryStoreTests {
    let directory = temporaryDirectory()
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A refused (finished) job, recorded at `start + seconds`.
    func record(
        _ store: SQLStore, _ id: String, account: String, seconds: TimeInterval, dialect: Dialect = .minimax,
        model: String = "image-01", character: String? = nil, failure code: Int? = nil
    ) throws {
        var job = JobRecord(
            id: id, keyID: nil, dialect: dialect, model: model, parameters: "{}",
            createdAt: start.addingTimeInterval(seconds), status: code == nil ? .cancelled : .failed)
        job.accountID = account
        job.characterID = character
        job.failure = JobFailure(code: code ?? 1044, message: "refused")
        try store.insertJob(job)
    }

    @Test(
        "an account's jobs, newest first, filtered and paged; another account's cursor gives nothing",
        arguments: StoreKind.tested)
    func filtersAndPages(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let mine = try store.createAccount(name: "mine", billing: .unmetered, limits: UsageLimits()).id
        let theirs = try store.createAccount(name: "theirs", billing: .unmetered, limits: UsageLimits()).id
        let character = "chr_" + String(repeating: "a", count: 32)
        try record(store, "job_1", account: mine, seconds: 1)
        try record(store, "job_2", account: mine, seconds: 2, dialect: .openai, failure: 1026)
        try record(store, "job_3", account: mine, seconds: 3, model: "image-01-live", character: character)
        // Two at the same instant: the id breaks the tie, so paging neither skips nor repeats one.
        try record(store, "job_4", account: mine, seconds: 4)
        try record(store, "job_5", account: mine, seconds: 4, dialect: .fal)
        try record(store, "job_9", account: theirs, seconds: 5)

        func ids(_ query: JobQuery) throws -> [String] { try store.jobs(matching: query).map(\.id) }
        #expect(try ids(JobQuery(accountID: mine, limit: 10)) == ["job_5", "job_4", "job_3", "job_2", "job_1"])
        #expect(try ids(JobQuery(accountID: mine, after: "job_5", limit: 2)) == ["job_4", "job_3"])
        #expect(try ids(JobQuery(accountID: mine, after: "job_3", limit: 2)) == ["job_2", "job_1"])
        #expect(try ids(JobQuery(accountID: mine, after: "job_9", limit: 10)).isEmpty)
        #expect(try ids(JobQuery(accountID: mine, status: .failed, limit: 10)) == ["job_2"])
        #expect(try ids(JobQuery(accountID: mine, model: "image-01-live", limit: 10)) == ["job_3"])
        #expect(try ids(JobQuery(accountID: mine, dialect: .fal, limit: 10)) == ["job_5"])
        #expect(try ids(JobQuery(accountID: mine, characterID: character, limit: 10)) == ["job_3"])
        #expect(try ids(JobQuery(errorCode: 1026, limit: 10)) == ["job_2"])
        #expect(
            try ids(
                JobQuery(
                    accountID: mine, createdFrom: start.addingTimeInterval(2),
                    createdBefore: start.addingTimeInterval(4),
                    limit: 10)) == ["job_3", "job_2"])
        // The operator's view: every account's.
        #expect(try ids(JobQuery(limit: 2)) == ["job_9", "job_5"])
        #expect(try ids(JobQuery(after: "job_9", limit: 1)) == ["job_5"])
        #expect(
            try store.jobs(matching: JobQuery(accountID: mine, limit: 10)).first { $0.id == "job_3" }?.characterID
                == character)
    }

    @Test("the engine that ran a job selects it", arguments: StoreKind.tested)
    func byEngine(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let account = try store.createAccount(name: "a", billing: .unmetered, limits: UsageLimits()).id
        var job = JobRecord(
            id: "job_ran", keyID: nil, dialect: .minimax, model: "image-01", parameters: "{}", createdAt: start)
        job.accountID = account
        _ = try store.enqueueJob(job, input: JobInput(request: "{}", reference: nil), admission: Admission())
        try record(store, "job_refused", account: account, seconds: 1)
        _ = try #require(try store.claimNextJob(engine: "upstream-a", at: start))
        #expect(try store.jobs(matching: JobQuery(engine: "upstream-a", limit: 10)).map(\.id) == ["job_ran"])
        #expect(try store.jobs(matching: JobQuery(engine: "upstream-b", limit: 10)).isEmpty)
    }
}

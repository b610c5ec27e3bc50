import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

@Suite("deleting an account in the store")
struct AccountDeletionStoreTests {
    let directory = temporaryDirectory()

    /// An account holding one of everything: a finished request with two images (one a file
    /// here, one left at a provider), a character, an upload, a key, and a balance.
    struct Holdings {
        var account: String
        var keyID: String
        var character: StoredCharacter
        var upload: StoredUpload
    }

    func holdings(_ books: Books, name: String) throws -> Holdings {
        let store = books.store
        let account = try store.createAccount(name: name, billing: .prepaid, limits: UsageLimits()).id
        _ = try store.topUp(accountID: account, paid: MicroDollars(1_000_000), fee: .zero, note: nil)
        let key = try store.createKey(name: name, accountID: account, role: .user, secret: nil, expiresAt: nil)
        let job = "\(name)-job"
        _ = try books.enqueue(books.job(job, account: account, key: key.key.id, count: 2))
        _ = try store.claimJob(id: job, engine: "preview", at: Date())
        var passthrough = books.image("\(name)-img2", job: job)
        passthrough.sourceURL = "https://provider.example/a.png"
        try store.completeJob(
            id: job, images: [books.image("\(name)-img1", job: job), passthrough], blockedCount: 0, engine: "preview",
            engineSeconds: 1, webhook: nil, at: Date())
        try store.appendLog(jobID: job, JobLogLine(at: Date(), source: .engine, message: "done"))
        let character = CharacterStoreTests.character(account: account, photos: 2)
        try store.insertCharacter(character, limit: 10)
        let upload = UploadStoreTests.upload(account: account, at: Date())
        try store.insertUpload(upload, quotaBytes: 1_000_000)
        return Holdings(account: account, keyID: key.key.id, character: character, upload: upload)
    }

    @Test(
        "everything personal goes in one step, the ledger stays and balances, another account keeps all of its own",
        arguments: StoreKind.tested)
    func deletesItsOwnOnly(_ kind: StoreKind) throws {
        let books = try Books(kind, in: directory)
        let store = books.store
        let leaving = try holdings(books, name: "leaving")
        let staying = try holdings(books, name: "staying")
        let balance = try #require(try store.account(id: leaving.account)?.balance)
        #expect(balance == MicroDollars(1_000_000) - books.price * 2)

        let deleted = try #require(try store.deleteAccount(id: leaving.account, at: Date()))
        #expect(deleted.refunded == balance)
        #expect(deleted.images == [StoredImage.File(id: "leaving-img1", format: .jpeg)])
        #expect(deleted.jobIDs == ["leaving-job"])
        #expect(deleted.characterIDs == [leaving.character.id])
        #expect(Set(deleted.characterPhotoIDs) == Set(leaving.character.photos.map(\.id)))
        #expect(deleted.uploadIDs == [leaving.upload.id])
        #expect(deleted.revokedKeys == 1)

        let account = try #require(try store.account(id: leaving.account))
        #expect(account.isDeleted && account.balance == .zero)
        #expect(
            try store.ledger(accountID: leaving.account, from: .distantPast, to: .distantFuture, limit: 100).last?.kind
                == .adjustment)
        #expect(try books.ledgerSum(leaving.account) == .zero)
        #expect(try store.job(id: "leaving-job") == nil)
        #expect(try store.logs(jobID: "leaving-job").isEmpty)
        #expect(try store.image(id: "leaving-img1") == nil && store.image(id: "leaving-img2") == nil)
        #expect(try store.characters(accountID: leaving.account, limit: 10, after: nil).isEmpty)
        #expect(try store.uploads(accountID: leaving.account, at: Date(), limit: 10).isEmpty)
        #expect(try store.listKeys(accountID: leaving.account).allSatisfy { $0.revokedAt != nil })
        #expect(try store.reconcileAccounts().isClean)

        #expect(try store.job(id: "staying-job") != nil && store.image(id: "staying-img1") != nil)
        #expect(try store.character(id: staying.character.id, accountID: staying.account) != nil)
        #expect(try store.uploadIDs() == [staying.upload.id])
        #expect(try store.characterPhotoIDs() == Set(staying.character.photos.map(\.id)))
        #expect(try store.account(id: staying.account)?.isDeleted == false)
    }

    @Test(
        "an account with a request queued is not deleted, and nothing is written; deleting again is harmless",
        arguments: StoreKind.tested)
    func refusedWhileUnfinished(_ kind: StoreKind) throws {
        let books = try Books(kind, in: directory)
        let store = books.store
        let holdings = try holdings(books, name: "busy")
        _ = try books.enqueue(books.job("waiting", account: holdings.account, key: holdings.keyID, count: 1))
        let ledgerRows = try store.ledger(
            accountID: holdings.account, from: .distantPast, to: .distantFuture, limit: 100)

        #expect(throws: StoreError.self) { try store.deleteAccount(id: holdings.account, at: Date()) }
        #expect(try store.account(id: holdings.account)?.isDeleted == false)
        #expect(
            try store.ledger(accountID: holdings.account, from: .distantPast, to: .distantFuture, limit: 100)
                == ledgerRows)
        #expect(try store.uploadIDs() == [holdings.upload.id])
        #expect(try store.listKeys(accountID: holdings.account).allSatisfy { $0.revokedAt == nil })

        _ = try store.claimJob(id: "waiting", engine: "preview", at: Date())
        try store.completeJob(
            id: "waiting", images: [], blockedCount: 0, engine: "preview", engineSeconds: 1, webhook: nil, at: Date())
        let deleted = try #require(try store.deleteAccount(id: holdings.account, at: Date()))
        #expect(Set(deleted.jobIDs) == ["busy-job", "waiting"])
        let again = try #require(try store.deleteAccount(id: holdings.account, at: Date()))
        #expect(again.jobIDs.isEmpty && again.refunded == .zero && again.revokedKeys == 0)
        #expect(again.account.deletedAt == deleted.account.deletedAt)
        #expect(try store.deleteAccount(id: "acct_missing", at: Date()) == nil)
    }
}

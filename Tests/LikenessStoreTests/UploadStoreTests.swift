import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

@Suite("uploads in the store")
struct UploadStoreTests {
    let directory = temporaryDirectory()
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func upload(account: String, bytes: Int = 1000, at date: Date = start, lifetime: TimeInterval = 3600)
        -> StoredUpload
    {
        StoredUpload(
            id: UploadID.prefix + Identifier.make(), accountID: account, fileName: "face.jpg",
            contentType: "image/jpeg", byteCount: bytes, width: 400, height: 500, purpose: "vision", createdAt: date,
            expiresAt: date.addingTimeInterval(lifetime))
    }

    @Test("an upload reads back for its own account until it expires", arguments: StoreKind.tested)
    func isolationAndExpiry(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store, name: "owner")
        let other = try account(store, name: "other")
        let stored = Self.upload(account: owner)
        try store.insertUpload(stored, quotaBytes: 10_000)
        #expect(try store.upload(id: stored.id, accountID: owner, at: Self.start) == stored)
        #expect(try store.upload(id: stored.id, accountID: other, at: Self.start) == nil)
        #expect(try store.deleteUpload(id: stored.id, accountID: other) == nil)
        #expect(try store.uploads(accountID: owner, at: Self.start, limit: 10) == [stored])
        let later = Self.start.addingTimeInterval(3601)
        #expect(try store.upload(id: stored.id, accountID: owner, at: later) == nil)
        #expect(try store.uploads(accountID: owner, at: later, limit: 10).isEmpty)
        #expect(try store.deleteExpiredUploads(at: later) == [stored.id])
        #expect(try store.uploadIDs().isEmpty)
    }

    @Test("the quota counts what is unexpired; a refused upload leaves nothing", arguments: StoreKind.tested)
    func quota(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store)
        try store.insertUpload(Self.upload(account: owner, bytes: 600), quotaBytes: 1000)
        let refused = Self.upload(account: owner, bytes: 600)
        #expect(throws: StoreError.self) { try store.insertUpload(refused, quotaBytes: 1000) }
        #expect(try !store.uploadIDs().contains(refused.id))
        // Once the first has expired its room is free again.
        let later = Self.upload(account: owner, bytes: 600, at: Self.start.addingTimeInterval(3601))
        try store.insertUpload(later, quotaBytes: 1000)
        // Another account has a quota of its own.
        try store.insertUpload(Self.upload(account: try account(store, name: "other"), bytes: 900), quotaBytes: 1000)
    }

    @Test("deleting returns the upload and removes its row", arguments: StoreKind.tested)
    func deletion(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store)
        let stored = Self.upload(account: owner)
        try store.insertUpload(stored, quotaBytes: 10_000)
        #expect(try store.deleteUpload(id: stored.id, accountID: owner) == stored)
        #expect(try store.uploadIDs().isEmpty)
        #expect(try store.deleteUpload(id: stored.id, accountID: owner) == nil)
    }
}

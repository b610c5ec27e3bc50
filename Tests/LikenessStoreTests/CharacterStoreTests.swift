import Foundation
import LikenessCore
import LikenessTestSupport
import Testing

@testable import LikenessStore

@Suite("characters in the store")
struct CharacterStoreTests {
    let directory = temporaryDirectory()

    static func character(
        account: String, name: String? = "Ada", photos: Int = 2,
        at date: Date = Date(timeIntervalSince1970: 1_800_000_000)
    ) -> StoredCharacter {
        StoredCharacter(
            id: CharacterID.prefix + Identifier.make(), accountID: account, name: name, createdAt: date,
            photos: (0..<photos).map { index in
                StoredCharacterPhoto(
                    id: Identifier.make(), contentType: "image/jpeg", byteCount: 1000 + index, width: 400,
                    height: 500, sealedFace: index == 0 ? Data([1, 2, 3]) : nil, faceWidth: index == 0 ? 120 : nil,
                    faceHeight: index == 0 ? 130 : nil, faceNote: index == 0 ? nil : "no face found in image_file[1]")
            })
    }

    @Test("a character reads back whole, photos in order, for its own account only", arguments: StoreKind.tested)
    func isolation(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store, name: "owner")
        let other = try account(store, name: "other")
        let stored = Self.character(account: owner, photos: 3)
        try store.insertCharacter(stored, limit: 10)
        #expect(try store.character(id: stored.id, accountID: owner) == stored)
        #expect(try store.character(id: stored.id, accountID: other) == nil)
        #expect(try store.characters(accountID: other, limit: 10, after: nil).isEmpty)
        // Another account cannot delete it either, and it is still there afterwards.
        #expect(try store.deleteCharacter(id: stored.id, accountID: other) == nil)
        #expect(try store.character(id: stored.id, accountID: owner)?.photos.map(\.id) == stored.photos.map(\.id))
    }

    @Test("the list is newest first and pages by the last id", arguments: StoreKind.tested)
    func paging(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let made = (0..<5).map { Self.character(account: owner, photos: 1, at: start.addingTimeInterval(Double($0))) }
        for character in made { try store.insertCharacter(character, limit: 10) }
        let newestFirst = made.reversed().map(\.id)
        let first = try store.characters(accountID: owner, limit: 2, after: nil)
        #expect(first.map(\.id) == Array(newestFirst.prefix(2)))
        let second = try store.characters(accountID: owner, limit: 2, after: first.last?.id)
        #expect(second.map(\.id) == Array(newestFirst[2..<4]))
        let last = try store.characters(accountID: owner, limit: 2, after: second.last?.id)
        #expect(last.map(\.id) == [newestFirst[4]])
        #expect(last.first?.photos.count == 1)
    }

    @Test("deleting returns the photos to remove and leaves no row behind", arguments: StoreKind.tested)
    func deletion(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store)
        let kept = Self.character(account: owner)
        let deleted = Self.character(account: owner)
        try store.insertCharacter(kept, limit: 10)
        try store.insertCharacter(deleted, limit: 10)
        #expect(try store.deleteCharacter(id: deleted.id, accountID: owner)?.photos == deleted.photos)
        #expect(try store.character(id: deleted.id, accountID: owner) == nil)
        #expect(try store.characterPhotoIDs() == Set(kept.photos.map(\.id)))
        #expect(try store.deleteCharacter(id: deleted.id, accountID: owner) == nil)
    }

    @Test(
        "an account past its limit is refused, and nothing of the refused character is kept",
        arguments: StoreKind.tested)
    func limit(_ kind: StoreKind) throws {
        let store = try kind.makeStore(in: directory)
        let owner = try account(store)
        try store.insertCharacter(Self.character(account: owner), limit: 2)
        try store.insertCharacter(Self.character(account: owner), limit: 2)
        let refused = Self.character(account: owner)
        #expect(throws: StoreError.self) { try store.insertCharacter(refused, limit: 2) }
        #expect(try store.character(id: refused.id, accountID: owner) == nil)
        #expect(try store.characterPhotoIDs().isDisjoint(with: refused.photos.map(\.id)))
        // Another account has a limit of its own.
        try store.insertCharacter(Self.character(account: try account(store, name: "other")), limit: 2)
    }
}

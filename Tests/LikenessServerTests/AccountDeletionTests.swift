import Foundation
import HTTPTypes
import LikenessCore
import LikenessStore
import LikenessTestSupport
import Testing

@testable import LikenessServer

/// `DELETE /v1/admin/accounts/{id}`: an account's personal data goes, with every file; its keys
/// stop working; its row and ledger stay as the books.
@Suite("deleting an account")
struct AccountDeletionTests {
    /// Every file under the data directory's object folders, by path.
    static func storedFiles(_ harness: Harness) -> Set<String> {
        let root = harness.directory.blobs.root
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var files = Set<String>()
        for case let url as URL in walk
        where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            files.insert(url.path)
        }
        return files
    }

    @Test("its characters, uploads, requests and images go, every file with them; another account's stay")
    func deletesEveryCopy() async throws {
        let harness = try Harness()
        let leaving = try harness.customer("leaving", credit: MicroDollars(5_000_000))
        let staying = try harness.customer("staying", billing: .unmetered)
        try await harness.test { client in
            _ = try await CharacterTests.create(client, key: staying.key, photos: [try CharacterTests.photo()])
            let kept = Self.storedFiles(harness)
            #expect(kept.count == 2)  // the photo and its thumbnail

            let character = try await CharacterTests.create(
                client, key: leaving.key, photos: [try CharacterTests.photo(), try CharacterTests.photo()])
            let characterID = try #require(character["id"] as? String)
            #expect(
                try await UploadTests.createFile(client, key: leaving.key, bytes: try CharacterTests.photo()).status
                    == .ok)
            try await client.generate(CharacterTests.native(characterID), key: leaving.key) { _, reply in
                #expect(reply.base_resp.status_code == 0)
            }
            // Two photos, two thumbnails, an upload and an image.
            #expect(Self.storedFiles(harness).subtracting(kept).count == 6)
            let before = try await client.send(.get, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key)
            let balance = try #require(before.object["balance_usd"] as? String)

            let deleted = try await client.send(.delete, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key)
            #expect(deleted.status == .ok)
            #expect(deleted.object["object"] as? String == "account.deleted")
            #expect(deleted.object["refunded_usd"] as? String == balance)
            #expect(deleted.object["requests"] as? Int == 1 && deleted.object["images"] as? Int == 1)
            #expect(deleted.object["characters"] as? Int == 1 && deleted.object["uploads"] as? Int == 1)
            #expect(deleted.object["revoked_keys"] as? Int == 1)
            #expect(Self.storedFiles(harness) == kept)

            let refused = try await client.send(
                .post, "/v1/image_generation", key: leaving.key, json: ["model": "image-01", "prompt": "a cat"])
            #expect(refused.nativeCode == 2049)
            let after = try await client.send(.get, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key)
            #expect(after.object["deleted_at"] is String && after.object["balance_usd"] as? String == "0.00")
            let ledger = try await client.send(
                .get, "/v1/admin/accounts/\(leaving.accountID)/ledger", key: harness.key)
            let rows = try #require(ledger.object["data"] as? [[String: Any]])
            #expect(
                rows.last?["kind"] as? String == "adjustment" && rows.last?["balance_after_usd"] as? String == "0.00")
            #expect(try harness.directory.store.characterPhotoIDs().count == 1)
            #expect(
                (try await client.send(.get, "/v1/characters", key: staying.key).object["data"] as? [Any])?.count == 1)
        }
    }

    @Test("a deleted account takes no credit and no new keys; deleting it again changes nothing")
    func deletedStaysDeleted() async throws {
        let harness = try Harness()
        let leaving = try harness.customer("leaving")
        try await harness.test { client in
            #expect(
                try await client.send(.delete, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key).status
                    == .ok)
            let credit = try await client.send(
                .post, "/v1/admin/accounts/\(leaving.accountID)/credits", key: harness.key, json: ["amount_usd": "5"])
            #expect(credit.status == .badRequest && credit.error["param"] as? String == "id")
            let key = try await client.send(
                .post, "/v1/admin/accounts/\(leaving.accountID)/keys", key: harness.key, json: [:])
            #expect(key.status == .badRequest)
            let again = try await client.send(.delete, "/v1/admin/accounts/\(leaving.accountID)", key: harness.key)
            #expect(again.status == .ok && again.object["revoked_keys"] as? Int == 0)
        }
    }

    @Test("the caller's own account, an unknown one, and a user key are refused")
    func refusals() async throws {
        let harness = try Harness()
        let customer = try harness.customer()
        try await harness.test { client in
            let own = try await client.send(
                .delete, "/v1/admin/accounts/\(try harness.houseAccountID())", key: harness.key)
            #expect(own.status == .badRequest && own.error["param"] as? String == "id")
            #expect(
                try await client.send(.delete, "/v1/admin/accounts/acct_unknown", key: harness.key).status == .notFound)
            let user = try await client.send(.delete, "/v1/admin/accounts/\(customer.accountID)", key: customer.key)
            #expect(user.status == .forbidden)
            #expect(try harness.directory.store.account(id: customer.accountID)?.isDeleted == false)
        }
    }
}

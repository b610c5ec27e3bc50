import Foundation

extension SQLStore {
    public func insertCharacter(_ character: StoredCharacter, limit: Int) throws {
        try database.transaction { transaction in
            // Two creations at once for one account must not both pass the count.
            try transaction.serialize("characters of \(character.accountID)")
            let count =
                try transaction.query(
                    "SELECT COUNT(*) FROM characters WHERE account_id = ?", [.text(character.accountID)]
                ).first?.integer(0) ?? 0
            guard count < limit else {
                throw StoreError(.refused, "the account already has \(count) characters, the most it may keep")
            }
            try transaction.execute(
                "INSERT INTO characters (id, account_id, name, created_at) VALUES (?, ?, ?, ?)",
                [
                    .text(character.id), .text(character.accountID), SQLValue(character.name),
                    SQLValue(character.createdAt),
                ])
            for (position, photo) in character.photos.enumerated() {
                try transaction.execute(
                    """
                    INSERT INTO character_photos (id, character_id, position, content_type, byte_count, width, height,
                    face, face_width, face_height, face_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(photo.id), .text(character.id), SQLValue(position), .text(photo.contentType),
                        SQLValue(photo.byteCount), SQLValue(photo.width), SQLValue(photo.height),
                        photo.sealedFace.map(SQLValue.blob) ?? .null, SQLValue(photo.faceWidth),
                        SQLValue(photo.faceHeight), SQLValue(photo.faceNote),
                    ])
            }
        }
    }

    public func character(id: String, accountID: String) throws -> StoredCharacter? {
        try database.transaction { transaction in
            try Self.characters(
                where: "c.id = ? AND c.account_id = ?", [.text(id), .text(accountID)], limit: 1, in: transaction
            ).first
        }
    }

    public func characters(accountID: String, limit: Int, after: String?) throws -> [StoredCharacter] {
        try database.transaction { transaction in
            guard let after else {
                return try Self.characters(
                    where: "c.account_id = ?", [.text(accountID)], limit: limit, in: transaction)
            }
            // Newest first: the page continues with what is older than `after` (ties by id).
            return try Self.characters(
                where: """
                    c.account_id = ? AND (c.created_at, c.id) < (SELECT created_at, id FROM characters
                    WHERE id = ? AND account_id = ?)
                    """, [.text(accountID), .text(after), .text(accountID)], limit: limit, in: transaction)
        }
    }

    public func deleteCharacter(id: String, accountID: String) throws -> StoredCharacter? {
        try database.transaction { transaction in
            guard
                let character = try Self.characters(
                    where: "c.id = ? AND c.account_id = ?", [.text(id), .text(accountID)], limit: 1, in: transaction
                ).first
            else { return nil }
            try transaction.execute("DELETE FROM character_photos WHERE character_id = ?", [.text(id)])
            try transaction.execute("DELETE FROM characters WHERE id = ?", [.text(id)])
            return character
        }
    }

    public func characterPhotoIDs() throws -> Set<String> {
        Set(try database.query("SELECT id FROM character_photos").compactMap { $0.text(0) })
    }

    private static func characters(
        where condition: String, _ parameters: [SQLValue], limit: Int, in transaction: any SQLTransaction
    ) throws -> [StoredCharacter] {
        var characters = try transaction.query(
            """
            SELECT c.id, c.account_id, c.name, c.created_at FROM characters AS c WHERE \(condition)
            ORDER BY c.created_at DESC, c.id DESC LIMIT ?
            """, parameters + [SQLValue(limit)]
        ).map { row in
            StoredCharacter(
                id: row.text(0) ?? "", accountID: row.text(1) ?? "", name: row.text(2),
                createdAt: row.date(3) ?? .distantPast, photos: [])
        }
        guard !characters.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: characters.count).joined(separator: ", ")
        let photos = try transaction.query(
            """
            SELECT character_id, id, content_type, byte_count, width, height, face, face_width, face_height,
            face_note FROM character_photos WHERE character_id IN (\(placeholders)) ORDER BY character_id, position
            """, characters.map { .text($0.id) })
        var byCharacter: [String: [StoredCharacterPhoto]] = [:]
        for row in photos {
            byCharacter[row.text(0) ?? "", default: []].append(
                StoredCharacterPhoto(
                    id: row.text(1) ?? "", contentType: row.text(2) ?? "", byteCount: Int(row.integer(3) ?? 0),
                    width: Int(row.integer(4) ?? 0), height: Int(row.integer(5) ?? 0), sealedFace: row.blob(6),
                    faceWidth: row.integer(7).map(Int.init), faceHeight: row.integer(8).map(Int.init),
                    faceNote: row.text(9)))
        }
        for index in characters.indices { characters[index].photos = byCharacter[characters[index].id] ?? [] }
        return characters
    }
}

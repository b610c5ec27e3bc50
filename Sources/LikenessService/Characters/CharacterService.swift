import Foundation
import LikenessCore
import LikenessEngines
import LikenessFaces
import LikenessImaging
import LikenessStore
import Logging

/// How many characters an account may keep.
package struct CharacterSettings: Sendable, Hashable {
    package var maximumPerAccount: Int

    package init(maximumPerAccount: Int = 100) {
        self.maximumPerAccount = maximumPerAccount
    }
}

/// A character's photos as the rules made them: each checked and stripped like any reference,
/// its face found once, a thumbnail made; sealed under the installation's secret, bound to the
/// account and the photo, and kept until the character is deleted. Every call names the caller's
/// account, and another account's character is not found.
package struct CharacterService: Sendable {
    let settings: CharacterSettings
    let repository: any CharacterRepository
    let blobs: any BlobStore
    let store: StoreCalls
    let intake: ReferenceIntake
    let identity: IdentityCheck
    let sealing: SealingKey
    let clock: WallClock
    let logger: Logger

    static let thumbnailSide = 256
    static let nameLength = 1...100

    package init(
        settings: CharacterSettings, repository: any CharacterRepository, blobs: any BlobStore, store: StoreCalls,
        intake: ReferenceIntake, identity: IdentityCheck, serverSecret: Data, clock: WallClock, logger: Logger
    ) {
        self.settings = settings
        self.repository = repository
        self.blobs = blobs
        self.store = store
        self.intake = intake
        self.identity = identity
        self.sealing = SealingKey(serverSecret: serverSecret, purpose: "likeness characters v1")
        self.clock = clock
        self.logger = logger
    }

    /// Stores a character from 1 to 5 photos of one person. Each is refused as any reference
    /// is (not an image, too large, a bad face per the reference check), named by its field.
    package func create(name: String?, photos: [SubjectReference], accountID: String) async throws(APIError)
        -> StoredCharacter
    {
        let name = try Self.validName(name)
        // The dialects refuse these first, naming their own fields.
        guard (1...CharacterBody.maximumPhotos).contains(photos.count) else {
            throw APIError.invalid("image_file", "must hold 1 to \(CharacterBody.maximumPhotos) photos")
        }
        var character = StoredCharacter(
            id: CharacterID.prefix + Identifier.make(), accountID: accountID, name: name, createdAt: clock.now(),
            photos: [])
        var written: [PrivateObject] = []
        do throws(APIError) {
            for photo in photos {
                let prepared = try await prepare(photo, accountID: accountID)
                for (object, bytes) in prepared.objects {
                    do {
                        try await blobs.writePrivate(bytes, as: object)
                    } catch {
                        logger.error("cannot store a character's photo", metadata: ["error": "\(error)"])
                        throw APIError(.systemError, "the character could not be stored; nothing was kept")
                    }
                    written.append(object)
                }
                character.photos.append(prepared.record)
            }
            let recorded = character
            do {
                try await store.writeRaw { [repository, limit = settings.maximumPerAccount] in
                    try repository.insertCharacter(recorded, limit: limit)
                }
            } catch let error as StoreError where error.kind == .refused {
                throw APIError(.usageLimitExceeded, error.message + "; delete one to make room")
            } catch {
                throw store.failure("record a character", error)
            }
        } catch {
            for object in written { await blobs.deletePrivate(object) }
            throw error
        }
        logger.info("character stored", metadata: ["character": "\(character.id)", "photos": "\(photos.count)"])
        return character
    }

    package func character(_ id: String, accountID: String) async throws(APIError) -> StoredCharacter {
        let found = try await store.read("read a character") { [repository] in
            try repository.character(id: id, accountID: accountID)
        }
        guard let found else { throw Self.notFound(id) }
        return found
    }

    package func characters(accountID: String, limit: Int, after: String?) async throws(APIError)
        -> [StoredCharacter]
    {
        try await store.read("list characters") { [repository] in
            try repository.characters(accountID: accountID, limit: limit, after: after)
        }
    }

    /// Deletes the character's rows, then its photos and thumbnails (a crash between the two
    /// leaves objects that the next start's sweep removes).
    package func delete(_ id: String, accountID: String) async throws(APIError) -> StoredCharacter {
        let deleted = try await store.write("delete a character") { [repository] in
            try repository.deleteCharacter(id: id, accountID: accountID)
        }
        guard let deleted else { throw Self.notFound(id) }
        for object in deleted.photos.flatMap({ PrivateObject.characterObjects(photoID: $0.id) }) {
            await blobs.deletePrivate(object)
        }
        logger.info("character deleted", metadata: ["character": "\(id)"])
        return deleted
    }

    /// A photo's thumbnail (JPEG), opened.
    package func thumbnail(of id: String, photo index: Int, accountID: String) async throws(APIError) -> Data {
        let character = try await character(id, accountID: accountID)
        guard character.photos.indices.contains(index) else {
            throw APIError(.invalidParameters, "character \(id) has no photo \(index)", reason: .notFound)
        }
        return try await open(.characterThumbnail(photoID: character.photos[index].id), accountID: accountID)
    }

    /// What a generation draws from and scores against: the first photo's bytes, and the face of
    /// every photo that has one. `field` names the reference as the caller sent it.
    func subject(_ id: CharacterID, accountID: String?, field: String) async throws(APIError) -> (
        photo: Data, reference: IdentityCheck.Reference
    ) {
        guard let accountID else { throw Self.notFound(id.rawValue, field: field) }
        let character: StoredCharacter
        do {
            character = try await self.character(id.rawValue, accountID: accountID)
        } catch {
            throw error.reason == .notFound ? Self.notFound(id.rawValue, field: field) : error
        }
        guard let first = character.photos.first else { throw Self.notFound(id.rawValue, field: field) }
        let photo = try await open(.characterPhoto(photoID: first.id), accountID: accountID)
        var faces: [FaceDescriptor] = []
        for stored in character.photos {
            guard let sealed = stored.sealedFace else { continue }
            guard let bytes = try? sealing.open(sealed, boundTo: Self.faceOwner(accountID, stored.id)),
                let face = FaceDescriptor(bytes: bytes)
            else {
                logger.error("a character's face does not open", metadata: ["character": "\(id)"])
                continue
            }
            faces.append(face)
        }
        let note = faces.isEmpty && identity.scorer != nil ? "no face found in the character's photos" : nil
        return (photo, IdentityCheck.Reference(face: SubjectFaces(faces), note: note))
    }

    /// Only an existing character of the caller's: checked as a request is admitted.
    func requireExists(_ id: CharacterID, accountID: String, field: String) async throws(APIError) {
        let found = try await store.read("read a character") { [repository] in
            try repository.character(id: id.rawValue, accountID: accountID) != nil
        }
        guard found else { throw Self.notFound(id.rawValue, field: field) }
    }

    // MARK: Photos

    private struct PreparedPhoto {
        var record: StoredCharacterPhoto
        var objects: [(PrivateObject, Data)]
    }

    /// Intake (type, size, header limits, metadata stripped), the face check, the thumbnail, the seal.
    private func prepare(_ photo: SubjectReference, accountID: String) async throws(APIError) -> PreparedPhoto {
        let bytes = try await intake.load(photo)
        let examined = try await identity.examine(reference: bytes, field: photo.field, logger: logger)
        let (header, thumbnail): (ImageHeader, Data)
        do {
            (header, thumbnail) = try await RenderThreads.run { [limits = intake.limits] in
                (
                    try ImageHeader(probing: bytes),
                    try RasterImage.fitting(decoding: bytes, within: Self.thumbnailSide, limits: limits)
                        .encoded(as: .jpeg(quality: 85))
                )
            }
        } catch {
            throw APIError(.internalError, "a thumbnail of \(photo.field) could not be made")
        }
        let id = Identifier.make()
        let owner = Self.photoOwner(accountID, id)
        do {
            var record = StoredCharacterPhoto(
                id: id, contentType: header.format == .png ? "image/png" : "image/jpeg", byteCount: bytes.count,
                width: header.width, height: header.height, faceWidth: examined.faceSize?.width,
                faceHeight: examined.faceSize?.height, faceNote: examined.note)
            if let face = examined.face?.centroid {
                record.sealedFace = try sealing.seal(face.bytes, boundTo: Self.faceOwner(accountID, id))
            }
            return PreparedPhoto(
                record: record,
                objects: [
                    (.characterPhoto(photoID: id), try sealing.seal(bytes, boundTo: owner)),
                    (.characterThumbnail(photoID: id), try sealing.seal(thumbnail, boundTo: owner + " thumbnail")),
                ])
        } catch {
            throw APIError(.internalError, "the character's photo could not be sealed")
        }
    }

    private func open(_ object: PrivateObject, accountID: String) async throws(APIError) -> Data {
        let sealed: Data?
        do {
            sealed = try await blobs.readPrivate(object)
        } catch {
            logger.error("cannot read a character's photo", metadata: ["error": "\(error)"])
            throw APIError(.systemError, "the character's photo could not be read")
        }
        var owner = Self.photoOwner(accountID, object.id)
        if case .characterThumbnail = object { owner += " thumbnail" }
        guard let sealed, let opened = try? sealing.open(sealed, boundTo: owner) else {
            logger.error("a character's photo is missing or does not open", metadata: ["object": "\(object.name)"])
            throw APIError(.systemError, "the character's photo could not be read")
        }
        return opened
    }

    private static func photoOwner(_ accountID: String, _ photoID: String) -> String {
        "\(accountID) \(photoID)"
    }

    private static func faceOwner(_ accountID: String, _ photoID: String) -> String {
        "\(accountID) \(photoID) face"
    }

    static func validName(_ name: String?) throws(APIError) -> String? {
        guard let name = name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else { return nil }
        guard Self.nameLength.contains(name.count), name.unicodeScalars.allSatisfy({ $0.isVisible || $0 == " " })
        else {
            throw APIError.invalid("name", "must be 1 to 100 visible characters")
        }
        return name
    }

    package static func notFound(_ id: String, field: String? = nil) -> APIError {
        APIError(.invalidParameters, "no character with id \(id)", field: field, reason: .notFound)
    }
}

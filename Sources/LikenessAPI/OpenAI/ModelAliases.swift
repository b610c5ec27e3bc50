import Foundation
import LikenessCore

/// Public model names and the MiniMax model each one means.
public struct ModelAliases: Sendable, Hashable {
    public private(set) var names: [String: ImageModel]

    /// The names gateways and SDKs already use for image-01 (amux, AIgateway, LiteLLM, MiniMax).
    public static let standard = ModelAliases(names: [
        "image-01": .image01, "MiniMax-Image-01": .image01, "minimax/image-01": .image01,
        "minimax/minimax-image-01-subject-reference": .image01,
        "image-01-live": .image01Live, "MiniMax-Image-01-live": .image01Live,
    ])

    public init(names: [String: ImageModel]) {
        self.names = names
    }

    /// Adds `name=model` pairs (`"team-default=image-01"`); later pairs win.
    public func adding(_ pairs: [String]) throws(APIError) -> ModelAliases {
        var copy = self
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let model = ImageModel(rawValue: parts[1]) else {
                throw APIError(.invalidParameters, "model alias \(pair) is not name=image-01 or name=image-01-live")
            }
            copy.names[parts[0]] = model
        }
        return copy
    }

    public func model(named name: String) -> ImageModel? {
        names[name]
    }
}

import Foundation
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService

/// `GET /v1/models` and `GET /v1/models/{id}`: every name the OpenAI dialect accepts as `model`,
/// in OpenAI's shape, so `client.models.list()` works; an unknown id is 404 `model_not_found`.
/// Prices are the calling account's.
struct ModelsController: Sendable {
    let aliases: ModelAliases
    /// Each model's route: tiers of engine names.
    let engines: [ImageModel: [[String]]]
    let accounts: AccountsService
    let support: RequestSupport

    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.get("/v1/models", use: list)
        // Ids may hold slashes (`minimax/image-01`): sent as they are, or escaped (`%2F`, as the
        // openai SDK sends them).
        routes.get("/v1/models/**", use: show)
        return routes
    }

    @Sendable func list(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        support.response(
            Rendered(status: .ok, body: OpenAIModelList.listData(try entries(for: context))), context: context)
    }

    @Sendable func show(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let path = context.parameters.getCatchAll().joined(separator: "/")
        let id = path.removingPercentEncoding ?? path
        guard let entry = try entries(for: context).first(where: { $0.id == id }) else {
            throw APIError(.invalidParameters, "the model '\(id)' does not exist on this server", reason: .unknownModel)
        }
        return support.response(Rendered(status: .ok, body: OpenAIModelList.modelData(entry)), context: context)
    }

    /// Sorted by id.
    func entries(for context: LikenessRequestContext) throws(APIError) -> [OpenAIModelList.Entry] {
        let prices = accounts.prices(for: try context.requireCaller().account)
        return aliases.names.sorted { $0.key < $1.key }.map { name, model in
            OpenAIModelList.Entry(
                id: name, model: model, pricePerImage: prices[model] ?? .zero, engines: engines[model] ?? [])
        }
    }
}

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
    let dialect = OpenAIDialect()

    func addRoutes(to router: some RouterMethods<LikenessRequestContext>) {
        router.get("/v1/models") { _, context in
            await answer(context) { () throws(APIError) in
                OpenAIModelList.listData(try entries(for: context))
            }
        }
        // Ids may hold slashes (`minimax/image-01`): sent as they are, or escaped (`%2F`, as the
        // openai SDK sends them).
        router.get("/v1/models/**") { _, context in
            await answer(context) { () throws(APIError) in
                let path = context.parameters.getCatchAll().joined(separator: "/")
                let id = path.removingPercentEncoding ?? path
                guard let entry = try entries(for: context).first(where: { $0.id == id }) else {
                    throw APIError(
                        .invalidParameters, "the model '\(id)' does not exist on this server", reason: .unknownModel)
                }
                return OpenAIModelList.modelData(entry)
            }
        }
    }

    /// Sorted by id.
    func entries(for context: LikenessRequestContext) throws(APIError) -> [OpenAIModelList.Entry] {
        let prices = accounts.prices(for: try context.requireCaller().account)
        return aliases.names.sorted { $0.key < $1.key }.map { name, model in
            OpenAIModelList.Entry(
                id: name, model: model, pricePerImage: prices[model] ?? .zero, engines: engines[model] ?? [])
        }
    }

    private func answer(_ context: LikenessRequestContext, _ body: () throws(APIError) -> Data) async -> Response {
        do throws(APIError) {
            return support.response(Rendered(status: .ok, body: try body()), context: context)
        } catch {
            return support.response(dialect.failure(error, id: context.requestID), context: context)
        }
    }
}

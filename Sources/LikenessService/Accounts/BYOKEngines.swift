import AsyncHTTPClient
import Crypto
import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore
import Logging
import Synchronization

/// The engines that serve accounts with their own MiniMax key: one MiniMax engine per account,
/// paced as MiniMax limits that account (`byok.requestsPerMinute`), with the usual retries.
/// Built when an account's first BYOK job runs, and again when its key changes.
package final class BYOKEngines: Sendable {
    private let accounts: any AccountRepository
    private let vault: CredentialVault
    private let client: HTTPClient
    private let settings: BillingSettings
    private let store: StoreCalls
    /// A fleet's shared schedule: replicas together keep to each account's rate.
    private let pacing: (any PacingSchedule)?
    private var logger: Logger { store.logger }
    /// By account: a digest of the key and base URL it was built for, and the engine.
    private let engines = Mutex<[String: (digest: String, engine: EngineRouter)]>([:])

    package init(
        accounts: any AccountRepository, vault: CredentialVault, client: HTTPClient, settings: BillingSettings,
        store: StoreCalls, pacing: (any PacingSchedule)? = nil
    ) {
        self.pacing = pacing
        self.accounts = accounts
        self.vault = vault
        self.client = client
        self.settings = settings
        self.store = store
    }

    /// The engine for the account's key now; a failure (the key was removed after the job was
    /// queued, or cannot be opened) is the caller's to see.
    func engine(accountID: String) async throws(APIError) -> EngineRouter {
        let stored = try await store.read("read an account's MiniMax key") { [accounts] in
            try accounts.sealedMiniMaxKey(accountID: accountID).map { SealedKey(sealed: $0.sealed, region: $0.region) }
        }
        guard let stored else {
            throw APIError(
                .invalidAPIKey, "the account's own MiniMax key was removed before this request ran; nothing was charged"
            )
        }
        let key: String
        do {
            key = try vault.open(stored.sealed, accountID: accountID)
        } catch {
            logger.error("cannot open a BYOK key", metadata: ["account": "\(accountID)"])
            throw APIError(.systemError, "the account's MiniMax key cannot be opened; attach it again")
        }
        let baseURL =
            settings.byokBaseURL
            ?? (stored.region == "cn" ? MiniMaxEngine.mainlandBaseURL : MiniMaxEngine.globalBaseURL)
        let digest = SHA256.hash(data: Data((baseURL + "\n" + key).utf8)).description
        return engines.withLock { engines in
            if let cached = engines[accountID], cached.digest == digest { return cached.engine }
            let endpoint = UpstreamEndpoint(name: "minimax-byok", baseURL: baseURL, apiKey: key)
            let pacer = UpstreamPacer(
                limits: UpstreamPacer.Limits(
                    requestsPerMinute: settings.byokRequestsPerMinute > 0 ? settings.byokRequestsPerMinute : nil,
                    maximumConcurrent: 5),
                shared: pacing.map {
                    UpstreamPacer.SharedSchedule(
                        account: SharedPacing.account(kind: "minimax", baseURL: baseURL, apiKey: key), schedule: $0)
                })
            // The account's own key: a refusal is the caller's to see and fix, every time.
            let step = RouteStep(
                engine: MiniMaxEngine(endpoint: endpoint, client: client), pacer: pacer,
                health: AccountHealth(settings: .alwaysIn))
            let engine = EngineRouter(serving: ImageModel.allCases, with: step, logger: logger)
            engines[accountID] = (digest, engine)
            return engine
        }
    }
}

/// Stands in for an engine that cannot be had (a BYOK key that is gone): the job it is given
/// fails with `error`, through the worker's usual path, so it is settled and reported once.
struct UnavailableEngine: ImageEngine {
    let name: String
    let error: APIError

    func generate(_ job: EngineJob, progress: @escaping @Sendable (EngineProgress) -> Void) async throws
        -> EngineOutput
    {
        throw error
    }
}

/// An account's own key as stored: sealed, with its region.
private struct SealedKey: Sendable {
    var sealed: Data
    var region: String
}

import Configuration
import Foundation
import LikenessCore
import LikenessStore

/// Prices, the top-up fee, request limits and bring-your-own-key settings. README, "Accounts,
/// credits and limits", documents every key.
public struct BillingSettings: Sendable, Hashable {
    /// `likeness.prices.<model>`: US dollars per delivered image (`0.010`, the default for both
    /// models).
    public var prices: [ImageModel: MicroDollars]
    /// `likeness.billing.topUpFeePercent` (5): taken from each top-up, never per call. A top-up
    /// of P credits P − round(P × percent / 100) (half up, to the micro-dollar).
    public var topUpFeeBasisPoints: Int64
    /// `likeness.limits.key.requestsPerMinute` (60), `likeness.limits.key.concurrentJobs` (8):
    /// for keys that set none. 0 is unlimited.
    public var keyLimits: UsageLimits
    /// `likeness.limits.account.requestsPerMinute` (120), `likeness.limits.account.concurrentJobs`
    /// (16): for accounts that set none.
    public var accountLimits: UsageLimits
    /// `likeness.idempotency.windowSeconds` (86400): how long an `Idempotency-Key` is remembered.
    public var idempotencyWindow: TimeInterval
    /// `likeness.byok.minimaxBaseUrl`: where BYOK requests go, for every account (a test
    /// simulator, a proxy). Default: the host of the key's region.
    public var byokBaseURL: String?
    /// `likeness.byok.requestsPerMinute` (10, MiniMax's limit per account): pacing of each
    /// account's own key.
    public var byokRequestsPerMinute: Int
    /// `likeness.keys.cacheSeconds` (2; 0 turns the cache off): how long a checked key is
    /// trusted without reading the store again. A key revoked or an account changed through
    /// this server counts at once; through the `likeness` command or another replica, within
    /// this bound.
    public var keyCacheLifetime: Duration

    public static let defaultPrice = MicroDollars(10_000)

    public init(
        prices: [ImageModel: MicroDollars] = Dictionary(
            uniqueKeysWithValues: ImageModel.allCases.map { ($0, BillingSettings.defaultPrice) }),
        topUpFeeBasisPoints: Int64 = 500,
        keyLimits: UsageLimits = UsageLimits(requestsPerMinute: 60, concurrentJobs: 8),
        accountLimits: UsageLimits = UsageLimits(requestsPerMinute: 120, concurrentJobs: 16),
        idempotencyWindow: TimeInterval = 86_400, byokBaseURL: String? = nil, byokRequestsPerMinute: Int = 10,
        keyCacheLifetime: Duration = .seconds(2)
    ) {
        self.keyCacheLifetime = keyCacheLifetime
        self.prices = prices
        self.topUpFeeBasisPoints = topUpFeeBasisPoints
        self.keyLimits = keyLimits
        self.accountLimits = accountLimits
        self.idempotencyWindow = idempotencyWindow
        self.byokBaseURL = byokBaseURL
        self.byokRequestsPerMinute = byokRequestsPerMinute
    }

    package init(reader: ConfigReader) throws {
        let settings = reader.scoped(to: "likeness")
        var prices: [ImageModel: MicroDollars] = [:]
        for model in ImageModel.allCases {
            let key = ConfigKey(["prices", model.rawValue])
            guard let text = settings.string(forKey: key) else {
                prices[model] = Self.defaultPrice
                continue
            }
            guard let price = MicroDollars(usd: text), price >= .zero else {
                throw ConfigurationError("likeness.prices.\(model.rawValue) must be a dollar amount like 0.010")
            }
            prices[model] = price
        }
        let feeText = settings.string(forKey: "billing.topUpFeePercent") ?? "5"
        // A percentage with up to four decimals is a whole number of micro-units of percent;
        // basis points are that over 10 000.
        guard let fee = MicroDollars(usd: feeText), fee >= .zero, fee.value <= 100 * MicroDollars.perDollar,
            fee.value % 10_000 == 0
        else {
            throw ConfigurationError("likeness.billing.topUpFeePercent must be a percentage in 0...100, like 5 or 2.5")
        }
        func limits(_ scope: String, rate: Int, jobs: Int) -> UsageLimits {
            UsageLimits(
                requestsPerMinute: max(
                    0, settings.int(forKey: ConfigKey(["limits", scope, "requestsPerMinute"]), default: rate)),
                concurrentJobs: max(
                    0, settings.int(forKey: ConfigKey(["limits", scope, "concurrentJobs"]), default: jobs)))
        }
        let base = settings.string(forKey: "byok.minimaxBaseUrl")
        self.init(
            prices: prices, topUpFeeBasisPoints: fee.value / 10_000,
            keyLimits: limits("key", rate: 60, jobs: 8), accountLimits: limits("account", rate: 120, jobs: 16),
            idempotencyWindow: TimeInterval(
                max(60, settings.int(forKey: "idempotency.windowSeconds", default: 86_400))),
            byokBaseURL: base.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            byokRequestsPerMinute: max(0, settings.int(forKey: "byok.requestsPerMinute", default: 10)),
            keyCacheLifetime: .milliseconds(
                Int64(1000 * min(60, max(0, settings.double(forKey: "keys.cacheSeconds", default: 2))))))
    }

    /// The configured price of one image of `model`; what an account pays is `Billing.price(_:for:)`.
    public func price(_ model: ImageModel) -> MicroDollars {
        prices[model] ?? Self.defaultPrice
    }
}

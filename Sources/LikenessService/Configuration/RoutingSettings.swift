import Configuration
import Foundation
import LikenessCore
import LikenessEngines
import LikenessUpstream

/// Which engines serve each model: `likeness.engines`, `likeness.engine.<name>.*` and
/// `likeness.routes.<model>`. Nil in `LikenessConfiguration` when nothing is configured: the
/// preview engine serves then. README, "Upstream engines", documents every key.
///
/// A route is a list of tiers tried in order, each a pool of engines joined by `|`:
/// `minimax-a|minimax-b,fal` is a pool of two MiniMax accounts, then fal.
///
/// With no `likeness.engines` but `MINIMAX_API_KEY` set, one engine named `minimax` serves
/// both models (`MINIMAX_REGION` `global` (default) or `cn`, or `MINIMAX_BASE_URL`).
public struct RoutingSettings: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case minimax, fal, openai, preview
    }

    public struct Engine: Sendable {
        public var name: String
        public var kind: Kind
        public var baseURL: String
        public var apiKey: String?
        public var requestTimeout: Duration
        public var limits: UpstreamPacer.Limits
        public var retry: RetryPolicy
        public var results: ResultDelivery
        /// What the operator pays the provider per image, in US dollars (logged as
        /// `upstream_cost_usd` with each upstream success).
        public var priceUSD: Double?
        /// OpenAI-compatible only: the upstream's model name, and how the reference travels.
        public var upstreamModel: String
        public var referenceTransport: OpenAIUpstream.ReferenceTransport
        /// fal only: time between status polls.
        public var pollInterval: Duration
        /// Its share of light traffic among the idle members of its pool.
        public var weight: Int
        /// When its account is taken out of placement, and for how long.
        public var health: AccountHealth.Settings
    }

    public var engines: [Engine]
    /// Engine names by model: tiers in the order they are tried, each a pool.
    public var routes: [ImageModel: [[String]]]

    /// Nil when no engine is configured.
    public static func read(_ root: ConfigReader) throws -> RoutingSettings? {
        let settings = root.scoped(to: "likeness")
        let names = settings.stringArray(forKey: "engines") ?? []
        var engines: [Engine]
        if names.isEmpty {
            guard let miniMax = try shortcutMiniMax(root) else { return nil }
            engines = [miniMax]
        } else {
            engines = try names.map { name in try engine(name, settings.scoped(to: ConfigKey(["engine", name]))) }
        }
        var routes: [ImageModel: [[String]]] = [:]
        for model in ImageModel.allCases {
            let key = "likeness.routes.\(model.rawValue)"
            let tiers =
                try settings.stringArray(forKey: ConfigKey(["routes", model.rawValue]))?.map { tier in
                    try poolMembers(tier, key: key)
                } ?? engines.map { [$0.name] }
            for name in tiers.joined() where !engines.contains(where: { $0.name == name }) {
                throw ConfigurationError("\(key) names \(name), which is not in likeness.engines")
            }
            routes[model] = tiers
        }
        engines = engines.filter { engine in routes.values.contains { $0.joined().contains(engine.name) } }
        return RoutingSettings(engines: engines, routes: routes)
    }

    /// The requests the first tiers of all routes can have in flight at once, at most 64.
    package var firstTierConcurrency: Int {
        let names = Set(routes.values.compactMap(\.first).joined())
        let total = engines.filter { names.contains($0.name) }.reduce(0) { $0 + min(64, $1.limits.maximumConcurrent) }
        return min(64, total)
    }

    /// One tier of a route: engine names joined by `|`, each named once.
    private static func poolMembers(_ tier: String, key: String) throws -> [String] {
        let names = tier.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !names.contains(where: \.isEmpty) else {
            throw ConfigurationError("\(key) has an empty engine name in \"\(tier)\"")
        }
        guard Set(names).count == names.count else {
            throw ConfigurationError("\(key) names an engine twice in the pool \"\(tier)\"")
        }
        return names
    }

    private static func engine(_ name: String, _ keys: ConfigReader) throws -> Engine {
        guard let kindName = keys.string(forKey: "kind"), let kind = Kind(rawValue: kindName) else {
            throw ConfigurationError(
                "likeness.engine.\(name).kind must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let defaultBase: String? =
            switch kind {
            case .minimax:
                keys.string(forKey: "region") == "cn" ? MiniMaxEngine.mainlandBaseURL : MiniMaxEngine.globalBaseURL
            case .fal: FalEngine.queueBaseURL
            case .openai, .preview: nil
            }
        guard let baseURL = keys.string(forKey: "baseUrl") ?? defaultBase ?? (kind == .preview ? "" : nil) else {
            throw ConfigurationError("likeness.engine.\(name).baseUrl is required for a \(kind.rawValue) engine")
        }
        var apiKey = keys.string(forKey: "apiKey", isSecret: true)
        if apiKey == nil, let file = keys.string(forKey: "apiKeyFile") {
            do {
                apiKey = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            } catch {
                throw ConfigurationError("likeness.engine.\(name).apiKeyFile cannot be read: \(error)")
            }
        }
        if apiKey == nil && (kind == .minimax || kind == .fal) {
            throw ConfigurationError("likeness.engine.\(name) needs apiKey or apiKeyFile")
        }
        // It travels as an HTTP header value: anything else would fail every request, at run time.
        if let apiKey, !apiKey.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            throw ConfigurationError("likeness.engine.\(name).apiKey must be visible ASCII characters")
        }
        let results = keys.string(forKey: "results").map { ResultDelivery(rawValue: $0) } ?? .rehost
        guard let results else {
            throw ConfigurationError("likeness.engine.\(name).results must be rehost or passthrough")
        }
        let transportName = keys.string(forKey: "reference") ?? OpenAIUpstream.ReferenceTransport.edits.rawValue
        guard let transport = OpenAIUpstream.ReferenceTransport(rawValue: transportName) else {
            throw ConfigurationError("likeness.engine.\(name).reference must be edits or subject-reference")
        }
        // MiniMax allows 10 image requests a minute per account; other providers publish no limit.
        let defaultRate: Int? = kind == .minimax ? 10 : nil
        let rate = keys.int(forKey: "requestsPerMinute") ?? defaultRate
        return Engine(
            name: name, kind: kind, baseURL: baseURL, apiKey: apiKey,
            requestTimeout: .seconds(keys.int(forKey: "timeoutSeconds", default: 120)),
            limits: UpstreamPacer.Limits(
                requestsPerMinute: rate.flatMap { $0 > 0 ? $0 : nil }, burst: keys.int(forKey: "burst", default: 1),
                maximumConcurrent: keys.int(forKey: "maxConcurrent", default: kind == .minimax ? 5 : 64)),
            retry: RetryPolicy(
                maximumAttempts: keys.int(forKey: "retry.maxAttempts", default: 4),
                initialBackoff: .milliseconds(keys.int(forKey: "retry.initialBackoffMs", default: 500)),
                maximumBackoff: .seconds(keys.int(forKey: "retry.maxBackoffSeconds", default: 30)),
                maximumElapsed: .seconds(keys.int(forKey: "retry.maxSeconds", default: 120))),
            results: results, priceUSD: keys.double(forKey: "priceUsd"),
            upstreamModel: keys.string(forKey: "model", default: ""), referenceTransport: transport,
            pollInterval: .milliseconds(keys.int(forKey: "pollIntervalMs", default: 500)),
            weight: max(1, keys.int(forKey: "weight", default: 1)),
            health: AccountHealth.Settings(
                failureThreshold: keys.int(forKey: "health.failureThreshold", default: 5),
                cooldown: .seconds(keys.int(forKey: "health.cooldownSeconds", default: 30)),
                maximumCooldown: .seconds(keys.int(forKey: "health.maxCooldownSeconds", default: 600))))
    }

    /// `MINIMAX_API_KEY` alone: MiniMax serves both models.
    private static func shortcutMiniMax(_ root: ConfigReader) throws -> Engine? {
        let miniMax = root.scoped(to: "minimax")
        guard let key = miniMax.string(forKey: "apiKey", isSecret: true), !key.isEmpty else { return nil }
        let keys = ConfigReader(
            provider: InMemoryProvider(
                name: "minimax shortcut",
                values: [
                    "kind": "minimax", "apiKey": .init(.string(key), isSecret: true),
                    "region": .init(.string(miniMax.string(forKey: "region", default: "global")), isSecret: false),
                ]))
        var engine = try engine("minimax", keys)
        if let base = miniMax.string(forKey: "baseUrl") {
            engine.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return engine
    }
}

import Configuration
import Foundation
import LikenessAPI
import LikenessCore
import LikenessService
import Logging

/// Every setting of `likeness serve`, read through swift-configuration. Each key is read from
/// the command line first (where `serve` has a flag) and then from the environment, where the
/// key `likeness.fooBar` is the variable `LIKENESS_FOO_BAR`. The README's table lists them all.
public struct LikenessConfiguration: Sendable {
    /// `likeness.host`: the address to listen on. Default `127.0.0.1`.
    public var host: String
    /// `likeness.port`: default 8080; 0 picks a free port.
    public var port: Int
    /// `likeness.dataDir`: database, images and secrets. Default `./.likeness`.
    public var dataDirectory: String
    /// `likeness.publicUrl`: the base of image URLs (`https://img.example.com`). Default: the
    /// scheme-less `Host` of each request, as `http://<host>`.
    public var publicURL: String?
    /// `likeness.apiKey`: the first API key, adopted on first start instead of a generated one.
    public var firstAPIKey: String?
    /// `likeness.imageUrlTtlSeconds`: how long image URLs work. Default 86400 (24 hours).
    public var imageURLLifetime: Duration
    /// `likeness.janitorIntervalSeconds`: how often expired images are deleted. Default 60.
    public var janitorInterval: Duration
    /// `likeness.maxBodyBytes`: the largest request body. Default 16 MiB (a 10 MB reference as base64).
    public var maximumBodyBytes: Int
    /// `likeness.maxConcurrentJobs`: queue workers, so generations running at once. Default: the
    /// number of cores, or with upstream engines the first tiers' summed `maxConcurrent` (at most
    /// 64) when that is more.
    /// With `LIKENESS_DATABASE_URL`, 0 makes a replica that takes requests and runs none.
    public var maximumConcurrentJobs: Int
    /// `likeness.queue.maxQueuedJobs` (1000): past this many waiting jobs, new ones are refused
    /// as rate limited. `likeness.queue.maxAttempts` (3): how many times a job interrupted by a
    /// crash is started before it fails. `likeness.queue.syncWaitSeconds` (60): how long a
    /// synchronous request may wait to start before it is answered as rate limited.
    public var queue: QueueSettings
    /// `likeness.characters.maxPerAccount` (100): how many characters one account may keep.
    package var characters: CharacterSettings
    /// `likeness.uploads.lifetimeHours` (24): how long an uploaded file is kept.
    /// `likeness.uploads.quotaMegabytes` (200): how much one account's unexpired uploads may hold.
    package var uploads: UploadSettings
    /// `likeness.webhooks.maxAttempts` (8), `likeness.webhooks.initialBackoffSeconds` (2, doubled
    /// after each failure up to 300), `likeness.webhooks.timeoutSeconds` (10),
    /// `likeness.webhooks.allowPrivateNetworks` (false), `likeness.webhooks.retiredKeySeconds` (how long
    /// a rotated-out fal signing key stays in the JWKS; default: `WebhookSettings.retryWindow`).
    public var webhooks: WebhookSettings
    /// `likeness.fetch.allowPrivateNetworks`, `likeness.fetch.timeoutSeconds` (15),
    /// `likeness.fetch.maxRedirects` (3): reference URL fetching.
    public var fetch: FetchSettings
    /// `likeness.safety.blockedPhrases` (comma-separated) or `likeness.safety.phrasesFile` (one
    /// phrase a line) replace the default prompt policy list.
    public var promptPolicy: PromptPolicy
    /// `likeness.logLevel`: trace, debug, info (default), notice, warning, error, critical.
    public var logLevel: Logger.Level
    /// `likeness.accessLog`: the level of the one line logged per request (default `info`), or
    /// `off`.
    public var accessLogLevel: Logger.Level?
    /// `likeness.metrics.access` and `likeness.metrics.address`: who may read `/metrics`.
    public var metrics: MetricsSettings
    /// `likeness.tls.certificate` and `likeness.tls.privateKey`: PEM files. With both, `serve`
    /// speaks HTTPS only (fal's clients, for one, speak nothing else); with neither, plain HTTP.
    public var tls: TLSFiles?
    /// `likeness.modelAliases`: extra public model names, `name=image-01,other=image-01-live`,
    /// added to the standard ones (`ModelAliases.standard`).
    public var modelAliases: ModelAliases
    /// `likeness.engines`, `likeness.engine.<name>.*`, `likeness.routes.<model>`, or just
    /// `MINIMAX_API_KEY`: the upstream engines. Nil: the preview engine serves.
    public var routing: RoutingSettings?
    /// `likeness.prices.<model>`, `likeness.billing.*`, `likeness.limits.*`,
    /// `likeness.idempotency.*`, `likeness.byok.*`: what requests cost and how many may run.
    public var billing: BillingSettings
    /// `likeness.database.*` (`LIKENESS_DATABASE_URL`, …): PostgreSQL for a fleet; nil: SQLite.
    public var database: DatabaseSettings?
    /// `likeness.s3.*` (`LIKENESS_S3_BUCKET`, …) and `LIKENESS_IMAGE_URLS`: images in a bucket;
    /// nil: in the data directory.
    public var objectStorage: ObjectStorageSettings?
    /// `likeness.identity.*` (`LIKENESS_IDENTITY_SCORING`, `_MODELS`, `_REFERENCE_CHECK`, …):
    /// face scores for subject-reference requests, and the reference check.
    public var identity: IdentitySettings

    public init(reader: ConfigReader) throws {
        let settings = reader.scoped(to: "likeness")
        host = settings.string(forKey: "host", default: "127.0.0.1")
        port = settings.int(forKey: "port", default: 8080)
        dataDirectory = settings.string(forKey: "dataDir", default: "./.likeness")
        publicURL = settings.string(forKey: "publicUrl").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        firstAPIKey = settings.string(forKey: "apiKey", isSecret: true)
        imageURLLifetime = .seconds(settings.int(forKey: "imageUrlTtlSeconds", default: 86_400))
        janitorInterval = .seconds(settings.int(forKey: "janitorIntervalSeconds", default: 60))
        maximumBodyBytes = settings.int(forKey: "maxBodyBytes", default: 16 * 1024 * 1024)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        maximumConcurrentJobs = max(1, settings.int(forKey: "maxConcurrentJobs", default: cores))
        uploads = UploadSettings(
            lifetime: .seconds(Int64(3600 * max(0.01, settings.double(forKey: "uploads.lifetimeHours", default: 24)))),
            quotaBytes: max(1, settings.int(forKey: "uploads.quotaMegabytes", default: 200)) * 1024 * 1024)
        characters = CharacterSettings(
            maximumPerAccount: max(1, settings.int(forKey: "characters.maxPerAccount", default: 100)))
        queue = QueueSettings(
            maximumQueuedJobs: max(1, settings.int(forKey: "queue.maxQueuedJobs", default: 1000)),
            maximumAttempts: max(1, settings.int(forKey: "queue.maxAttempts", default: 3)),
            synchronousStartLimit: .milliseconds(
                Int64(1000 * max(0.1, settings.double(forKey: "queue.syncWaitSeconds", default: 60)))))
        webhooks = WebhookSettings(
            maximumAttempts: max(1, settings.int(forKey: "webhooks.maxAttempts", default: 8)),
            initialBackoff: .milliseconds(
                Int64(1000 * settings.double(forKey: "webhooks.initialBackoffSeconds", default: 2))),
            timeout: .seconds(settings.int(forKey: "webhooks.timeoutSeconds", default: 10)),
            allowPrivateNetworks: settings.bool(forKey: "webhooks.allowPrivateNetworks", default: false))
        if let retention = settings.double(forKey: "webhooks.retiredKeySeconds") {
            webhooks.retiredKeyRetention = .milliseconds(Int64(1000 * max(0, retention)))
        }
        fetch = FetchSettings(
            allowPrivateNetworks: settings.bool(forKey: "fetch.allowPrivateNetworks", default: false),
            timeout: .seconds(settings.int(forKey: "fetch.timeoutSeconds", default: 15)),
            maximumRedirects: settings.int(forKey: "fetch.maxRedirects", default: 3))
        if let path = settings.string(forKey: "safety.phrasesFile") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            promptPolicy = PromptPolicy(blockedPhrases: text.split(whereSeparator: \.isNewline).map(String.init))
        } else if let phrases = settings.stringArray(forKey: "safety.blockedPhrases") {
            promptPolicy = PromptPolicy(blockedPhrases: phrases)
        } else {
            promptPolicy = .standard
        }
        logLevel = settings.string(forKey: "logLevel").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let accessLog = settings.string(forKey: "accessLog", default: "info")
        if accessLog == "off" {
            accessLogLevel = nil
        } else if let level = Logger.Level(rawValue: accessLog) {
            accessLogLevel = level
        } else {
            throw ConfigurationError("LIKENESS_ACCESS_LOG must be off or a log level (trace … critical)")
        }
        metrics = try MetricsSettings(settings.scoped(to: "metrics"))
        modelAliases = try ModelAliases.standard.adding(settings.stringArray(forKey: "modelAliases") ?? [])
        routing = try RoutingSettings.read(reader)
        if settings.int(forKey: "maxConcurrentJobs") == nil, let routing {
            // Upstream work waits on the network, not the cores: enough workers to fill the pools.
            maximumConcurrentJobs = max(cores, routing.firstTierConcurrency)
        }
        billing = try BillingSettings(reader: reader)
        database = try DatabaseSettings.read(settings)
        objectStorage = try ObjectStorageSettings.read(settings)
        identity = try IdentitySettings(settings.scoped(to: "identity"))
        // A fleet's replica may only take requests and leave running them to the others.
        if database != nil, settings.int(forKey: "maxConcurrentJobs") == 0 { maximumConcurrentJobs = 0 }
        switch (settings.string(forKey: "tls.certificate"), settings.string(forKey: "tls.privateKey")) {
        case (let certificate?, let privateKey?): tls = TLSFiles(certificate: certificate, privateKey: privateKey)
        case (nil, nil): tls = nil
        default: throw ConfigurationError("set both LIKENESS_TLS_CERTIFICATE and LIKENESS_TLS_PRIVATE_KEY, or neither")
        }
    }

    /// Settings from the process environment alone.
    public static func fromEnvironment() throws -> LikenessConfiguration {
        try LikenessConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
    }
}

/// The PEM files of a TLS identity.
public struct TLSFiles: Sendable, Hashable {
    public var certificate: String
    public var privateKey: String

    public init(certificate: String, privateKey: String) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

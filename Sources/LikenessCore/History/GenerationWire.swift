import Foundation

// The JSON bodies of an account's history (`/v1/generations`), the operator's jobs browser
// (`/v1/admin/jobs`) and metrics (`/v1/admin/metrics`), shared by the server and the Swift
// client. Keys are snake_case on the wire (`AccountsWire.encoder`); times are Unix seconds.

/// `GET /v1/generations`, `GET /v1/admin/jobs`: newest first; `after=<last_id>` asks for the
/// next page.
public struct GenerationListBody: Codable, Sendable, Hashable {
    public var object = "list"
    public var data: [GenerationBody]
    public var hasMore: Bool
    public var lastId: String?

    public init(data: [GenerationBody], hasMore: Bool) {
        self.data = data
        self.hasMore = hasMore
        self.lastId = data.last?.id
    }
}

/// One request, in whichever dialect it came: what it asked for, where it stands, each image
/// with its seed and identity score, what it cost and how long each part took. The detail
/// (`GET /v1/generations/{id}`) adds its log.
public struct GenerationBody: Codable, Sendable, Hashable {
    public var id: String
    public var object = "generation"
    public var accountId: String?
    public var createdAt: Int
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    public var status: String
    /// `minimax`, `openai`, `fal` or `mcp`.
    public var dialect: String
    /// The fal app it was submitted to.
    public var app: String?
    public var model: String?
    /// The engine that ran it, once one did.
    public var engine: String?
    /// Nil for a request refused before it was queued.
    public var parameters: GenerationParametersBody?
    public var images: [GenerationImageBody]
    /// Images withheld by content safety or the identity guard.
    public var withheld: Int
    /// What it was charged once it ended; what is held for it before.
    public var costUsd: MicroDollars
    public var byok: Bool
    public var error: GenerationErrorBody?
    public var timings: GenerationTimingsBody
    public var identityThreshold: Double?
    public var identityNote: String?
    /// Only in a single request's detail.
    public var logs: [GenerationLogBody]?

    public init(
        id: String, accountId: String?, createdAt: Int, status: String, dialect: String, app: String?, model: String?,
        engine: String?, parameters: GenerationParametersBody?, images: [GenerationImageBody], withheld: Int,
        costUsd: MicroDollars, byok: Bool, error: GenerationErrorBody?, timings: GenerationTimingsBody,
        identityThreshold: Double?, identityNote: String?, logs: [GenerationLogBody]? = nil
    ) {
        self.id = id
        self.accountId = accountId
        self.createdAt = createdAt
        self.status = status
        self.dialect = dialect
        self.app = app
        self.model = model
        self.engine = engine
        self.parameters = parameters
        self.images = images
        self.withheld = withheld
        self.costUsd = costUsd
        self.byok = byok
        self.error = error
        self.timings = timings
        self.identityThreshold = identityThreshold
        self.identityNote = identityNote
        self.logs = logs
    }
}

/// The request's parameters as MiniMax's native body names them, so a client can send them
/// again (`run again`).
public struct GenerationParametersBody: Codable, Sendable, Hashable {
    public var model: String
    public var prompt: String
    public var aspectRatio: String?
    public var width: Int
    public var height: Int
    public var n: Int
    /// The caller's seed; absent when each image got a random one (each image's is on it).
    public var seed: Int64?
    public var responseFormat: String
    public var promptOptimizer: Bool
    public var aigcWatermark: Bool
    public var style: GenerationStyleBody?
    public var subjectReference: GenerationReferenceBody?
    public var identityThreshold: Double?
    public var outputFormat: String?

    public init(
        model: String, prompt: String, aspectRatio: String?, width: Int, height: Int, n: Int, seed: Int64?,
        responseFormat: String, promptOptimizer: Bool, aigcWatermark: Bool, style: GenerationStyleBody?,
        subjectReference: GenerationReferenceBody?, identityThreshold: Double?, outputFormat: String?
    ) {
        self.model = model
        self.prompt = prompt
        self.aspectRatio = aspectRatio
        self.width = width
        self.height = height
        self.n = n
        self.seed = seed
        self.responseFormat = responseFormat
        self.promptOptimizer = promptOptimizer
        self.aigcWatermark = aigcWatermark
        self.style = style
        self.subjectReference = subjectReference
        self.identityThreshold = identityThreshold
        self.outputFormat = outputFormat
    }
}

public struct GenerationStyleBody: Codable, Sendable, Hashable {
    public var styleType: String
    public var styleWeight: Double

    public init(styleType: String, styleWeight: Double) {
        self.styleType = styleType
        self.styleWeight = styleWeight
    }
}

/// What the reference was: a stored character, an upload, a URL, or bytes sent inline (which
/// are not kept once the request has run, so only their kind is shown).
public struct GenerationReferenceBody: Codable, Sendable, Hashable {
    /// `character`, `upload`, `url` or `inline`.
    public var type: String
    public var characterId: String?
    public var uploadId: String?
    public var url: String?

    public init(type: String, characterId: String? = nil, uploadId: String? = nil, url: String? = nil) {
        self.type = type
        self.characterId = characterId
        self.uploadId = uploadId
        self.url = url
    }
}

/// A delivered image. Once it has expired, `expired` is true and it has no URL; its seed and
/// score stay.
public struct GenerationImageBody: Codable, Sendable, Hashable {
    public var index: Int
    public var url: String?
    /// A small JPEG of it (256 px on its longest side), signed like its URL; absent for an image
    /// passed through at its provider.
    public var thumbnailUrl: String?
    public var width: Int?
    public var height: Int?
    /// The seed that made it, as a request's `seed` (with `n` = 1 it makes this image again);
    /// absent when not known.
    public var seed: Int64?
    public var identityScore: Double?
    public var expired: Bool

    public init(
        index: Int, url: String?, thumbnailUrl: String?, width: Int?, height: Int?, seed: Int64?,
        identityScore: Double?, expired: Bool
    ) {
        self.index = index
        self.url = url
        self.thumbnailUrl = thumbnailUrl
        self.width = width
        self.height = height
        self.seed = seed
        self.identityScore = identityScore
        self.expired = expired
    }
}

public struct GenerationErrorBody: Codable, Sendable, Hashable {
    /// The catalogue code (MiniMax's `status_code`).
    public var code: Int
    public var message: String
    public var field: String?

    public init(code: Int, message: String, field: String?) {
        self.code = code
        self.message = message
        self.field = field
    }
}

/// Milliseconds waiting in the queue, inside the engine, and from submission to the end.
public struct GenerationTimingsBody: Codable, Sendable, Hashable {
    public var startedAt: Int?
    public var finishedAt: Int?
    public var queueMs: Int?
    public var engineMs: Int?
    public var totalMs: Int?

    public init(startedAt: Int?, finishedAt: Int?, queueMs: Int?, engineMs: Int?, totalMs: Int?) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.queueMs = queueMs
        self.engineMs = engineMs
        self.totalMs = totalMs
    }
}

public struct GenerationLogBody: Codable, Sendable, Hashable {
    /// Unix seconds, with milliseconds.
    public var at: Double
    public var level: String
    public var source: String
    public var message: String

    public init(at: Double, level: String, source: String, message: String) {
        self.at = at
        self.level = level
        self.source = source
        self.message = message
    }
}

/// `GET /v1/admin/metrics`: the server's own counters and gauges, as `/metrics` has them, read
/// now; totals since the process started, so a reader takes rates from two readings.
public struct MetricsBody: Codable, Sendable, Hashable {
    public var object = "metrics"
    /// Unix seconds, with milliseconds, when these were read.
    public var at: Double
    public var requests: Int
    /// Answers by class: `2xx`, `4xx`, `5xx`.
    public var responses: [String: Int]
    public var jobsSucceeded: Int
    public var jobsFailed: Int
    public var jobsCancelled: Int
    public var queueDepth: Int
    /// Jobs that have left the queue, and their total wait, in seconds.
    public var queueWaits: Int
    public var queueWaitSeconds: Double
    public var imagesDelivered: Int
    public var imagesWithheld: Int
    public var upstreams: [MetricsUpstreamBody]
    /// Images scored against their reference, their sum, and how many scored under each tenth
    /// (`"0.5"`: under 0.5, cumulative as Prometheus counts).
    public var identityScores: Int
    public var identityScoreSum: Double
    public var identityBuckets: [String: Int]

    public init(
        at: Double, requests: Int, responses: [String: Int], jobsSucceeded: Int, jobsFailed: Int, jobsCancelled: Int,
        queueDepth: Int, queueWaits: Int, queueWaitSeconds: Double, imagesDelivered: Int, imagesWithheld: Int,
        upstreams: [MetricsUpstreamBody], identityScores: Int,
        identityScoreSum: Double, identityBuckets: [String: Int]
    ) {
        self.at = at
        self.requests = requests
        self.responses = responses
        self.jobsSucceeded = jobsSucceeded
        self.jobsFailed = jobsFailed
        self.jobsCancelled = jobsCancelled
        self.queueDepth = queueDepth
        self.queueWaits = queueWaits
        self.queueWaitSeconds = queueWaitSeconds
        self.imagesDelivered = imagesDelivered
        self.imagesWithheld = imagesWithheld
        self.upstreams = upstreams
        self.identityScores = identityScores
        self.identityScoreSum = identityScoreSum
        self.identityBuckets = identityBuckets
    }
}

/// An upstream account: whether it is in placement now, the calls it has in flight, and its
/// calls that failed so far. (A list, not an object by engine: an engine's name is the
/// operator's, and the wire's snake_case would rewrite it as a key.)
public struct MetricsUpstreamBody: Codable, Sendable, Hashable {
    public var engine: String
    public var inPlacement: Bool
    public var inFlight: Int
    public var errors: Int

    public init(engine: String, inPlacement: Bool, inFlight: Int, errors: Int) {
        self.engine = engine
        self.inPlacement = inPlacement
        self.inFlight = inFlight
        self.errors = errors
    }
}

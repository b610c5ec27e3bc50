import Foundation

public enum JobStatus: String, Sendable, Hashable, Codable {
    case queued, running, succeeded, failed
}

/// The durable record of one generation request.
public struct JobRecord: Sendable, Hashable {
    public var id: String
    public var keyID: String?
    /// The API dialect the request arrived in (`minimax`, `openai`, `fal`).
    public var dialect: String
    public var model: String?
    /// The canonical parameters as JSON, without image bytes.
    public var parameters: String?
    public var engine: String?
    public var status: JobStatus
    public var statusCode: Int?
    public var statusMessage: String?
    public var imageCount: Int
    public var failedCount: Int
    public var resultImageIDs: [String]
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        id: String, keyID: String?, dialect: String, model: String?, parameters: String?, createdAt: Date,
        status: JobStatus = .queued
    ) {
        self.id = id
        self.keyID = keyID
        self.dialect = dialect
        self.model = model
        self.parameters = parameters
        self.engine = nil
        self.status = status
        self.imageCount = 0
        self.failedCount = 0
        self.resultImageIDs = []
        self.createdAt = createdAt
    }
}

public protocol JobRepository: Sendable {
    func insertJob(_ job: JobRecord) throws
    func markJobRunning(id: String, engine: String, at: Date) throws
    /// Records success and, in the same transaction, the stored images that make it visible.
    func completeJob(id: String, images: [StoredImage], deliveredCount: Int, failedCount: Int, at: Date) throws
    func failJob(id: String, statusCode: Int, message: String, at: Date) throws
    func job(id: String) throws -> JobRecord?
    /// Marks jobs a previous process left queued or running as failed; returns how many.
    func failInterruptedJobs(at: Date) throws -> Int
}

import Foundation
import LikenessAPI
import LikenessCore
import LikenessService

/// The OpenAI dialect's task answers (`OpenAIImageTask`).
enum OpenAITasks {
    static func status(of job: JobSnapshot) -> OpenAIImageTask.Status {
        switch job.state {
        case .queued: .queued
        case .running: .inProgress
        case .succeeded: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    /// A finished task: its images, or its error.
    static func body(
        taskID: String, created: Date,
        _ outcome: Result<(OutputFormat, OpenAIImagesResponse.Images, IdentityReport?), APIError>
    ) -> Data {
        switch outcome {
        case .success(let (format, images, identity)):
            OpenAIImageTask.jsonData(
                id: taskID, status: .completed, created: created, images: images, format: format, identity: identity)
        case .failure(let error):
            OpenAIImageTask.jsonData(
                id: taskID, status: error.reason == .cancelled ? .cancelled : .failed, created: created,
                error: OpenAIError(error))
        }
    }
}

import Foundation
import LikenessAPI
import LikenessCore

/// The native dialect's task answers: `Queueing`, `Processing`, then the synchronous answer
/// with `task_id` and `status` (`Success` or `Fail`) in front, in the style of MiniMax's task
/// queries.
enum MiniMaxTasks {
    static func status(of job: JobSnapshot) -> String {
        switch job.state {
        case .queued: "Queueing"
        case .running: "Processing"
        case .succeeded: "Success"
        case .failed, .cancelled: "Fail"
        }
    }

    /// A finished task: its answer, or its failure in `base_resp`.
    static func body(taskID: String, _ outcome: Result<MiniMaxResponse, APIError>) -> Data {
        switch outcome {
        case .success(let answer): answer.task(taskID, status: "Success").jsonData()
        case .failure(let error): MiniMaxResponse.failure(id: taskID, error).task(taskID, status: "Fail").jsonData()
        }
    }
}

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

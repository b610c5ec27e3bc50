import Foundation
import LikenessAPI
import LikenessCore
import LikenessService

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

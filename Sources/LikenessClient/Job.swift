import Foundation
import LikenessAPI
import LikenessCore
import LikenessUpstream

/// Likeness's queue (the native dialect's asynchronous mode): submit, then follow the job.
extension LikenessClient {
    /// Queues the request and answers at once with its job. Likeness only: MiniMax's image API
    /// has no queue.
    public func submit(_ request: GenerationRequest, reference: Reference? = nil) async throws(LikenessError) -> Job {
        let body = MiniMaxUpstream.clientRequestBody(
            request, reference: try Self.wireReference(reference, request), async: true)
        let answer = try await native(.post, MiniMaxUpstream.path, body: body)
        guard let id = answer.body.taskID else { throw LikenessError(.transport, "the answer has no task_id") }
        return Job(id: id, client: self, request: request)
    }

    /// A job this account submitted earlier, by id.
    public func job(id: String) -> Job {
        Job(id: id, client: self, request: nil)
    }
}

/// A queued generation: read its status, follow its progress, wait for its result, cancel it.
public struct Job: Sendable {
    public let id: String
    let client: LikenessClient
    /// The request, when this client submitted it (for sizes and seeds).
    let request: GenerationRequest?

    static let taskPath = "/v1/query/image_generation"

    /// Where a job stands.
    public enum Status: Sendable, Hashable {
        /// Waiting; `position` requests are ahead of it.
        case queued(position: Int?)
        case running
        case succeeded(Generation)
        case failed(LikenessError)

        public var isFinished: Bool {
            switch self {
            case .succeeded, .failed: true
            case .queued, .running: false
            }
        }
    }

    /// The job as it stands now.
    public func status() async throws(LikenessError) -> Status {
        // A finished task that failed answers `Fail`, its error in `base_resp`.
        let (answer, failure) = try await client.nativeAnswer(
            .get, Self.taskPath, query: [URLQueryItem(name: "task_id", value: id)])
        if let failure { return .failed(failure) }
        switch answer.body.taskStatus {
        case "Queueing":
            return .queued(position: answer.header("X-Likeness-Queue-Position").flatMap(Int.init))
        case "Processing", "Cancelling": return .running
        case "Success": return .succeeded(try Generation(answer, request: request))
        default: throw LikenessError(.transport, "unknown task status \(answer.body.taskStatus ?? "none")")
        }
    }

    /// Each change of status, from now until the job ends (the last element is `.succeeded` or
    /// `.failed`). Polled every `configuration.pollInterval`; ending the iteration stops it.
    public var progress: AsyncThrowingStream<Status, any Error> {
        let job = self
        return AsyncThrowingStream { continuation in
            let polling = Task {
                var last: Status? = nil
                do throws(LikenessError) {
                    while true {
                        let current = try await job.status()
                        if current != last { continuation.yield(current) }
                        last = current
                        if current.isFinished { break }
                        do { try await Task.sleep(for: job.client.configuration.pollInterval) } catch {
                            throw LikenessError(.cancelled, "stopped following the job")
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in polling.cancel() }
        }
    }

    /// Waits for the images. Cancelling the waiting `Task` cancels the job on the server.
    public func result() async throws(LikenessError) -> Generation {
        let outcome: Result<Generation, LikenessError> = await withTaskCancellationHandler {
            do throws(LikenessError) {
                while true {
                    switch try await status() {
                    case .succeeded(let generation): return .success(generation)
                    case .failed(let error): return .failure(error)
                    case .queued, .running:
                        do { try await Task.sleep(for: client.configuration.pollInterval) } catch {
                            return .failure(LikenessError(.cancelled, "the job was cancelled"))
                        }
                    }
                }
            } catch {
                return .failure(error)
            }
        } onCancel: {
            // The waiting task is gone; the job must not run on, and charge, for nobody.
            Task { try? await cancel() }
        }
        return try outcome.get()
    }

    /// Cancels the job: a queued job never runs, a running one is asked to stop. A job that has
    /// already finished is left as it is (not an error).
    public func cancel() async throws(LikenessError) {
        do throws(LikenessError) {
            _ = try await client.native(.delete, Self.taskPath, query: [URLQueryItem(name: "task_id", value: id)])
        } catch {
            guard error.message.contains("already finished") else { throw error }
        }
    }
}

import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore

/// A synchronous request's own run: when a worker's slot and the engine's capacity are both free
/// as it arrives, the request claims its job in the transaction that records it and runs it.
extension JobRunner {
    /// A worker's slot and the engine's capacity for `request`, both free now, and the claim
    /// that records them; nil when either would have to be waited for (or the workers have not
    /// started: startup recovery runs first).
    func immediateRun(for request: GenerationRequest, id: String, caller: Caller) async -> ImmediateRun? {
        guard startup.isOpened, slots.tryTake() else { return nil }
        let engine = await engine(
            for: QueueHead(
                id: id, model: request.model.rawValue, accountID: caller.account.id,
                byok: caller.account.hasMiniMaxKey))
        guard case .granted(let reservation) = engine.reserveCapacityNow(for: request.model) else {
            slots.release()
            return nil
        }
        // With no reference to load first, the "Generating" line goes in with the claim too.
        let generatingLogged = request.subjectReference == nil
        let start: @Sendable (JobRecord) -> ImmediateStart = { [self] job in
            var log = [startLine(attempt: 1, at: job.createdAt)]
            if generatingLogged {
                log.append(
                    JobLogLine(
                        at: job.createdAt, level: .info, source: .engine, message: Self.generatingLine(request)))
            }
            return ImmediateStart(engine: engine.name, lease: fleet.lease(from: job.createdAt), log: log)
        }
        return ImmediateRun(
            engine: engine, reservation: reservation, slots: slots, start: start, generatingLogged: generatingLogged)
    }

    /// A synchronous request's own run: the slot and capacity it holds, and how its job is claimed.
    struct ImmediateRun: Sendable {
        let engine: any ImageEngine
        let reservation: CapacityReservation?
        let slots: JobSlots
        let start: @Sendable (JobRecord) -> ImmediateStart
        let generatingLogged: Bool

        /// The slot, and the capacity if the run did not use it.
        func giveBack() {
            reservation?.giveBack()
            slots.release()
        }
    }
}

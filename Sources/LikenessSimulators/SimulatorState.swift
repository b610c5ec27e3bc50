import Foundation
import LikenessAPI
import LikenessCore
import LikenessEngines
import Synchronization

/// What a simulator has seen and what it has been told to do; shared by its routes, and read
/// by tests in the same process.
public final class SimulatorState: Sendable {
    /// One request that reached a generation route.
    public struct Received: Sendable, Hashable {
        public var path: String
        /// The credential as sent (`Bearer …`, `Key …`), so tests can tell whose key was used.
        public var authorization: String?
        public var at: ContinuousClock.Instant
        public var body: Data
        /// Refused for the credential's rate limit (1002, or HTTP 429).
        public var rateLimited: Bool
    }

    struct FalRequest: Sendable {
        var id: String
        var imageURLsExpire: Bool
        var size: PixelSize
        var count: Int
        var readyAt: ContinuousClock.Instant
        var cancelled = false
    }

    private struct Shared {
        var plan = FaultPlan()
        var received: [Received] = []
        var statusPolls = 0
        var failingPolls = 0
        var recentStarts: [String: [ContinuousClock.Instant]] = [:]
        var inFlight = 0
        var peakInFlight = 0
        var falRequests: [String: FalRequest] = [:]
        var cancelledRequests: [String] = []
        var images: [PixelSize: Data] = [:]
        var subjectImages: [String: Data] = [:]
    }

    private let shared = Mutex(Shared())

    public init() {}

    /// Appends faults to the plan (`count` times each).
    public func inject(_ fault: SimulatedFault, count: Int = 1) {
        shared.withLock { $0.plan.append(fault, count: count) }
    }

    public func clearFaults() {
        shared.withLock {
            $0.plan.removeAll()
            $0.failingPolls = 0
        }
    }

    public var pendingFaults: Int { shared.withLock { $0.plan.count } }

    /// Every generation request received, in order.
    public var received: [Received] { shared.withLock { $0.received } }

    public var statusPolls: Int { shared.withLock { $0.statusPolls } }

    /// The most generation requests that were being answered at once.
    public var peakInFlight: Int { shared.withLock { $0.peakInFlight } }

    /// fal request ids cancelled through the queue API.
    public var cancelledRequests: [String] { shared.withLock { $0.cancelledRequests } }

    /// Records a generation request and takes the next fault. `limit` is the credential's
    /// allowance per sliding window: past it, the request is refused before any fault applies.
    func arrive(
        path: String, authorization: String?, body: Data, limit: (requests: Int, window: Duration)?
    ) -> (fault: SimulatedFault?, rateLimited: Bool) {
        let now = ContinuousClock.now
        return shared.withLock { state in
            state.received.append(
                Received(path: path, authorization: authorization, at: now, body: body, rateLimited: false))
            if let limit {
                let account = authorization ?? ""
                let window = (state.recentStarts[account] ?? []).filter { now - $0 < limit.window }
                guard window.count < limit.requests else {
                    state.recentStarts[account] = window
                    state.received[state.received.count - 1].rateLimited = true
                    return (nil, true)
                }
                state.recentStarts[account] = window + [now]
            }
            var fault = state.plan.next()
            if case .failingPolls(let count) = fault {
                state.failingPolls += count
                fault = nil
            }
            return (fault, false)
        }
    }

    /// Counts a generation being answered, for `peakInFlight`.
    func withInFlight<T>(_ work: () async throws -> T) async rethrows -> T {
        shared.withLock { state in
            state.inFlight += 1
            state.peakInFlight = max(state.peakInFlight, state.inFlight)
        }
        defer { shared.withLock { $0.inFlight -= 1 } }
        return try await work()
    }

    /// Counts a fal status poll; true when this poll must fail.
    func poll() -> Bool {
        shared.withLock { state in
            state.statusPolls += 1
            guard state.failingPolls > 0 else { return false }
            state.failingPolls -= 1
            return true
        }
    }

    func addFalRequest(_ request: FalRequest) {
        shared.withLock { $0.falRequests[request.id] = request }
    }

    func falRequest(_ id: String) -> FalRequest? {
        shared.withLock { $0.falRequests[id] }
    }

    func cancelFalRequest(_ id: String) -> Bool {
        shared.withLock { state in
            guard state.falRequests[id] != nil else { return false }
            state.falRequests[id]?.cancelled = true
            state.cancelledRequests.append(id)
            return true
        }
    }

    /// A JPEG of this size showing `photo`'s person (the preview engine's picture with the photo
    /// as its subject), kept under the id returned, for `/simulator/subjects/<id>.jpg`.
    func renderSubject(_ photo: Data, size: PixelSize) async throws -> (id: String, jpeg: Data) {
        let request = GenerationRequest(prompt: "Likeness upstream simulator", aspectRatio: nil, size: size)
        let output = try await PreviewEngine().generate(
            EngineJob(id: "simulator", request: request, seeds: [1], referenceImage: photo)
        ) { _ in }
        let id = UUID().uuidString.lowercased()
        let jpeg = output.images[0].jpeg
        shared.withLock { $0.subjectImages[id] = jpeg }
        return (id, jpeg)
    }

    func subjectImage(id: String) -> Data? {
        shared.withLock { $0.subjectImages[id] }
    }

    /// A JPEG of this size, rendered once by the preview engine and then served for every
    /// simulated result of that size.
    func image(_ size: PixelSize) async throws -> Data {
        if let cached = shared.withLock({ $0.images[size] }) { return cached }
        let request = GenerationRequest(prompt: "Likeness upstream simulator", aspectRatio: nil, size: size)
        let output = try await PreviewEngine().generate(EngineJob(id: "simulator", request: request, seeds: [1])) {
            _ in
        }
        let jpeg = output.images[0].jpeg
        shared.withLock { $0.images[size] = jpeg }
        return jpeg
    }
}

import Foundation

/// What time it is, for every decision that turns on it: when image URLs expire and when a job
/// has waited past its start deadline. Tests move a clock of their own instead of sleeping.
public struct WallClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    public static let system = WallClock { Date() }
}

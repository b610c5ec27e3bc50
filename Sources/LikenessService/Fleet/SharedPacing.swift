import Crypto
import Foundation
import LikenessCore
import LikenessEngines
import LikenessStore

/// Upstream accounts paced across the fleet: each start any replica takes advances the account's
/// schedule in the shared database, so replicas on one MiniMax key together stay within its rate.
package struct SharedPacing: PacingSchedule {
    let fleet: any FleetRepository
    let store: StoreCalls
    let clock: WallClock

    package init(fleet: any FleetRepository, store: StoreCalls, clock: WallClock) {
        self.fleet = fleet
        self.store = store
        self.clock = clock
    }

    package func reserveStart(account: String, interval: Duration, tolerance: Duration) async throws -> Date {
        let now = clock.now()
        return try await store.write("take a start on an upstream account") { [fleet] in
            try fleet.reserveUpstreamStart(
                account: account, interval: interval.seconds, tolerance: tolerance.seconds, at: now)
        }
    }

    /// The account's name in the shared schedule: its kind and a digest of where it is and whose
    /// key it is (the key itself never reaches the database).
    static func account(kind: String, baseURL: String, apiKey: String) -> String {
        let digest = SHA256.hash(data: Data([kind, baseURL, apiKey].joined(separator: "\n").utf8))
        return kind + ":" + digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

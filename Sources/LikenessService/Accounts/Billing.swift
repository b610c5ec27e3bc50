import Foundation
import LikenessCore
import LikenessStore

/// The rules of money and limits, in one place: what a generation costs an account and what it
/// holds from the balance until it ends, the top-up fee, and the limits of a key and of an
/// account. How a job's money ends is `Settlement` (LikenessCore), which the store applies in
/// the transaction that finishes the job. `AccountsService` owns it; admission and
/// authentication ask it; the store executes what it decides and decides nothing.
package struct Billing: Sendable {
    package let settings: BillingSettings

    package init(_ settings: BillingSettings) {
        self.settings = settings
    }

    /// What one delivered image of `model` costs `account`: nothing when it is unmetered or on
    /// its own MiniMax key. The one price rule, for reservations and for what accounts are shown.
    package func price(_ model: ImageModel, for account: Account) -> MicroDollars {
        account.hasMiniMaxKey || account.billing == .unmetered ? .zero : settings.price(model)
    }

    /// What a request costs per delivered image, and what it reserves: every image it asks for.
    package func quote(_ request: GenerationRequest, for account: Account) -> Quote {
        let price = price(request.model, for: account)
        return Quote(price: price, reserved: price * request.count)
    }

    /// The fee a top-up of `paid` pays (never a fee per call).
    package func topUpFee(_ paid: MicroDollars) -> MicroDollars {
        paid.share(basisPoints: settings.topUpFeeBasisPoints)
    }

    /// The limits that apply to a key: its own, else the server's default for keys.
    package func limits(for key: APIKey) -> UsageLimits {
        UsageLimits(
            requestsPerMinute: key.limits.requestsPerMinute ?? settings.keyLimits.requestsPerMinute,
            concurrentJobs: key.limits.concurrentJobs ?? settings.keyLimits.concurrentJobs)
    }

    /// The limits that apply to an account: its own, else the server's default for accounts.
    package func limits(for account: Account) -> UsageLimits {
        UsageLimits(
            requestsPerMinute: account.limits.requestsPerMinute ?? settings.accountLimits.requestsPerMinute,
            concurrentJobs: account.limits.concurrentJobs ?? settings.accountLimits.concurrentJobs)
    }
}

/// A request's price: per delivered image, and the reservation held while it is unfinished.
package struct Quote: Sendable, Hashable {
    package var price: MicroDollars
    package var reserved: MicroDollars
}

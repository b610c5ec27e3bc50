/// How a job's money ends: its whole reservation is released and what it delivered is charged,
/// never more than it reserved. The one settlement rule: the store applies it in the transaction
/// that finishes the job, and the service counts the same charge in its metrics.
public struct Settlement: Sendable, Hashable {
    /// Given back to the balance: all that was reserved.
    public var release: MicroDollars
    /// Taken from the balance: the delivered images at the job's price, capped by the reservation.
    public var charge: MicroDollars

    public init(reserved: MicroDollars, price: MicroDollars, delivered: Int) {
        release = reserved
        charge = min(reserved, price * delivered)
    }
}

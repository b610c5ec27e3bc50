import Foundation

/// The half-open time range `[from, to)` of a usage or ledger report, as callers write it.
public struct ReportPeriod: Sendable, Hashable {
    public var from: Date
    public var to: Date

    /// `from` and `to` are UTC days (`2026-11-01`, `to` included) or ISO 8601 times; a missing
    /// end takes its default. An unreadable one is 2013 naming the field.
    public init(from: String?, to: String?, defaultFrom: Date, defaultTo: Date) throws(APIError) {
        self.from = try from.map { text throws(APIError) in try Self.instant(text, field: "from") } ?? defaultFrom
        let end = try to.map { text throws(APIError) in try Self.instant(text, field: "to", endOfDay: true) }
        self.to = max(end ?? defaultTo, self.from)
    }

    /// Usage's default: the last 30 days, up to now.
    public static func usage(from: String?, to: String?, now: Date = Date()) throws(APIError) -> ReportPeriod {
        try ReportPeriod(
            from: from, to: to, defaultFrom: now.addingTimeInterval(-30 * 86_400), defaultTo: now.addingTimeInterval(1))
    }

    static func instant(_ text: String, field: String, endOfDay: Bool = false) throws(APIError) -> Date {
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) {
            return endOfDay ? day.addingTimeInterval(86_400) : day
        }
        if let time = try? Date(text, strategy: .iso8601) { return time }
        throw APIError.invalid(field, "must be a date (2026-11-01) or an ISO 8601 time (2026-11-01T12:00:00Z)")
    }
}

import Configuration
import LikenessService

/// Who may read `/metrics`: `likeness.metrics.access` on the API's own port (`admin`, the
/// default: an admin key as `Authorization: Bearer`; `open`; or `off`, which also stops the
/// counting unless a listener serves them), and
/// `likeness.metrics.address` (`host:port`), a listener of its own that serves `/metrics` to
/// anyone who can reach it: bind it where only the scraper can.
public struct MetricsSettings: Sendable, Hashable {
    public enum Access: String, Sendable, Hashable, CaseIterable {
        case admin, open, off
    }

    public struct Listener: Sendable, Hashable {
        public var host: String
        public var port: Int
    }

    public var access: Access
    public var listener: Listener?

    public init(access: Access = .admin, listener: Listener? = nil) {
        self.access = access
        self.listener = listener
    }

    init(_ keys: ConfigReader) throws {
        let accessName = keys.string(forKey: "access", default: Access.admin.rawValue)
        guard let access = Access(rawValue: accessName) else {
            throw ConfigurationError("LIKENESS_METRICS_ACCESS must be admin, open or off (got \(accessName))")
        }
        self.access = access
        guard let address = keys.string(forKey: "address") else { return }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port), colon > address.startIndex
        else {
            throw ConfigurationError("LIKENESS_METRICS_ADDRESS must be host:port (got \(address))")
        }
        listener = Listener(host: String(address[..<colon]), port: port)
    }
}

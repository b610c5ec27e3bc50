import Logging
import Synchronization

/// Keeps every log record, for tests of what is logged and how often.
public struct RecordingLogHandler: LogHandler {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    public final class Records: Sendable {
        public let all = Mutex<[Record]>([])

        public init() {}
    }

    let records: Records
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(records: Records) {
        self.records = records
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = Record(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:])
        records.all.withLock { $0.append(record) }
    }
}

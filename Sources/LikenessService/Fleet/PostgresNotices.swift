import LikenessStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// The fleet's notices over PostgreSQL's `LISTEN`/`NOTIFY`, through the store's pool: one
/// connection listens for as long as it can, and each notice goes out on whichever is free. A
/// notice sent while PostgreSQL cannot be reached is lost; the listener's reconnection
/// (`resync`) and `FleetKeeper`'s rounds cover what it would have said.
package final class PostgresNotices: FleetBroadcast {
    static let channel = "likeness_queue"

    private let replica: String
    private let outgoing: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    package init(replica: String) {
        self.replica = replica
        (outgoing, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    package func send(_ notice: FleetNotice) {
        continuation.yield(notice.payload(from: replica))
    }

    /// Sends and listens until cancelled.
    func run(database: PostgreSQLDatabase, book: JobBook, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sendAll(database: database, logger: logger) }
            group.addTask { await self.listen(database: database, book: book, logger: logger) }
        }
    }

    private func sendAll(database: PostgreSQLDatabase, logger: Logger) async {
        for await payload in outgoing {
            do {
                try await database.client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            } catch {
                logger.warning(
                    "cannot notify the other replicas", metadata: ["error": "\(PostgreSQLDatabase.describe(error))"])
            }
        }
    }

    private func listen(database: PostgreSQLDatabase, book: JobBook, logger: Logger) async {
        while !Task.isCancelled {
            do {
                // A connection of the pool's, held for as long as it listens (the pool has one more for it).
                try await database.client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        // Listening from here on: whatever changed before is read again.
                        book.resync()
                        for try await notification in notifications {
                            guard FleetNotice.sender(of: notification.payload) != Substring(replica),
                                let notice = FleetNotice(payload: notification.payload)
                            else { continue }
                            book.apply(notice)
                        }
                    }
                }
            } catch  where !Task.isCancelled {
                logger.warning(
                    "lost the fleet's notices; listening again in a second",
                    metadata: ["error": "\(PostgreSQLDatabase.describe(error))"])
                try? await Task.sleep(for: .seconds(1))
            } catch {
                return
            }
        }
    }
}

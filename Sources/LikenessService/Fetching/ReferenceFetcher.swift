import AsyncHTTPClient
import Foundation
import LikenessCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Fetches the bytes behind a reference URL a caller gave.
public protocol ReferenceFetching: Sendable {
    /// `field` is the reference's field as the caller spelled it, for the errors.
    func fetch(_ url: URL, field: String) async throws(APIError) -> Data
}

public struct FetchSettings: Sendable, Hashable {
    /// Lets fetches reach loopback and private networks. For tests and closed deployments only.
    public var allowPrivateNetworks: Bool
    /// The whole fetch, every redirect and the body included.
    public var timeout: Duration
    public var maximumRedirects: Int
    public var maximumBytes: Int

    public init(
        allowPrivateNetworks: Bool = false, timeout: Duration = .seconds(15), maximumRedirects: Int = 3,
        maximumBytes: Int = ReferenceSource.maximumByteCount
    ) {
        self.allowPrivateNetworks = allowPrivateNetworks
        self.timeout = timeout
        self.maximumRedirects = maximumRedirects
        self.maximumBytes = maximumBytes
    }
}

/// An http(s) fetcher that cannot be turned against the server's own network (see
/// `GuardedConnector`). Redirects are followed by hand, each hop checked again, and the body is
/// counted while it streams.
public struct GuardedHTTPFetcher: ReferenceFetching {
    public let settings: FetchSettings
    private let connector: GuardedConnector
    /// Called for each fetch the address guard refuses (counted in `/metrics`).
    private let refused: @Sendable () -> Void

    /// `isAllowed` replaces the address rule (public addresses only, or any address when
    /// `settings.allowPrivateNetworks`); tests use it to tell two loopback addresses apart.
    public init(
        settings: FetchSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        isAllowed: (@Sendable (ResolvedAddress) -> Bool)? = nil, refused: @escaping @Sendable () -> Void = {}
    ) {
        self.settings = settings
        self.refused = refused
        self.connector = GuardedConnector(
            allowPrivateNetworks: settings.allowPrivateNetworks, eventLoopGroup: eventLoopGroup, isAllowed: isAllowed)
    }

    public func fetch(_ url: URL, field: String = SubjectReference.miniMaxField) async throws(APIError) -> Data {
        do {
            return try await withDeadline(settings.timeout) { try await self.follow(url, field: field) }
        } catch let error as APIError {
            throw error
        } catch is DeadlineExceeded {
            throw APIError.invalid(field, "could not be fetched: no complete answer within \(settings.timeout)")
        } catch let refusal as OutboundRefusal {
            refused()
            throw APIError.invalid(field, "could not be fetched: \(refusal.message)")
        } catch {
            throw APIError.invalid(field, "could not be fetched: \(error)")
        }
    }

    private func follow(_ start: URL, field: String) async throws -> Data {
        var current = start
        for _ in 0...settings.maximumRedirects {
            let hop = try await connector.withClient(for: current) { client in
                try await request(current, client: client, field: field)
            }
            switch hop {
            case .body(let data):
                return data
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                    throw APIError.invalid(field, "could not be fetched: a redirect named an invalid URL")
                }
                current = next
            }
        }
        throw APIError.invalid(field, "could not be fetched: more than \(settings.maximumRedirects) redirects")
    }

    private enum Hop {
        case body(Data)
        case redirect(String)
    }

    private func request(_ url: URL, client: HTTPClient, field: String) async throws -> Hop {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "User-Agent", value: "Likeness reference fetcher")
        request.headers.add(name: "Accept", value: "image/jpeg, image/png")
        let response = try await client.execute(
            request, timeout: .seconds(Int64(settings.timeout.components.seconds) + 1))
        if [301, 302, 303, 307, 308].contains(response.status.code) {
            guard let location = response.headers.first(name: "Location") else {
                throw APIError.invalid(field, "could not be fetched: a redirect without a Location")
            }
            return .redirect(location)
        }
        guard response.status.code == 200 else {
            throw APIError.invalid(field, "could not be fetched: the server answered HTTP \(response.status.code)")
        }
        let tooLarge = APIError.invalid(
            field, "could not be fetched: larger than \(settings.maximumBytes / (1024 * 1024)) MB")
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > settings.maximumBytes
        {
            throw tooLarge
        }
        var body = Data()
        for try await chunk in response.body {
            guard body.count + chunk.readableBytes <= settings.maximumBytes else { throw tooLarge }
            body.append(contentsOf: chunk.readableBytesView)
        }
        return .body(body)
    }
}

struct DeadlineExceeded: Error {}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` if it outlives `limit`.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

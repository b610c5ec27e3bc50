import AsyncHTTPClient
import Foundation
import LikenessAPI
import NIOCore
import NIOPosix

/// Fetches the bytes behind a reference URL a caller gave.
public protocol ReferenceFetching: Sendable {
    func fetch(_ url: URL) async throws(APIError) -> Data
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

/// An http(s) fetcher that cannot be turned against the server's own network.
///
/// Each hop (the first request and every redirect) resolves the host, refuses it unless every
/// address is public, and then connects to the address it checked (AsyncHTTPClient's
/// `dnsOverride` pins the connection while TLS still verifies the original host name), so a
/// second DNS answer cannot swap in an internal address. Redirects are followed by hand for the
/// same reason, and the body is counted while it streams.
public struct GuardedHTTPFetcher: ReferenceFetching {
    public let settings: FetchSettings
    private let eventLoopGroup: any EventLoopGroup
    private let isAllowed: @Sendable (ResolvedAddress) -> Bool

    /// `isAllowed` replaces the address rule (public addresses only, or any address when
    /// `settings.allowPrivateNetworks`); tests use it to tell two loopback addresses apart.
    public init(
        settings: FetchSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        isAllowed: (@Sendable (ResolvedAddress) -> Bool)? = nil
    ) {
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup
        self.isAllowed =
            isAllowed ?? { [allowPrivate = settings.allowPrivateNetworks] address in
                allowPrivate || AddressPolicy.isPublic(address.bytes)
            }
    }

    static let field = "subject_reference[0].image_file"

    public func fetch(_ url: URL) async throws(APIError) -> Data {
        do {
            return try await withDeadline(settings.timeout) { try await self.follow(url) }
        } catch let error as APIError {
            throw error
        } catch is DeadlineExceeded {
            throw APIError.invalid(Self.field, "could not be fetched: no complete answer within \(settings.timeout)")
        } catch {
            throw APIError.invalid(Self.field, "could not be fetched: \(error)")
        }
    }

    private func follow(_ start: URL) async throws -> Data {
        var current = start
        for _ in 0...settings.maximumRedirects {
            switch try await fetchOnce(current) {
            case .body(let data):
                return data
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                    throw APIError.invalid(Self.field, "could not be fetched: a redirect named an invalid URL")
                }
                current = next
            }
        }
        throw APIError.invalid(Self.field, "could not be fetched: more than \(settings.maximumRedirects) redirects")
    }

    private enum Hop {
        case body(Data)
        case redirect(String)
    }

    private func fetchOnce(_ url: URL) async throws -> Hop {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw APIError.invalid(Self.field, "could not be fetched: only http and https URLs are allowed")
        }
        guard var host = url.host(percentEncoded: false), !host.isEmpty else {
            throw APIError.invalid(Self.field, "could not be fetched: the URL has no host")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }

        let addresses: [ResolvedAddress]
        do {
            addresses = try await HostResolver.resolve(host)
        } catch {
            throw APIError.invalid(Self.field, "could not be fetched: cannot resolve \(host)")
        }
        guard let pinned = addresses.first else {
            throw APIError.invalid(Self.field, "could not be fetched: \(host) has no address")
        }
        if !addresses.allSatisfy(isAllowed) {
            throw APIError.invalid(Self.field, "could not be fetched: \(host) is not a public address")
        }

        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled)
        if pinned.text != host { configuration.dnsOverride = [host: pinned.text] }
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        do {
            let hop = try await request(url, client: client)
            try await client.shutdown()
            return hop
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func request(_ url: URL, client: HTTPClient) async throws -> Hop {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "User-Agent", value: "Likeness reference fetcher")
        request.headers.add(name: "Accept", value: "image/jpeg, image/png")
        let response = try await client.execute(
            request, timeout: .seconds(Int64(settings.timeout.components.seconds) + 1))
        if [301, 302, 303, 307, 308].contains(response.status.code) {
            guard let location = response.headers.first(name: "Location") else {
                throw APIError.invalid(Self.field, "could not be fetched: a redirect without a Location")
            }
            return .redirect(location)
        }
        guard response.status.code == 200 else {
            throw APIError.invalid(Self.field, "could not be fetched: the server answered HTTP \(response.status.code)")
        }
        let tooLarge = APIError.invalid(
            Self.field, "could not be fetched: larger than \(settings.maximumBytes / (1024 * 1024)) MB")
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

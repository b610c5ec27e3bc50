import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Why an outbound request was not made: the URL, or the address it resolves to, is not allowed.
struct OutboundRefusal: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Outbound HTTP to URLs that callers supply (reference photos, webhooks), made so that it cannot
/// be turned against the server's own network.
///
/// Each request resolves the host, refuses it unless every address is allowed (public, unless
/// private networks are allowed), and then connects to the address it checked: AsyncHTTPClient's
/// `dnsOverride` pins the connection while TLS still verifies the original host name, so a
/// second DNS answer cannot swap in an internal address. Redirects are never followed here.
struct GuardedConnector: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let isAllowed: @Sendable (ResolvedAddress) -> Bool

    init(
        allowPrivateNetworks: Bool, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        isAllowed: (@Sendable (ResolvedAddress) -> Bool)? = nil
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.isAllowed =
            isAllowed ?? { address in allowPrivateNetworks || AddressPolicy.isPublic(address.bytes) }
    }

    /// Checks the URL's scheme (http or https) and host, then runs `body` with a client pinned to
    /// the checked address, shut down afterwards.
    func withClient<T: Sendable>(for url: URL, _ body: (HTTPClient) async throws -> T) async throws -> T {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw OutboundRefusal(message: "only http and https URLs are allowed")
        }
        guard var host = url.host(percentEncoded: false), !host.isEmpty else {
            throw OutboundRefusal(message: "the URL has no host")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }

        let addresses: [ResolvedAddress]
        do {
            addresses = try await HostResolver.resolve(host)
        } catch {
            throw OutboundRefusal(message: "cannot resolve \(host)")
        }
        guard let pinned = addresses.first else { throw OutboundRefusal(message: "\(host) has no address") }
        if !addresses.allSatisfy(isAllowed) { throw OutboundRefusal(message: "\(host) is not a public address") }

        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5)),
            decompression: .disabled)
        if pinned.text != host { configuration.dnsOverride = [host: pinned.text] }
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

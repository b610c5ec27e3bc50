import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How the client sends a request. `URLSessionTransport` is the default: Foundation's own HTTP
/// stack on every platform (Apple's on iOS and macOS, libcurl's through FoundationNetworking on
/// Linux), so an app links no SwiftNIO. Tests and unusual stacks supply their own.
public protocol HTTPTransport: Sendable {
    func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse)
}

public struct URLSessionTransport: HTTPTransport {
    let session: URLSession

    public init(session: URLSession = .shared) {
        self.session = session
    }

    public func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return (data, http)
    }
}

import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A resolved address: its raw bytes (4 or 16) and its text form.
public struct ResolvedAddress: Sendable, Hashable {
    public var bytes: [UInt8]
    public var text: String
}

/// Resolves a host name with the system resolver, off the async executor (getaddrinfo blocks).
enum HostResolver {
    static func resolve(_ host: String) async throws -> [ResolvedAddress] {
        try await NIOThreadPool.singleton.runIfActive { try resolveBlocking(host) }
    }

    static func resolveBlocking(_ host: String) throws -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            throw ResolutionError(message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let resolved = Self.address(address) {
                if !addresses.contains(resolved) { addresses.append(resolved) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    private static func address(_ address: UnsafeMutablePointer<sockaddr>) -> ResolvedAddress? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        func textForm() -> String {
            String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                var raw = ipv4.pointee.sin_addr
                let bytes = withUnsafeBytes(of: &raw) { Array($0) }
                inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                return ResolvedAddress(bytes: bytes, text: textForm())
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                var raw = ipv6.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &raw) { Array($0) }
                inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                return ResolvedAddress(bytes: bytes, text: textForm())
            }
        default:
            return nil
        }
    }

    struct ResolutionError: Error {
        var message: String
    }
}

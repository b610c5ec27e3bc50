import Foundation
import LikenessAPI
import LikenessCore
import Testing

@testable import LikenessServer
@testable import LikenessService

func address(_ text: String) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: text.contains(":") ? 16 : 4)
    _ = inet_pton(text.contains(":") ? AF_INET6 : AF_INET, text, &bytes)
    return bytes
}

@Suite("Address policy")
struct AddressPolicyTests {
    @Test(
        "internal, special and metadata addresses are not public",
        arguments: [
            "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.10", "198.18.0.1",
            "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2001:db8::1", "::10.0.0.1",
        ])
    func notPublic(text: String) {
        #expect(!AddressPolicy.isPublic(address(text)))
    }

    @Test(
        "ordinary public addresses are public",
        arguments: [
            "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ])
    func isPublic(text: String) {
        #expect(AddressPolicy.isPublic(address(text)))
    }
}

@Suite("Reference URL fetching")
struct ReferenceFetchTests {
    let field = "subject_reference[0].image_file"

    func fetchError(
        _ url: String, settings: FetchSettings = FetchSettings(),
        isAllowed: (@Sendable (ResolvedAddress) -> Bool)? = nil
    ) async -> APIError? {
        do {
            _ = try await GuardedHTTPFetcher(settings: settings, isAllowed: isAllowed).fetch(URL(string: url)!)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "loopback, private and metadata hosts are refused by default, before connecting",
        arguments: [
            "http://127.0.0.1:9/face.jpg", "http://localhost:9/face.jpg", "http://[::1]:9/face.jpg",
            "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/face.jpg", "http://[::ffff:127.0.0.1]:9/x",
        ])
    func refusedByDefault(url: String) async {
        let error = await fetchError(url)
        #expect(error?.code == .invalidParameters)
        #expect(error?.field == field)
        #expect(error?.message.contains("not a public address") == true, "\(String(describing: error))")
    }

    @Test("an operator may allow private networks; the image is fetched")
    func allowed() async throws {
        try await withReferenceServer { base in
            let bytes = try await GuardedHTTPFetcher(settings: FetchSettings(allowPrivateNetworks: true)).fetch(
                URL(string: base + "/face.jpg")!)
            #expect(bytes == (try jpegReference()))
        }
    }

    @Test("every redirect hop is checked again")
    func redirectsRechecked() async throws {
        try await withReferenceServer { base in
            // 127.0.0.1 is allowed, 127.0.0.2 (also loopback, also reachable) is not.
            let onlyFirst: @Sendable (ResolvedAddress) -> Bool = { $0.text == "127.0.0.1" }
            #expect(await fetchError(base + "/redirect/same-host", isAllowed: onlyFirst) == nil)
            let error = await fetchError(base + "/redirect/other-loopback", isAllowed: onlyFirst)
            #expect(
                error?.message.contains("127.0.0.2 is not a public address") == true, "\(String(describing: error))")
        }
    }

    @Test("redirects are bounded")
    func redirectLoop() async throws {
        try await withReferenceServer { base in
            let error = await fetchError(
                base + "/loop", settings: FetchSettings(allowPrivateNetworks: true, maximumRedirects: 3))
            #expect(error?.message.contains("more than 3 redirects") == true)
        }
    }

    @Test("a redirect to anything but http(s) is refused")
    func redirectScheme() async throws {
        try await withReferenceServer { base in
            let error = await fetchError(base + "/to-file", settings: FetchSettings(allowPrivateNetworks: true))
            #expect(error?.message.contains("only http and https") == true, "\(String(describing: error))")
        }
    }

    @Test("the size cap holds while streaming a body with no Content-Length")
    func sizeCap() async throws {
        try await withReferenceServer { base in
            let error = await fetchError(base + "/huge", settings: FetchSettings(allowPrivateNetworks: true))
            #expect(error?.message.contains("larger than 10 MB") == true, "\(String(describing: error))")
        }
    }

    @Test("an error status and a slow server are clear 2013s")
    func statusAndTimeout() async throws {
        try await withReferenceServer { base in
            #expect(
                await fetchError(base + "/missing", settings: FetchSettings(allowPrivateNetworks: true))?.message
                    .contains("HTTP 404") == true)
            let started = ContinuousClock.now
            let error = await fetchError(
                base + "/slow", settings: FetchSettings(allowPrivateNetworks: true, timeout: .seconds(1)))
            #expect(error?.message.contains("no complete answer within") == true, "\(String(describing: error))")
            #expect(started.duration(to: .now) < .seconds(4))
        }
    }

    @Test("an unresolvable host is a clear 2013")
    func unresolvable() async {
        let error = await fetchError("http://does-not-exist.invalid/face.jpg")
        #expect(error?.message.contains("cannot resolve") == true)
    }

    @Test("end to end: a remote reference flows through, and a fetched non-image is refused")
    func endToEnd() async throws {
        try await withReferenceServer { base in
            let harness = try Harness { $0.fetch.allowPrivateNetworks = true }
            try await harness.test { client in
                try await client.generate(
                    [
                        "model": "image-01", "prompt": "x", "n": 2,
                        "subject_reference": [["type": "character", "image_file": base + "/face.jpg"]],
                    ],
                    key: harness.key
                ) { _, reply in
                    #expect(reply.base_resp.status_code == 0)
                    #expect(reply.data?.image_urls?.count == 2)
                }
                try await client.generate(
                    [
                        "model": "image-01", "prompt": "x",
                        "subject_reference": [["type": "character", "image_file": base + "/not-an-image"]],
                    ],
                    key: harness.key
                ) { _, reply in
                    #expect(reply.base_resp.status_code == 2013)
                    #expect(reply.base_resp.status_msg.contains("not an image"))
                }
            }
            // The default configuration refuses the same URL.
            let strict = try Harness()
            try await strict.test { client in
                try await client.generate(
                    [
                        "model": "image-01", "prompt": "x",
                        "subject_reference": [["type": "character", "image_file": base + "/face.jpg"]],
                    ],
                    key: strict.key
                ) { _, reply in #expect(reply.base_resp.status_code == 2013) }
            }
        }
    }
}

import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import NIOPosix
import Testing

@testable import LikenessServer
@testable import LikenessService

/// A self-signed certificate for localhost, made with the openssl command (on NIO's blocking-I/O
/// threads: a process waited for on the cooperative pool stalls the other tests).
func selfSignedIdentity() async throws -> TLSFiles {
    try await NIOThreadPool.singleton.runIfActive { try makeSelfSignedIdentity() }
}

private func makeSelfSignedIdentity() throws -> TLSFiles {
    let directory = temporaryDirectory("likeness-tls")
    let certificate = directory.appending(path: "cert.pem").path
    let privateKey = directory.appending(path: "key.pem").path
    let openssl = Process()
    openssl.executableURL = URL(filePath: "/usr/bin/env")
    openssl.arguments = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", privateKey, "-out", certificate,
        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    guard openssl.terminationStatus == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl req failed"])
    }
    return TLSFiles(certificate: certificate, privateKey: privateKey)
}

@Suite("TLS")
struct TLSTests {
    @Test("with a certificate and key the server speaks HTTPS, and image links say https")
    func https() async throws {
        let identity = try await selfSignedIdentity()
        let harness = try Harness { $0.tls = identity }
        let application = try buildApplication(configuration: harness.configuration, dataDirectory: harness.directory)
        try await application.test(.ahc(.https)) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.generate(["model": "image-01", "prompt": "x"], key: harness.key) { _, reply in
                #expect(reply.data?.image_urls?.first?.hasPrefix("https://") == true)
            }
        }
    }

    @Test("a certificate without a key is a configuration error")
    func halfConfigured() throws {
        let environment = EnvironmentVariablesProvider(environmentVariables: [
            "LIKENESS_TLS_CERTIFICATE": "/tmp/cert.pem"
        ])
        #expect(throws: ConfigurationError.self) {
            _ = try LikenessConfiguration(reader: ConfigReader(provider: environment))
        }
        let both = EnvironmentVariablesProvider(environmentVariables: [
            "LIKENESS_TLS_CERTIFICATE": "/tmp/cert.pem", "LIKENESS_TLS_PRIVATE_KEY": "/tmp/key.pem",
        ])
        let configuration = try LikenessConfiguration(reader: ConfigReader(provider: both))
        #expect(configuration.tls == TLSFiles(certificate: "/tmp/cert.pem", privateKey: "/tmp/key.pem"))
    }
}

import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import LikenessServer
import LikenessStore
import Logging

#if os(Linux)
    import CMalloc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API. With no upstream configured, images come from the built-in preview engine.")

    @Option(help: "Address to listen on (env LIKENESS_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env LIKENESS_PORT; default 8080).")
    var port: Int?

    @Option(
        name: .customLong("tls-certificate"), help: "PEM certificate chain: serve HTTPS (env LIKENESS_TLS_CERTIFICATE)."
    )
    var tlsCertificate: String?

    @Option(
        name: .customLong("tls-private-key"),
        help: "PEM private key for --tls-certificate (env LIKENESS_TLS_PRIVATE_KEY).")
    var tlsPrivateKey: String?

    @OptionGroup var data: DataDirectoryOption

    func run() async throws {
        tuneAllocator()
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        if let host { flags["likeness.host"] = ConfigValue(.string(host), isSecret: false) }
        if let port { flags["likeness.port"] = ConfigValue(.int(port), isSecret: false) }
        if let tlsCertificate {
            flags["likeness.tls.certificate"] = ConfigValue(.string(tlsCertificate), isSecret: false)
        }
        if let tlsPrivateKey { flags["likeness.tls.privateKey"] = ConfigValue(.string(tlsPrivateKey), isSecret: false) }
        let configuration = try await data.configuration(flags)

        let (directory, firstKey) = try prepareDataDirectory(configuration, lockForServing: true)
        if let firstKey {
            if configuration.firstAPIKey == nil {
                say("Created the first API key (shown once, also saved to \(directory.apiKeyFile.path)):")
                say("  \(firstKey.secret)")
            } else {
                say("Adopted LIKENESS_API_KEY as the first API key (\(firstKey.key.id)).")
            }
        }
        let application = try buildApplication(configuration: configuration, dataDirectory: directory)
        let scheme = configuration.tls == nil ? "http" : "https"
        let address = "\(scheme)://\(configuration.host):\(configuration.port)"
        let state =
            configuration.database.map { "state in PostgreSQL, \($0), images in \(directory.root.path)" }
            ?? "data in \(directory.root.path)"
        say("Likeness serving on \(address) (\(state))")
        say("Console: \(address)/ (sign in with an API key)")
        try await application.runService()
    }
}

/// Writes a line to standard output unbuffered: operators often pipe `serve` into a log, and the
/// one-time key line must not sit in a buffer.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// glibc raises its mmap threshold each time a large block is freed, after which a 14 MB request
/// body or data URL is carved from the heap and its memory stays with the process; under a
/// load of large references that measured 6.6x the bodies in flight. A fixed 4 MiB threshold
/// hands such blocks back at once, while the engine's smaller per-image buffers stay on the
/// faster heap path. (docs/BENCHMARKS.md has the figures.)
private func tuneAllocator() {
    #if os(Linux)
        _ = lk_set_mmap_threshold(4 * 1024 * 1024)
    #endif
}

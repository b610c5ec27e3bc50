import AsyncHTTPClient
import Foundation
import LikenessImaging

/// `likeness-bench`: the numbers in docs/BENCHMARKS.md. Run through `bench/run.sh`,
/// `bench/gateways.sh` and `bench/pools.sh`.
///
///     LikenessBench <path to likeness binary> [--scale N] [--port P]
///     LikenessBench reference <path to likeness binary> [--scale N] [--port P]   (the 10 MB reference alone)
///     LikenessBench gateways --requests N NAME=BASE_URL[|BASE_URL…],KEY,MODEL,PID[|PID…] ...
///     LikenessBench metrics-cost [--requests N]
///     LikenessBench pools --simulator URL --rpm N --per-account N NAME=BASE_URL,KEY,MODEL,ACCOUNTS ...
///     LikenessBench identity --models DIR --photos DIR
///     LikenessBench characters --models DIR --photos DIR
///     LikenessBench detectors --models DIR --photos DIR
///     LikenessBench variants --photos DIR --out DIR
///     LikenessBench fair-share --base URL --key ADMIN_KEY [--backlog N] [--few N] [--weights 1,4]
@main
struct LikenessBench {
    static func main() async throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "gateways" {
            let requests = arguments.firstIndex(of: "--requests").flatMap { Int(arguments[$0 + 1]) } ?? 200
            let paths = try arguments.dropFirst().filter { $0.contains("=") }.map { argument in
                let (name, rest) = (argument.prefix { $0 != "=" }, argument.drop { $0 != "=" }.dropFirst())
                let parts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let pids = parts.count == 4 ? parts[3].split(separator: "|").compactMap { Int32($0) } : []
                guard parts.count == 4, !pids.isEmpty else {
                    throw BenchError("a path is NAME=BASE_URL[|BASE_URL…],KEY,MODEL,PID[|PID…]; got \(argument)")
                }
                return GatewayPath(
                    name: String(name), baseURLs: parts[0].split(separator: "|").map(String.init), key: parts[1],
                    model: parts[2], pids: pids)
            }
            print(try await benchGateways(paths, requests: requests))
            return
        }
        if arguments.first == "fair-share" {
            func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
            guard let base = option("--base"), let key = option("--key") else {
                throw BenchError("fair-share needs --base URL --key ADMIN_KEY")
            }
            print(
                try await benchFairShare(
                    base: base, adminKey: key, backlog: option("--backlog").flatMap(Int.init) ?? 200,
                    few: option("--few").flatMap(Int.init) ?? 10,
                    weights: (option("--weights") ?? "1,4").split(separator: ",").compactMap { Int($0) }))
            return
        }
        if arguments.first == "metrics-cost" {
            let requests = arguments.firstIndex(of: "--requests").flatMap { Int(arguments[$0 + 1]) } ?? 1_000_000
            print(await benchMetricsCost(requests: requests))
            return
        }
        if arguments.first == "variants" {
            func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
            guard let photos = option("--photos"), let out = option("--out") else {
                throw BenchError("variants needs --photos DIR --out DIR")
            }
            print(try writeVariants(photos: URL(filePath: photos), to: URL(filePath: out)))
            return
        }
        if ["identity", "characters", "detectors"].contains(arguments.first) {
            func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
            guard let models = option("--models"), let photos = option("--photos") else {
                throw BenchError("\(arguments[0]) needs --models DIR --photos DIR")
            }
            let (modelsURL, photosURL) = (URL(filePath: models), URL(filePath: photos))
            switch arguments.first {
            case "identity": print(try await benchIdentity(models: modelsURL, photos: photosURL))
            case "characters": print(try await benchCharacterRules(models: modelsURL, photos: photosURL))
            default: print(try await benchDetectors(models: modelsURL, photos: photosURL))
            }
            return
        }
        if arguments.first == "pools" {
            func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
            guard let simulator = option("--simulator") else { throw BenchError("pools needs --simulator URL") }
            let paths = try arguments.dropFirst().filter { $0.contains("=") }.map { argument in
                let (name, rest) = (argument.prefix { $0 != "=" }, argument.drop { $0 != "=" }.dropFirst())
                let parts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 4, let accounts = Int(parts[3]) else {
                    throw BenchError("a path is NAME=BASE_URL,KEY,MODEL,ACCOUNTS; got \(argument)")
                }
                return PoolPath(
                    name: String(name), baseURL: parts[0], key: parts[1], model: parts[2], accounts: accounts)
            }
            print(
                try await benchPools(
                    paths, simulator: simulator, perAccount: option("--per-account").flatMap(Int.init) ?? 30,
                    limitPerMinute: option("--rpm").flatMap(Int.init) ?? 60))
            return
        }
        let referenceOnly = arguments.first == "reference"
        if referenceOnly { arguments.removeFirst() }
        guard let binary = arguments.first else {
            throw BenchError("usage: LikenessBench [reference] <likeness binary> [--scale N] [--port P]")
        }
        arguments.removeFirst()
        func option(_ name: String, _ fallback: Int) -> Int {
            arguments.firstIndex(of: name).flatMap { Int(arguments[$0 + 1]) } ?? fallback
        }
        let scale = option("--scale", 1)
        let port = option("--port", 18790)

        if !referenceOnly {
            print("## Preview engine (in process)\n")
            print(try await benchEngine(imagesPerRatio: 10 * scale))
        }

        let server = try ServerProcess(binary: binary, port: port)
        defer { server.stop() }
        try await server.waitUntilHealthy()
        if referenceOnly {
            print("## 10 MB reference as a data URL\n")
            print(try await benchLargeReference(server, reference: try noiseReference(), scale: scale))
            return
        }
        print("\nServer idle RSS: \(format(server.memory().current, 0)) MiB\n")
        print("## Server, n=1, 1:1 (1024x1024)\n")
        print(try await benchServer(server, scale: scale))
        print("\n## Accounts: what billing adds, n=1, url, concurrency 1\n")
        print(try await benchBilling(server, scale: scale))
        print("\n## 10 MB reference as a data URL\n")
        print(try await benchLargeReference(server, reference: try noiseReference(), scale: scale))
    }

    /// A PNG of random pixels just under the 10 MB limit: incompressible, so it stays that size.
    static func noiseReference() throws -> Data {
        var generator = SystemRandomNumberGenerator()
        let side = 1850
        let pixels = (0..<(side * side * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let png = try RasterImage(rgbPixels: pixels, width: side, height: side).encoded(as: .png)
        guard png.count <= 10 * 1024 * 1024 else { throw BenchError("reference is \(png.count) bytes, over 10 MB") }
        return png
    }
}

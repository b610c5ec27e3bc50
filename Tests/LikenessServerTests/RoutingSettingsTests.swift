import Configuration
import Foundation
import LikenessAPI
import LikenessCore
import LikenessEngines
import LikenessTestSupport
import SystemPackage
import Testing

@testable import LikenessServer
@testable import LikenessService

@Suite("routing configuration")
struct RoutingSettingsTests {
    func read(_ values: [AbsoluteConfigKey: ConfigValue]) throws -> RoutingSettings? {
        try RoutingSettings.read(ConfigReader(provider: InMemoryProvider(values: values)))
    }

    @Test("nothing configured: no routing, so the preview engine serves")
    func nothing() throws {
        #expect(try read([:]) == nil)
    }

    @Test("MINIMAX_API_KEY alone routes both models to MiniMax at 10 a minute; region and base URL are honoured")
    func miniMaxShortcut() throws {
        let global = try #require(try read(["minimax.apiKey": .init(.string("k"), isSecret: true)]))
        #expect(global.engines.map(\.name) == ["minimax"])
        #expect(global.engines[0].baseURL == MiniMaxEngine.globalBaseURL)
        #expect(global.engines[0].limits.requestsPerMinute == 10)
        #expect(global.routes == [.image01: [["minimax"]], .image01Live: [["minimax"]]])
        let mainland = try #require(
            try read([
                "minimax.apiKey": .init(.string("k"), isSecret: true),
                "minimax.region": .init(.string("cn"), isSecret: false),
            ]))
        #expect(mainland.engines[0].baseURL == MiniMaxEngine.mainlandBaseURL)
        let custom = try #require(
            try read([
                "minimax.apiKey": .init(.string("k"), isSecret: true),
                "minimax.baseUrl": .init(.string("http://127.0.0.1:9/"), isSecret: false),
            ]))
        #expect(custom.engines[0].baseURL == "http://127.0.0.1:9")
    }

    @Test("mistakes are refused at start-up, naming the key")
    func mistakes() throws {
        #expect(throws: ConfigurationError.self) {
            try read([
                "likeness.engines": .init(.stringArray(["a"]), isSecret: false),
                "likeness.engine.a.kind": .init(.string("minimax"), isSecret: false),
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try read([
                "likeness.engines": .init(.stringArray(["a"]), isSecret: false),
                "likeness.engine.a.kind": .init(.string("dalle"), isSecret: false),
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try read([
                "likeness.engines": .init(.stringArray(["a"]), isSecret: false),
                "likeness.engine.a.kind": .init(.string("minimax"), isSecret: false),
                "likeness.engine.a.apiKey": .init(.string("key with\u{1F}control"), isSecret: true),
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try read([
                "likeness.engines": .init(.stringArray(["a"]), isSecret: false),
                "likeness.engine.a.kind": .init(.string("preview"), isSecret: false),
                "likeness.routes.image-01": .init(.stringArray(["b"]), isSecret: false),
            ])
        }
    }

    @Test("a JSON settings file, as --config reads it: engines, a key file and per-model routes")
    func jsonFile() async throws {
        let directory = temporaryDirectory("likeness-routing")
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appending(path: "fal-key")
        try Data("fal-secret\n".utf8).write(to: keyFile)
        let json = """
            {"likeness": {"engines": ["mm", "mm2", "fal"],
              "engine": {"mm": {"kind": "minimax", "apiKey": "mm-secret", "requestsPerMinute": 20, "results": "passthrough"},
                         "mm2": {"kind": "minimax", "apiKey": "mm-other", "weight": 2,
                                 "health": {"cooldownSeconds": 5, "failureThreshold": 2}},
                         "fal": {"kind": "fal", "apiKeyFile": "\(keyFile.path)"}},
              "routes": {"image-01": ["mm|mm2", "fal"], "image-01-live": ["mm"]}}}
            """
        let file = directory.appending(path: "routes.json")
        try Data(json.utf8).write(to: file)
        let provider = try await FileProvider<JSONSnapshot>(filePath: FilePath(file.path))
        let settings = try #require(try RoutingSettings.read(ConfigReader(provider: provider)))
        #expect(settings.routes == [.image01: [["mm", "mm2"], ["fal"]], .image01Live: [["mm"]]])
        let second = try #require(settings.engines.first { $0.name == "mm2" })
        #expect(second.weight == 2)
        #expect(second.health == AccountHealth.Settings(failureThreshold: 2, cooldown: .seconds(5)))
        let fal = try #require(settings.engines.first { $0.name == "fal" })
        #expect(fal.apiKey == "fal-secret" && fal.baseURL == FalEngine.queueBaseURL)
        let miniMax = try #require(settings.engines.first { $0.name == "mm" })
        #expect(miniMax.limits.requestsPerMinute == 20 && miniMax.results == .passthrough)
    }

    @Test("the environment's route syntax: | joins a pool, a comma starts the next tier")
    func poolsFromTheEnvironment() throws {
        var environment = [
            "LIKENESS_ENGINES": "minimax-a,minimax-b,minimax-c,fal",
            "LIKENESS_ROUTES_IMAGE_01": "minimax-a|minimax-b | minimax-c,fal",
            "LIKENESS_ROUTES_IMAGE_01_LIVE": "minimax-c",
            "LIKENESS_ENGINE_FAL_KIND": "fal", "LIKENESS_ENGINE_FAL_API_KEY": "f",
            "LIKENESS_ENGINE_MINIMAX_B_WEIGHT": "3",
        ]
        for member in ["A", "B", "C"] {
            environment["LIKENESS_ENGINE_MINIMAX_\(member)_KIND"] = "minimax"
            environment["LIKENESS_ENGINE_MINIMAX_\(member)_API_KEY"] = "key-\(member)"
        }
        let settings = try #require(
            try RoutingSettings.read(
                ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment))))
        #expect(settings.routes[.image01] == [["minimax-a", "minimax-b", "minimax-c"], ["fal"]])
        #expect(settings.routes[.image01Live] == [["minimax-c"]])
        #expect(settings.engines.map(\.weight) == [1, 3, 1, 1])
        #expect(settings.engines.allSatisfy { $0.health == AccountHealth.Settings() })
        // Three MiniMax accounts of 5 in flight each: enough workers to fill the pool.
        #expect(settings.firstTierConcurrency == 15)

        for broken in ["minimax-a||minimax-b", "minimax-a|minimax-a", "minimax-a|nobody"] {
            environment["LIKENESS_ROUTES_IMAGE_01"] = broken
            #expect(throws: ConfigurationError.self) {
                try RoutingSettings.read(
                    ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
            }
        }
    }
}

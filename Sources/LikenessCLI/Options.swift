import ArgumentParser
import Configuration
import LikenessServer
import SystemPackage

/// Flags shared by the commands that open the data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Where Likeness keeps its database and images (env LIKENESS_DATA_DIR; default ./.likeness).")
    var dataDirectory: String?

    @Option(
        name: .customLong("config"),
        help: "A JSON settings file, read after flags and the environment (env LIKENESS_CONFIG_FILE).")
    var configFile: String?

    /// The configuration: these flags first, then the environment, then the JSON file.
    func configuration(_ flags: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> LikenessConfiguration {
        var values = flags
        if let dataDirectory { values["likeness.dataDir"] = ConfigValue(.string(dataDirectory), isSecret: false) }
        let environment = EnvironmentVariablesProvider()
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: values), environment]
        if let path = configFile ?? ConfigReader(provider: environment).string(forKey: "likeness.configFile") {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
        }
        return try LikenessConfiguration(reader: ConfigReader(providers: providers))
    }
}

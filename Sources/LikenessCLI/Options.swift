import ArgumentParser
import Configuration
import LikenessServer

/// Flags shared by the commands that open the data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Where Likeness keeps its database and images (env LIKENESS_DATA_DIR; default ./.likeness).")
    var dataDirectory: String?

    /// The configuration: these flags first, then the environment.
    func configuration(_ flags: [AbsoluteConfigKey: ConfigValue] = [:]) throws -> LikenessConfiguration {
        var values = flags
        if let dataDirectory { values["likeness.dataDir"] = ConfigValue(.string(dataDirectory), isSecret: false) }
        return try LikenessConfiguration(
            reader: ConfigReader(providers: [
                InMemoryProvider(name: "flags", values: values), EnvironmentVariablesProvider(),
            ]))
    }
}

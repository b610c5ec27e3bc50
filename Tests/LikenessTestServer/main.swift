import Hummingbird
import LikenessServer
import LikenessTestSupport

// `likeness serve` with the fault-injecting engine, for the client compatibility suites
// (tests/compat). Configured by the same LIKENESS_* environment variables.
let configuration = try LikenessConfiguration.fromEnvironment()
let (directory, _) = try prepareDataDirectory(configuration, lockForServing: true)
let application = try buildApplication(
    configuration: configuration, dataDirectory: directory, engine: FaultInjectingEngine())
try await application.runService()

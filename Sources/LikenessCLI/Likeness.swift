import ArgumentParser

@main
struct Likeness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "A self-hostable image-01 server: MiniMax-native API, text-to-image and subject reference.",
        subcommands: [
            Serve.self, Generate.self, Status.self, Cancel.self, MCPBridge.self, Accounts.self, Keys.self, Credits.self,
            Usage.self, MigrateData.self,
            Simulate.self,
        ])
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import LikenessAPI
import LikenessCore
import Logging
import MCP
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `likeness mcp`: an MCP server on standard input and output, for desktop agents. It holds no
/// tools of its own: each JSON-RPC message goes to the Likeness server's `/mcp` with the key, and
/// each answer comes back. Its one addition is local files: a `reference` that names a file on
/// this machine is sent as a data URL, since the server cannot read the agent's disk.
struct MCPBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP on stdin/stdout for a desktop agent, relaying to a Likeness server with your key.")

    @OptionGroup var connection: ServerOptions

    func run() async throws {
        let (base, key) = try connection.resolved()
        let logger = {
            // Standard output is the protocol's; everything else goes to standard error.
            var logger = Logger(label: "likeness.mcp") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .warning
            return logger
        }()
        let relay = Relay(endpoint: base + "/mcp", key: key, logger: logger)
        let transport = StdioTransport(logger: logger)
        try await transport.connect()
        // Calls run side by side: a long generation does not hold up a ping or a list.
        await withDiscardingTaskGroup { group in
            do {
                for try await message in await transport.receive() {
                    group.addTask {
                        guard let reply = await relay.forward(message) else { return }
                        do { try await transport.send(reply) } catch {
                            logger.error("cannot write to the agent", metadata: ["error": "\(error)"])
                        }
                    }
                }
            } catch {
                logger.error("cannot read from the agent", metadata: ["error": "\(error)"])
            }
        }
    }

    struct Relay: Sendable {
        let endpoint: String
        let key: String
        let logger: Logger

        /// The server's answer to one message, nil for a notification (which has none).
        func forward(_ message: Data) async -> Data? {
            let parsed = try? JSONValue.parseObject(message)
            let id = parsed?["id"]
            var body = message
            if let parsed {
                do {
                    body = try Self.localisingReference(in: parsed) ?? message
                } catch {
                    return id.map { Self.toolError(id: $0, "\(error)") }
                }
            }
            do {
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(key)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Accept", value: "application/json, text/event-stream")
                request.body = .bytes(ByteBuffer(data: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(900))
                let answer = Data(buffer: try await response.body.collect(upTo: 512 * 1024 * 1024))
                guard let id else { return nil }
                if (200..<300).contains(response.status.code), !answer.isEmpty { return answer }
                // A refusal before MCP (a bad key, a rate limit): the agent gets it for this request.
                let message =
                    (try? JSONValue.parseObject(answer)).flatMap(Self.errorMessage)
                    ?? "the Likeness server answered HTTP \(response.status.code)"
                return Self.protocolError(id: id, message)
            } catch {
                logger.warning("cannot reach the Likeness server", metadata: ["error": "\(error)"])
                return id.map {
                    Self.protocolError(id: $0, "cannot reach the Likeness server at \(endpoint): \(error)")
                }
            }
        }

        /// The message with a local `reference` path replaced by the file as a data URL; nil when
        /// it names no local file.
        static func localisingReference(in message: [String: JSONValue]) throws -> Data? {
            guard case .string("tools/call")? = message["method"], case .object(var params)? = message["params"],
                case .string(MCPTools.Name.generateFromReference.rawValue)? = params["name"],
                case .object(var arguments)? = params["arguments"],
                case .string(let reference)? = arguments[MCPTools.referenceArgument],
                CharacterID(reference) == nil, ReferencePhoto.isLocalPath(reference)
            else { return nil }
            arguments[MCPTools.referenceArgument] = .string(try ReferencePhoto.wireValue(reference))
            params["arguments"] = .object(arguments)
            var localised = message
            localised["params"] = .object(params)
            return try JSONEncoder().encode(localised)
        }

        static func errorMessage(_ body: [String: JSONValue]) -> String? {
            guard case .object(let error)? = body["error"], case .string(let message)? = error["message"] else {
                return nil
            }
            return message
        }

        /// A tool's failure the agent reads (a reference file it cannot open), as the server's are.
        static func toolError(id: JSONValue, _ message: String) -> Data {
            reply(
                id: id,
                [
                    "result": .object([
                        "content": .array([.object(["type": .string("text"), "text": .string(message)])]),
                        "isError": .bool(true),
                    ])
                ])
        }

        static func protocolError(id: JSONValue, _ message: String) -> Data {
            reply(id: id, ["error": .object(["code": .integer(-32001), "message": .string(message)])])
        }

        private static func reply(id: JSONValue, _ fields: [String: JSONValue]) -> Data {
            let object = fields.merging(["jsonrpc": .string("2.0"), "id": id]) { old, _ in old }
            return (try? JSONEncoder().encode(object)) ?? Data()
        }
    }
}

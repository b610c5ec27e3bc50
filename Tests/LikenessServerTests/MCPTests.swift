import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessImaging
import LikenessStore
import LikenessTestSupport
import NIOCore
import NIOFoundationCompat
import Testing

@testable import LikenessServer
@testable import LikenessService

extension TestClientProtocol {
    /// One JSON-RPC call to `/mcp`: the HTTP response and its parsed body.
    func mcp(_ method: String, _ params: [String: Any] = [:], key: String?, id: Int = 1) async throws -> (
        TestResponse, [String: Any]
    ) {
        let message: [String: Any] = ["jsonrpc": "2.0", "id": id, "method": method, "params": params]
        let response = try await post(
            "/mcp", body: try JSONSerialization.data(withJSONObject: message),
            authorization: key.map { "Bearer \($0)" },
            headers: [.accept: "application/json, text/event-stream"])
        let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
        return (response, body)
    }

    /// `tools/call`: the result object.
    func callTool(_ name: String, _ arguments: [String: Any], key: String) async throws -> [String: Any] {
        let (response, body) = try await mcp("tools/call", ["name": name, "arguments": arguments], key: key)
        #expect(response.status == .ok)
        return try #require(body["result"] as? [String: Any], "\(body)")
    }
}

/// The texts and images of a tool result.
func toolContent(_ result: [String: Any]) -> (texts: [String], images: [(data: Data, mimeType: String)]) {
    let content = result["content"] as? [[String: Any]] ?? []
    let texts = content.filter { $0["type"] as? String == "text" }.compactMap { $0["text"] as? String }
    let images = content.filter { $0["type"] as? String == "image" }.compactMap { item -> (Data, String)? in
        guard let encoded = item["data"] as? String, let data = Data(base64Encoded: encoded) else { return nil }
        return (data, item["mimeType"] as? String ?? "")
    }
    return (texts, images)
}

@Suite("MCP at /mcp")
struct MCPTests {
    @Test("initialize, then tools/list names the four tools with their schemas")
    func listTools() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let (initialized, reply) = try await client.mcp(
                "initialize",
                [
                    "protocolVersion": "2025-06-18", "capabilities": [:],
                    "clientInfo": ["name": "test", "version": "1"],
                ], key: harness.key)
            #expect(initialized.status == .ok)
            let result = try #require(reply["result"] as? [String: Any])
            #expect((result["serverInfo"] as? [String: Any])?["name"] as? String == "likeness")

            let (_, listed) = try await client.mcp("tools/list", key: harness.key, id: 2)
            let tools = try #require((listed["result"] as? [String: Any])?["tools"] as? [[String: Any]])
            #expect(
                Set(tools.compactMap { $0["name"] as? String })
                    == ["generate_image", "generate_from_reference", "list_jobs", "get_job"])
            let reference = try #require(tools.first { $0["name"] as? String == "generate_from_reference" })
            let schema = try #require(reference["inputSchema"] as? [String: Any])
            #expect(schema["required"] as? [String] == ["prompt", "reference"])
        }
    }

    @Test("generate_image returns the images inline and as URLs, recorded as the mcp dialect")
    func generate() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let result = try await client.callTool(
                "generate_image", ["prompt": "a lighthouse", "n": 2, "aspect_ratio": "16:9", "seed": 3],
                key: harness.key)
            #expect(result["isError"] as? Bool != true)
            let (texts, images) = toolContent(result)
            #expect(images.count == 2)
            for image in images {
                #expect(image.mimeType == "image/jpeg")
                #expect(try ImageHeader(probing: image.data) == ImageHeader(format: .jpeg, width: 1280, height: 720))
            }
            let structured = try #require(result["structuredContent"] as? [String: Any])
            let jobID = try #require(structured["job_id"] as? String)
            #expect(try harness.directory.store.job(id: jobID)?.dialect == .mcp)
            let urls = try #require(structured["images"] as? [[String: Any]]).compactMap { $0["url"] as? String }
            #expect(urls.count == 2)
            #expect(texts.first?.contains(urls[0]) == true)
            let file = try await client.download(urls[0])
            #expect(file.status == .ok)
            #expect(Data(buffer: file.body) == images[0].data)
        }
    }

    @Test("generate_from_reference takes a data URL; a missing or broken reference is a tool error naming it")
    func reference() async throws {
        let harness = try Harness()
        let photo = try jpegReference()
        try await harness.test { client in
            let made = try await client.callTool(
                "generate_from_reference", ["prompt": "the same person at sea", "reference": dataURL(photo)],
                key: harness.key)
            #expect(made["isError"] as? Bool != true)
            #expect(toolContent(made).images.count == 1)

            let missing = try await client.callTool("generate_from_reference", ["prompt": "x"], key: harness.key)
            #expect(missing["isError"] as? Bool == true)
            #expect(toolContent(missing).texts.first?.contains("reference") == true)

            let broken = try await client.callTool(
                "generate_from_reference", ["prompt": "x", "reference": "data:image/jpeg;base64,AAAA"], key: harness.key
            )
            #expect(broken["isError"] as? Bool == true)
            #expect(toolContent(broken).texts.first?.contains("reference") == true)
        }
    }

    @Test("bad arguments are tool errors in plain words; an unknown tool too")
    func toolErrors() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let cases: [(String, [String: Any], String)] = [
                ("generate_image", ["prompt": "x", "n": 12], "n"),
                ("generate_image", ["prompt": "x", "aspect_ratio": "5:4"], "aspect_ratio"),
                ("generate_image", ["prompt": 7], "prompt"),
                ("generate_image", [:], "prompt"),
                ("generate_image", ["prompt": "x", "style": "anime"], "style"),
                ("get_job", [:], "job_id"),
                ("list_jobs", ["limit": 500], "limit"),
                ("paint", [:], "paint"),
            ]
            for (tool, arguments, named) in cases {
                let result = try await client.callTool(tool, arguments, key: harness.key)
                #expect(result["isError"] as? Bool == true, "\(tool) \(arguments)")
                #expect(toolContent(result).texts.first?.contains(named) == true, "\(toolContent(result).texts)")
            }
        }
    }

    @Test("wait: false answers with a job id; get_job gives its images; list_jobs lists the account's own")
    func jobs() async throws {
        let harness = try Harness()
        let other = try harness.customer("other", billing: .unmetered)
        try await harness.test { client in
            let queued = try await client.callTool(
                "generate_image", ["prompt": "a lighthouse", "wait": false], key: harness.key)
            let jobID = try #require((queued["structuredContent"] as? [String: Any])?["job_id"] as? String)
            try await waitUntilFinished(jobID, in: harness.directory.store)
            let job = try await client.callTool("get_job", ["job_id": jobID], key: harness.key)
            #expect((job["structuredContent"] as? [String: Any])?["status"] as? String == "succeeded")
            #expect(toolContent(job).images.count == 1)

            let listed = try await client.callTool("list_jobs", ["limit": 5], key: harness.key)
            let jobs = try #require((listed["structuredContent"] as? [String: Any])?["jobs"] as? [[String: Any]])
            #expect(jobs.compactMap { $0["job_id"] as? String } == [jobID])

            // Another account sees neither the job nor its listing.
            let foreign = try await client.callTool("get_job", ["job_id": jobID], key: other.key)
            #expect(foreign["isError"] as? Bool == true)
            let empty = try await client.callTool("list_jobs", [:], key: other.key)
            let none = (empty["structuredContent"] as? [String: Any])?["jobs"] as? [Any]
            #expect(none?.isEmpty == true)
        }
    }

    @Test("no key is a 401 with a JSON-RPC error; GET has no stream in stateless mode (405)")
    func refusals() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let (response, body) = try await client.mcp("tools/list", key: nil)
            #expect(response.status == .unauthorized)
            #expect((body["error"] as? [String: Any])?["message"] != nil)
            let stream = try await client.execute(
                uri: "/mcp", method: .get,
                headers: [.authorization: "Bearer \(harness.key)", .accept: "text/event-stream"]
            ) { $0 }
            #expect(stream.status == .methodNotAllowed)
            let garbage = try await client.post(
                "/mcp", body: Data("{not json".utf8), authorization: "Bearer \(harness.key)",
                headers: [.accept: "application/json"])
            #expect(garbage.status == .badRequest)
            // Messages the SDK cannot decode would get no answer at all: refused before it, 400.
            let malformed = [
                #"{"jsonrpc":"2.0","id":false,"method":"ping","params":{}}"#,
                #"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
                #"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, #"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                #"{"jsonrpc":"2.0","id":1}"#,
            ]
            for body in malformed {
                let refused = try await client.post(
                    "/mcp", body: Data(body.utf8), authorization: "Bearer \(harness.key)",
                    headers: [.accept: "application/json"])
                #expect(refused.status == .badRequest, "\(body)")
            }
            let (pinged, _) = try await client.mcp("ping", key: harness.key, id: 7)
            #expect(pinged.status == .ok)
        }
    }
}

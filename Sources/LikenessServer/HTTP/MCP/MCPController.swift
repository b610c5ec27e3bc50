import Foundation
import HTTPTypes
import Hummingbird
import LikenessAPI
import LikenessCore
import LikenessService
import Logging
import MCP

/// Refusals before a call reaches MCP (a missing key, a body too large): a JSON-RPC error
/// object, with the HTTP status OpenAI's dialect would use (401, 413, 429, …).
struct MCPDialect: DialectRendering {
    let id = Dialect.mcp

    func failure(_ error: APIError, id: String) -> Rendered {
        let status = OpenAIError(error).status
        // JSON-RPC's "Invalid Request" for a malformed message; otherwise a server-defined code.
        let code = error.code == .invalidParameters ? -32600 : -32001
        var body = JSONWriter()
        body.raw("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":")
        body.integer(code)
        body.raw(",\"message\":")
        body.string(error.message)
        body.raw("}}")
        var headers: HTTPFields = [:]
        if let retryAfter = OpenAIError(error).retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
        return Rendered(status: HTTPResponse.Status(code: status), body: Data(body.bytes), headers: headers)
    }
}

/// `/mcp`: the Model Context Protocol's streamable HTTP transport, stateless (no session, no
/// server-sent stream), behind the API key like every other route.
///
/// Each POST gets its own MCP `Server` and `StatelessHTTPServerTransport`. One shared pair would
/// not do: the SDK's server accepts `initialize` once per connection, and its stateless
/// transport matches answers to waiting requests by JSON-RPC id, which two agents both start
/// at 1. A server per request is what MCP's stateless mode means, and costs one actor.
struct MCPController {
    let toolbox: MCPToolbox
    let support: RequestSupport
    let logger: Logger

    /// `POST /mcp`; in stateless mode no server-sent stream and no session to delete, so `GET`
    /// and `DELETE` answer 405, as MCP says (the SDK's transport answers them).
    var routes: RouteCollection<LikenessRequestContext> {
        let routes = RouteCollection(context: LikenessRequestContext.self)
        routes.post("/mcp", use: handle)
        routes.get("/mcp", use: handle)
        routes.delete("/mcp", use: handle)
        return routes
    }

    @Sendable func handle(_ request: Request, context: LikenessRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = request.method == .post ? try await support.readBody(request) : nil
        if let body { try Self.checkEnvelope(body) }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        // MCP clients accept JSON and event streams; a caller that accepts anything (curl's
        // `*/*`) or says nothing gets JSON too, rather than a 406.
        let accept = headers["accept"] ?? ""
        if accept.isEmpty || accept.contains("*/*") || accept.contains("application/*") {
            headers["accept"] = "application/json"
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
        let call = MCPToolbox.Call(
            caller: caller, origin: toolbox.imageLinks.origin(of: request), requestID: context.requestID)
        return try await support.response(Self.rendered(serve(mcpRequest, call: call)), context: context)
    }

    private func serve(_ request: MCP.HTTPRequest, call: MCPToolbox.Call) async throws(APIError) -> MCP.HTTPResponse {
        let transport = StatelessHTTPServerTransport(
            // The key is the guard here, not the Origin: agents are not browsers, and any browser
            // page would need the key too. Content type, Accept and protocol version stay checked.
            validationPipeline: StandardValidationPipeline(validators: [
                AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ]),
            logger: logger)
        let server = await toolbox.server(for: call)
        do {
            try await server.start(transport: transport)
        } catch {
            throw APIError(.internalError, "the MCP server could not start: \(error)")
        }
        let response = await transport.handleRequest(request)
        await server.stop()
        return response
    }

    /// Refuses a message the SDK could not decode. It answers such a request with nothing at all,
    /// so the HTTP call would wait forever: a JSON object with `"jsonrpc": "2.0"`, and either a
    /// string `method` with an object `params` (if any) and a string or integer `id` (if any), or
    /// a response's `id` with `result` or `error`. Batches went out of MCP in 2025-06-18.
    static func checkEnvelope(_ body: Data) throws(APIError) {
        let message: [String: JSONValue]
        do throws(APIError) {
            message = try JSONValue.parseObject(body)
        } catch {
            throw APIError(.invalidParameters, "Parse error: the body is not one JSON-RPC message (a JSON object)")
        }
        func refuse(_ rule: String) -> APIError { APIError(.invalidParameters, "Invalid Request: \(rule)") }
        guard case .string("2.0")? = message["jsonrpc"] else { throw refuse("jsonrpc must be \"2.0\"") }
        var idIsValid: Bool {
            switch message["id"] {
            case .string?, .integer?: true
            default: false
            }
        }
        if let method = message["method"] {
            guard case .string = method else { throw refuse("method must be a string") }
            switch message["params"] {
            case nil, .object?: break
            default: throw refuse("params must be an object")
            }
            guard message["id"] == nil || idIsValid else { throw refuse("id must be a string or an integer") }
        } else {
            guard idIsValid, message["result"] != nil || message["error"] != nil else {
                throw refuse("a message needs a method, or an id with a result or an error")
            }
        }
    }

    static func rendered(_ response: MCP.HTTPResponse) -> Rendered {
        var headers: HTTPFields = [:]
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { headers[fieldName] = value }
        }
        return Rendered(
            status: HTTPResponse.Status(code: response.statusCode), body: response.bodyData ?? Data(),
            headers: headers)
    }
}

import Foundation
import LikenessAPI
import LikenessCore
import LikenessService
import MCP

/// The tools `/mcp` serves, on the generation service every dialect uses: an agent's jobs are
/// queued, billed, rate limited and stored like any other, in the `mcp` dialect.
struct MCPToolbox: Sendable {
    let service: GenerationService
    let imageLinks: ImageLinks
    let authenticator: Authenticator
    static let dialect = MCPDialect().id

    /// Who is calling, and where this server was addressed (for image links).
    struct Call: Sendable {
        var caller: Caller
        var origin: String
        var requestID: String
    }

    /// An MCP server for one HTTP request, with the tools bound to its caller.
    func server(for call: Call) async -> Server {
        let server = Server(
            name: "likeness", version: OpenAPIDocument.version, title: "Likeness",
            instructions: """
                Generates images with MiniMax image-01. generate_from_reference keeps the person in a \
                reference photo (one face, clearly visible) across new scenes. Images are returned \
                inline and as URLs that expire.
                """,
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: Self.tools) }
        await server.withMethodHandler(CallTool.self) { params in
            await run(params, call: call)
        }
        return server
    }

    func run(_ params: CallTool.Parameters, call: Call) async -> CallTool.Result {
        do throws(APIError) {
            guard let tool = MCPTools.Name(rawValue: params.name) else {
                throw APIError.invalid("name", "is not a tool of this server: \(params.name)")
            }
            let arguments = try Self.json(params.arguments ?? [:])
            switch tool {
            case .generateImage, .generateFromReference:
                return try await generate(tool, arguments: arguments, call: call)
            case .listJobs:
                return try await listJobs(limit: try MCPTools.listLimit(arguments: arguments), call: call)
            case .getJob:
                return try await getJob(id: try MCPTools.jobID(arguments: arguments), call: call)
            }
        } catch {
            // A tool error, not a protocol error: the agent reads the message and can act on it.
            return CallTool.Result(content: [.plain(error.message)], isError: true)
        }
    }

    private func generate(_ tool: MCPTools.Name, arguments: Data, call: Call) async throws(APIError)
        -> CallTool.Result
    {
        try await authenticator.admit(call.caller)
        // One HTTP request carries one tool call: the request's id names its job.
        let id = call.requestID
        let generation: MCPTools.Generation
        do throws(APIError) {
            generation = try MCPTools.generation(tool, arguments: arguments)
        } catch {
            await service.recordRejected(id: id, caller: call.caller, dialect: Self.dialect, error: error)
            throw error
        }
        var request = generation.request
        request.responseFormat = .url
        let submission = Submission(
            caller: call.caller, dialect: Self.dialect, options: QueueOptions(origin: call.origin))
        guard generation.wait else {
            let job = try await service.enqueue(request, id: id, submission)
            return CallTool.Result(
                content: [.plain("Job \(job.id) is queued. Call get_job with this job_id for its images.")],
                structuredContent: .object(["job_id": .string(job.id), "status": .string("queued")]))
        }
        let result = try await service.generate(request, id: id, submission)
        guard let job = try await service.snapshot(id: result.jobID) else {
            throw APIError(.systemError, "the job \(result.jobID) could not be read back")
        }
        return await answer(for: job, call: call)
    }

    private func getJob(id: String, call: Call) async throws(APIError) -> CallTool.Result {
        guard let job = try await service.visibleJob(id: id, to: call.caller, dialect: Self.dialect) else {
            throw APIError(.invalidParameters, "no job \(id) (jobs made through MCP by this account)")
        }
        return await answer(for: job, call: call)
    }

    private func listJobs(limit: Int, call: Call) async throws(APIError) -> CallTool.Result {
        let jobs = try await service.recentJobs(of: call.caller, dialect: Self.dialect, limit: limit)
        let lines = jobs.map { job in
            "\(job.id)  \(Self.status(of: job))  \(job.createdAt.formatted(.iso8601))  \(job.imageCount) image(s)"
        }
        let summary = jobs.isEmpty ? "No jobs yet." : lines.joined(separator: "\n")
        let structured = jobs.map { job -> Value in
            .object([
                "job_id": .string(job.id), "status": .string(Self.status(of: job)),
                "created_at": .string(job.createdAt.formatted(.iso8601)), "images": .int(job.imageCount),
            ])
        }
        return CallTool.Result(content: [.plain(summary)], structuredContent: .object(["jobs": .array(structured)]))
    }

    /// A job as a tool answers it: where it stands, and once done its images inline and as URLs.
    private func answer(for job: JobSnapshot, call: Call) async -> CallTool.Result {
        let status = Self.status(of: job)
        guard job.isFinished else {
            return CallTool.Result(
                content: [.plain("Job \(job.id) is \(status). Call get_job again for its images.")],
                structuredContent: .object(["job_id": .string(job.id), "status": .string(status)]))
        }
        let linked: GenerationResult
        switch await service.result(of: job) {
        case .failure(let error):
            return CallTool.Result(
                content: [.plain("Job \(job.id) \(status): \(error.message)")],
                structuredContent: .object([
                    "job_id": .string(job.id), "status": .string(status), "error": .string(error.message),
                ]), isError: true)
        case .success(let result): linked = result
        }
        guard case .stored(let images) = linked.images else {
            return CallTool.Result(content: [.plain("Job \(job.id) has no stored images")], isError: true)
        }
        let urls = images.map { imageLinks.url(for: $0, origin: call.origin) }
        var content: [Tool.Content] = [
            .plain(
                "Job \(job.id): \(images.count) image(s) by \(linked.engine). URLs (they expire):\n"
                    + urls.joined(separator: "\n"))
        ]
        // The bytes too, so an agent can look at them; a passed-through image has none here.
        if case .success(let inline) = await service.result(of: job, format: .base64),
            case .inline(let files) = inline.images
        {
            content += files.map {
                .image(data: $0.base64EncodedString(), mimeType: inline.format.mimeType, annotations: nil, _meta: nil)
            }
        }
        // Identity scores, for an agent to judge the likeness by (as the dialects report them).
        let identity = linked.identity
        if let identity, let lowest = identity.lowest {
            let scores = identity.scores.map(IdentityReport.formatted)
            content.append(
                .plain(
                    "Identity scores against the reference (1 is the same face): \(scores.joined(separator: ", "))"
                        + " (lowest \(IdentityReport.formatted(lowest)))" + (identity.note.map { ". \($0)" } ?? "")))
        }
        let structured: [Value] = zip(images, urls).enumerated().map { index, pair in
            var fields: [String: Value] = [
                "url": .string(pair.1), "width": .int(pair.0.width), "height": .int(pair.0.height),
                "content_type": .string(pair.0.format.mimeType),
            ]
            if let scores = identity?.scores, scores.indices.contains(index), let score = scores[index] {
                fields["identity_score"] = .double(IdentityReport.rounded(score))
            }
            return .object(fields)
        }
        return CallTool.Result(
            content: content,
            structuredContent: .object([
                "job_id": .string(job.id), "status": .string(status), "images": .array(structured),
            ]))
    }

    static func status(of job: JobSnapshot) -> String {
        switch job.state {
        case .queued: "queued"
        case .running: "running"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// Tool arguments as the JSON object the MCP dialect parses.
    static func json(_ arguments: [String: Value]) throws(APIError) -> Data {
        do {
            return try JSONEncoder().encode(arguments)
        } catch {
            throw APIError(.invalidParameters, "invalid params, the arguments are not a JSON object")
        }
    }
}

extension Tool.Content {
    /// Text with no annotations (the SDK's short form is deprecated).
    static func plain(_ text: String) -> Self { .text(text: text, annotations: nil, _meta: nil) }
}

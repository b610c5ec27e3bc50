import Foundation
import LikenessAPI
import LikenessCore
import LikenessService

/// The published contract: an OpenAPI 3.1 document of every public route, built here in one
/// place from the same enums the dialects validate against (models, aspect ratios, styles, fal
/// apps), so a value the server accepts is a value the document lists. `OperatingTests` checks
/// that every route the router registers is documented, and every documented one exists;
/// schemathesis checks the answers against it (`tests/contract`).
enum OpenAPIDocument {
    typealias J = JSONValue

    /// The whole document, as served at `/openapi.json`.
    static func json(aliases: ModelAliases) -> Data {
        encode(document(aliases: aliases))
    }

    /// One fal app alone, as fal serves `/api/openapi/queue/openapi.json?endpoint_id=<app>`: its
    /// submit, status, result and cancel under the queue paths, its request and output schemas.
    static func falJSON(app: FalApp) -> Data {
        let full = document(aliases: .standard)
        guard case .object(var root) = full, case .object(let paths)? = root["paths"] else { return encode(full) }
        let prefix = FalQueueController.prefix + "/" + app.rawValue
        let statusPrefix = FalQueueController.prefix + "/" + FalQueue.requestsApp + "/requests/"
        root["paths"] = .object(paths.filter { $0.key == prefix || $0.key.hasPrefix(statusPrefix) })
        root["info"] = .object([
            "title": .string("Likeness: \(app.rawValue) (fal queue)"), "version": .string(version),
            "x-fal-metadata": .object(["endpointId": .string(app.rawValue)]),
        ])
        return encode(.object(root))
    }

    static let version = "1.0.0"

    // MARK: The document

    static func document(aliases: ModelAliases) -> J {
        var paths: [String: J] = [:]
        paths["/v1/image_generation"] = .object(["post": miniMaxGeneration()])
        paths["/v1/query/image_generation"] = .object(["get": miniMaxTask(), "delete": miniMaxCancel()])
        paths["/v1/images/generations"] = .object(["post": openAIGeneration()])
        paths["/v1/images/generations/{id}"] = .object(["get": openAITask()])
        paths["/v1/images/edits"] = .object(["post": openAIEdit()])
        paths["/v1/models"] = .object(["get": modelList()])
        paths["/v1/models/{model}"] = .object(["get": modelRetrieve(aliases: aliases)])
        for app in FalApp.allCases {
            paths[FalController.prefix + "/" + app.rawValue] = .object(["post": falRun(app)])
            paths[FalQueueController.prefix + "/" + app.rawValue] = .object(["post": falSubmit(app)])
        }
        for app in [FalQueue.requestsApp] + FalApp.allCases.map(\.rawValue) {
            let base = FalQueueController.prefix + "/" + app + "/requests/{request_id}"
            paths[base + "/status"] = .object(["get": falStatus(app)])
            paths[base + "/status/stream"] = .object(["get": falStream(app)])
            paths[base] = .object(["get": falResult(app)])
            paths[base + "/cancel"] = .object(["put": falCancel(app)])
        }
        paths["/mcp"] = .object([
            "post": mcp(), "get": mcpWithoutSession("mcpStream"), "delete": mcpWithoutSession("mcpEndSession"),
        ])
        paths["/v1/files/{file}"] = .object(["get": file(), "delete": deleteFile()])
        paths["/v1/balance"] = .object(["get": balance()])
        paths["/v1/usage"] = .object(["get": usage()])
        paths["/v1/account/minimax-key"] = .object(["put": attachKey(admin: false), "delete": detachKey(admin: false)])
        paths["/v1/keys"] = .object(["get": ownKeys(), "post": createOwnKey()])
        paths["/v1/keys/{id}"] = .object(["delete": revokeOwnKey()])
        characters(into: &paths)
        uploads(into: &paths)
        history(into: &paths)
        admin(into: &paths)
        paths["/health"] = .object(["get": plain("health", "Liveness, and each upstream engine's state", "Health")])
        paths["/ready"] = .object(["get": ready()])
        paths["/metrics"] = .object(["get": metrics()])
        paths["/openapi.json"] = .object(["get": documentItself()])
        paths["/api/openapi/queue/openapi.json"] = .object(["get": falDocument()])
        paths["/llms.txt"] = .object(["get": llms()])
        paths["/.well-known/jwks.json"] = .object([
            "get": operation(
                "webhookKeys", tag: "operations",
                summary: "The ED25519 public keys that verify fal-dialect webhooks (a JWKS, as fal publishes its own)",
                security: .array([]), responses: ["200": json(jwks(), "OK")])
        ])
        paths["/"] = .object(["get": consoleFile("console", "The web console", "text/html")])
        paths["/console/console.js"] = .object([
            "get": consoleFile("consoleScript", "The console's script", "text/javascript")
        ])
        paths["/console/console.css"] = .object([
            "get": consoleFile("consoleStyles", "The console's styles", "text/css")
        ])
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("Likeness"),
                "version": .string(version),
                "description": .string(
                    "MiniMax image-01 (text-to-image and subject reference) in the dialects its clients speak: "
                        + "MiniMax native, OpenAI-compatible, and fal.ai's synchronous and queue APIs."),
            ]),
            "servers": .array([.object(["url": .string("/")])]),
            "security": .array([.object(["bearer": .array([])])]),
            "tags": .array(
                ["minimax", "openai", "fal", "mcp", "files", "account", "characters", "admin", "operations"].map {
                    .object(["name": .string($0)])
                }),
            "paths": .object(paths),
            "components": .object(["securitySchemes": securitySchemes(), "schemas": allSchemas()]),
        ])
    }

    static func allSchemas() -> J {
        guard case .object(var fields) = schemas() else { return schemas() }
        fields.merge(uploadSchemas()) { first, _ in first }
        fields.merge(historySchemas()) { first, _ in first }
        return .object(fields)
    }

    // MARK: MiniMax

    static func miniMaxGeneration() -> J {
        operation(
            "miniMaxImageGeneration", tag: "minimax", summary: "Generate images (MiniMax native)",
            description: "Failures are HTTP 200 with `base_resp.status_code` other than 0, as MiniMax answers. "
                + "With `\"async\": true` or `Prefer: respond-async` it answers 202 with a `task_id` at once.",
            parameters: [preferParameter],
            body: jsonBody(ref("MiniMaxRequest")),
            responses: [
                "200": json(ref("MiniMaxResponse"), "Images, or a failure in `base_resp`"),
                "202": json(ref("MiniMaxResponse"), "Accepted: `task_id`, to query"),
                "413": json(ref("MiniMaxResponse"), "The body is larger than the limit"),
            ])
    }

    static func miniMaxTask() -> J {
        operation(
            "miniMaxQueryImageGeneration", tag: "minimax", summary: "An asynchronous generation's task",
            description: "`status` `Queueing` or `Processing`; then the synchronous answer with `task_id` and "
                + "`status` (`Success` or `Fail`) in front.",
            parameters: [
                queryParameter("task_id", "The task id the submission answered", type: "string", required: true),
                queryParameter(
                    "logs", "`1`: an unfinished task's answer carries its log lines (`logs`, Likeness's addition)",
                    type: "string"),
            ],
            responses: ["200": json(ref("MiniMaxResponse"), "The task, or a failure in `base_resp`")])
    }

    static func miniMaxCancel() -> J {
        operation(
            "miniMaxCancelImageGeneration", tag: "minimax", summary: "Cancel an asynchronous generation",
            description: "Likeness's addition: a queued task never runs, a running one is asked to stop "
                + "(`status` `Cancelling`); it ends as `Fail`. A finished or unknown task is a 2013.",
            parameters: [queryParameter("task_id", "The task to cancel", type: "string", required: true)],
            responses: ["200": json(ref("MiniMaxResponse"), "`Cancelling`, or a failure in `base_resp`")])
    }

    static let preferParameter: J = .object([
        "name": .string("Prefer"), "in": .string("header"), "required": .bool(false),
        "description": .string("`respond-async`: answer at once with a task"),
        "schema": .object(["type": .string("string")]),
    ])

    // MARK: OpenAI-compatible

    static func openAIGeneration() -> J {
        operation(
            "openAIImagesGenerations", tag: "openai", summary: "Generate images (OpenAI-compatible)",
            description: "With `\"async\": true` or `Prefer: respond-async` it answers 202 with a task at once.",
            parameters: [preferParameter],
            body: jsonBody(ref("OpenAIImagesRequest")),
            responses: [
                "200": imagesOrEvents(), "202": json(ref("OpenAIImageTask"), "Accepted: the task, to poll"),
                "default": openAIError(),
            ])
    }

    /// The images as JSON, or with `stream: true` as server-sent events, one per image.
    static func imagesOrEvents() -> J {
        .object([
            "description": .string("Images; with `stream: true`, one `…completed` event per image"),
            "content": .object([
                "application/json": .object(["schema": ref("OpenAIImagesResponse")]),
                "text/event-stream": eventStream(of: "OpenAIImageStreamEvent"),
            ]),
        ])
    }

    static func openAITask() -> J {
        operation(
            "openAIImageGenerationTask", tag: "openai", summary: "An asynchronous generation's task",
            parameters: [pathParameter("id", "The task's id", schema: .object(["type": .string("string")]))],
            responses: ["200": json(ref("OpenAIImageTask"), "The task"), "default": openAIError()])
    }

    static func openAIEdit() -> J {
        operation(
            "openAIImagesEdits", tag: "openai", summary: "Subject reference from an uploaded photo",
            description: "The subject's photo is the form's `image` part, or the JSON body's "
                + "`images[0].image_url`; a `mask` is refused.",
            body: .object([
                "required": .bool(true),
                "content": .object([
                    "multipart/form-data": .object(["schema": ref("OpenAIEditsForm")]),
                    "application/json": .object(["schema": ref("OpenAIEditsJSON")]),
                ]),
            ]),
            responses: ["200": imagesOrEvents(), "default": openAIError()])
    }

    static func modelList() -> J {
        operation(
            "listModels", tag: "openai", summary: "Every model name the OpenAI dialect accepts",
            responses: ["200": json(ref("ModelList"), "The models"), "default": openAIError()])
    }

    static func modelRetrieve(aliases: ModelAliases) -> J {
        operation(
            "retrieveModel", tag: "openai", summary: "One model name",
            parameters: [
                pathParameter(
                    "model", "A model name; a slash in it may be sent as it is or escaped",
                    schema: .object(["type": .string("string")]))
            ],
            responses: ["200": json(ref("Model"), "The model"), "default": openAIError()])
    }

    // MARK: fal

    static func falRun(_ app: FalApp) -> J {
        operation(
            "falRun" + falName(app.rawValue), tag: "fal",
            summary: "Generate and wait (fal synchronous, \(app.rawValue))",
            security: falSecurity, body: jsonBody(ref(falInput(app))),
            responses: ["200": json(ref("FalOutput"), "Images"), "default": falError()])
    }

    static func falSubmit(_ app: FalApp) -> J {
        operation(
            "falSubmit" + falName(app.rawValue), tag: "fal", summary: "Queue a request (fal queue, \(app.rawValue))",
            security: falSecurity,
            parameters: [
                queryParameter("fal_webhook", "A URL to POST the result to when the request finishes", type: "string")
            ],
            body: jsonBody(ref(falInput(app))),
            responses: ["200": json(ref("FalSubmitted"), "Queued"), "default": falError()])
    }

    static func falStatus(_ app: String) -> J {
        operation(
            "falStatus" + falName(app), tag: "fal", summary: "A queued request's status", security: falSecurity,
            parameters: [requestID, queryParameter("logs", "1 to include the request's log lines", type: "string")],
            responses: ["200": json(ref("FalStatus"), "The status"), "default": falError()])
    }

    static func falStream(_ app: String) -> J {
        operation(
            "falStatusStream" + falName(app), tag: "fal", summary: "The status as server-sent events until completed",
            security: falSecurity,
            parameters: [requestID, queryParameter("logs", "1 to include the request's log lines", type: "string")],
            responses: [
                "200": .object([
                    "description": .string("Server-sent events, each one's `data` a status body"),
                    "content": .object([
                        "text/event-stream": eventStream(of: "FalStatus")
                    ]),
                ]),
                "default": falError(),
            ])
    }

    static func falResult(_ app: String) -> J {
        operation(
            "falResult" + falName(app), tag: "fal", summary: "A finished request's output", security: falSecurity,
            parameters: [requestID],
            responses: ["200": json(ref("FalOutput"), "Images"), "default": falError()])
    }

    static func falCancel(_ app: String) -> J {
        operation(
            "falCancel" + falName(app), tag: "fal", summary: "Cancel a queued or running request",
            security: falSecurity, parameters: [requestID],
            responses: [
                "202": json(ref("FalCancel"), "CANCELLATION_REQUESTED"),
                "default": .object([
                    "description": .string("ALREADY_COMPLETED (400), NOT_FOUND (404), or a refusal"),
                    "content": .object([
                        "application/json": .object([
                            "schema": .object([
                                "anyOf": .array([ref("FalCancel"), ref("FalDetail"), ref("FalValidationError")])
                            ])
                        ])
                    ]),
                ]),
            ])
    }

    static let requestID = pathParameter(
        "request_id", "The request id a submit answered", schema: .object(["type": .string("string")]))

    static let falSecurity: J = .array([.object(["falKey": .array([])]), .object(["bearer": .array([])])])

    static func falInput(_ app: FalApp) -> String {
        app == .subjectReference ? "FalSubjectReferenceInput" : "FalTextToImageInput"
    }

    /// `fal-ai/minimax/image-01/subject-reference` → `FalAiMinimaxImage01SubjectReference`.
    static func falName(_ app: String) -> String {
        app.split(whereSeparator: { $0 == "/" || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    // MARK: Files and the caller's account

    static func file() -> J {
        operation(
            "getImage", tag: "files", summary: "A generated image, by its signed, expiring URL",
            description: "Anything but a valid, unexpired signature for an image that exists is 404.",
            security: .array([]),
            parameters: [
                pathParameter(
                    "file", "`<image id>.jpg`, `.png` or `.webp`, as the image was made",
                    schema: .object(["type": .string("string")])),
                queryParameter("expires", "Unix seconds", type: "string"),
                queryParameter("signature", "HMAC-SHA256, hex", type: "string"),
            ],
            responses: [
                "200": .object([
                    "description": .string("The image, in the format it was made in"),
                    "content": .object(
                        Dictionary(
                            uniqueKeysWithValues: OutputFormat.allCases.map { format in
                                (
                                    format.mimeType,
                                    J.object([
                                        "schema": .object([
                                            "type": .string("string"), "contentMediaType": .string(format.mimeType),
                                        ])
                                    ])
                                )
                            })),
                ]),
                "404": .object(["description": .string("No such image, or the URL has expired")]),
            ])
    }

    // MARK: MCP

    static func mcp() -> J {
        let jsonRPC = J.object([
            "type": .string("object"), "required": .array([.string("jsonrpc")]),
            "properties": .object([
                "jsonrpc": .object(["const": .string("2.0")]),
                "id": .object(["type": .array([.string("string"), .string("integer"), .string("null")])]),
                "result": .object(["type": .string("object")]), "error": .object(["type": .string("object")]),
            ]),
        ])
        return operation(
            "mcp", tag: "mcp", summary: "The Model Context Protocol, streamable HTTP, stateless",
            description: "One JSON-RPC message a request: `initialize`, `tools/list`, `tools/call` "
                + "(`generate_image`, `generate_from_reference`, `list_jobs`, `get_job`), `ping`. A request "
                + "is answered with JSON; a notification with 202.",
            body: .object([
                "required": .bool(true),
                "content": .object([
                    "application/json": .object([
                        "schema": .object([
                            "type": .string("object"), "required": .array([.string("jsonrpc"), .string("method")]),
                            "properties": .object([
                                "jsonrpc": .object(["const": .string("2.0")]),
                                "id": .object(["type": .array([.string("string"), .string("integer")])]),
                                "method": .object(["type": .string("string")]),
                                "params": .object(["type": .string("object")]),
                            ]),
                        ])
                    ])
                ]),
            ]),
            responses: [
                "200": json(jsonRPC, "The JSON-RPC response"),
                "202": .object(["description": .string("A notification, accepted")]),
                "default": json(jsonRPC, "A JSON-RPC error: 400 not JSON-RPC, 401 no key, 406 JSON not accepted"),
            ])
    }

    static func mcpWithoutSession(_ id: String) -> J {
        operation(
            id, tag: "mcp", summary: "Not in stateless mode (no stream, no session): 405",
            responses: [
                "405": json(.object(["type": .string("object")]), "Method Not Allowed"),
                "default": json(.object(["type": .string("object")]), "A JSON-RPC error (401 without a key)"),
            ])
    }

    static func balance() -> J {
        operation(
            "getBalance", tag: "account", summary: "The calling key's account: balance, reservations, prices",
            security: accountSecurity,
            responses: ["200": json(ref("Balance"), "The balance"), "default": openAIError()])
    }

    static func usage() -> J {
        operation(
            "getUsage", tag: "account", summary: "The account's requests in a period, as JSON or CSV",
            security: accountSecurity,
            parameters: periodParameters + [
                queryParameter("format", "`csv` for CSV (or `Accept: text/csv`)", type: "string")
            ],
            responses: [
                "200": .object([
                    "description": .string("Usage"),
                    "content": .object([
                        "application/json": .object(["schema": ref("Usage")]),
                        "text/csv": .object(["schema": .object(["type": .string("string")])]),
                    ]),
                ]),
                "default": openAIError(),
            ])
    }

    static let periodParameters = [
        queryParameter("from", "A date (`2026-11-01`, UTC) or an ISO 8601 time", type: "string"),
        queryParameter("to", "A date (included) or an ISO 8601 time", type: "string"),
    ]

    static func attachKey(admin: Bool) -> J {
        operation(
            admin ? "adminAttachMiniMaxKey" : "attachMiniMaxKey", tag: admin ? "admin" : "account",
            summary: "Bring your own MiniMax key: the account's generations go to MiniMax on it",
            security: accountSecurity, parameters: admin ? [accountID] : [],
            body: jsonBody(ref("MiniMaxKeyRequest")),
            responses: ["200": json(ref("Balance"), "The account's balance"), "default": openAIError()])
    }

    static func detachKey(admin: Bool) -> J {
        operation(
            admin ? "adminDetachMiniMaxKey" : "detachMiniMaxKey", tag: admin ? "admin" : "account",
            summary: "Remove the account's own MiniMax key", security: accountSecurity,
            parameters: admin ? [accountID] : [],
            responses: ["200": json(ref("Balance"), "The account's balance"), "default": openAIError()])
    }

    static func ownKeys() -> J {
        operation(
            "listKeys", tag: "account", summary: "The calling key's account's keys (never their secrets)",
            security: accountSecurity,
            responses: ["200": json(list(ref("APIKey")), "The keys"), "default": openAIError()])
    }

    static func createOwnKey() -> J {
        operation(
            "createKey", tag: "account", summary: "Issue a user key for the caller's account (its secret shown once)",
            description: "`role` may only be `user`: admin keys come from the admin API.", security: accountSecurity,
            body: jsonBody(ref("CreateKeyRequest")),
            responses: ["200": json(ref("APIKey"), "The key, with its secret"), "default": openAIError()])
    }

    static func revokeOwnKey() -> J {
        operation(
            "revokeKey", tag: "account", summary: "Revoke another key of the caller's account",
            description: "The key making the request cannot revoke itself here; another account's key is 404.",
            security: accountSecurity,
            parameters: [pathParameter("id", "A key id", schema: .object(["type": .string("string")]))],
            responses: ["200": json(ref("APIKey"), "The revoked key"), "default": openAIError()])
    }

    static let accountSecurity: J = .array([.object(["bearer": .array([])]), .object(["falKey": .array([])])])

    // MARK: Admin

    static let accountID = pathParameter("id", "An account id", schema: .object(["type": .string("string")]))

    static func admin(into paths: inout [String: J]) {
        let base = "/v1/admin"
        paths[base + "/accounts"] = .object([
            "get": adminOperation("adminListAccounts", "Every account", response: list(ref("Account"))),
            "post": adminOperation(
                "adminCreateAccount", "Create an account", body: ref("CreateAccountRequest"),
                response: ref("Account")),
        ])
        paths[base + "/accounts/{id}"] = .object([
            "get": adminOperation("adminGetAccount", "One account", parameters: [accountID], response: ref("Account")),
            "patch": adminOperation(
                "adminUpdateAccountLimits", "Change an account's limits", parameters: [accountID],
                body: ref("UpdateLimitsRequest"), response: ref("Account")),
            "delete": adminOperation(
                "adminDeleteAccount",
                "Delete an account's characters, uploads, requests and images; revoke its keys and give back its balance (its row and ledger stay, as the books)",
                parameters: [accountID], response: ref("DeletedAccount")),
        ])
        paths[base + "/accounts/{id}/keys"] = .object([
            "get": adminOperation(
                "adminListKeys", "An account's keys", parameters: [accountID], response: list(ref("APIKey"))),
            "post": adminOperation(
                "adminCreateKey", "Issue a key (its secret is shown once)", parameters: [accountID],
                body: ref("CreateKeyRequest"), response: ref("APIKey")),
        ])
        paths[base + "/accounts/{id}/credits"] = .object([
            "post": adminOperation(
                "adminCredit", "Top up, adjust or refund an account", parameters: [accountID],
                body: ref("CreditRequest"), response: list(ref("LedgerEntry")))
        ])
        paths[base + "/accounts/{id}/ledger"] = .object([
            "get": adminOperation(
                "adminLedger", "An account's ledger", parameters: [accountID] + periodParameters,
                response: list(ref("LedgerEntry")))
        ])
        paths[base + "/accounts/{id}/usage"] = .object([
            "get": adminOperation(
                "adminUsage", "An account's usage", parameters: [accountID] + periodParameters,
                response: ref("Usage"))
        ])
        paths[base + "/accounts/{id}/minimax-key"] = .object([
            "put": attachKey(admin: true), "delete": detachKey(admin: true),
        ])
        paths[base + "/queue"] = .object([
            "get": adminOperation(
                "adminQueue", "Each account with jobs waiting or running, and its queue weight",
                response: ref("QueueShares"))
        ])
        paths[base + "/webhook-keys/rotate"] = .object([
            "post": adminOperation(
                "adminRotateWebhookKey",
                "Sign fal-dialect webhooks with a new key; the old one stays published while its webhooks may be retried",
                response: jwks())
        ])
        paths[base + "/keys/{id}"] = .object([
            "delete": adminOperation(
                "adminRevokeKey", "Revoke a key",
                parameters: [pathParameter("id", "A key id", schema: .object(["type": .string("string")]))],
                response: ref("APIKey"))
        ])
    }

    static func adminOperation(
        _ id: String, _ summary: String, parameters: [J] = [], body: J? = nil, response: J
    ) -> J {
        operation(
            id, tag: "admin", summary: summary, description: "Needs a key with the admin role.",
            security: accountSecurity, parameters: parameters, body: body.map(jsonBody),
            responses: ["200": json(response, "OK"), "default": openAIError()])
    }

    static func list(_ item: J) -> J {
        object(
            ["object": .object(["const": .string("list")]), "data": array(item), "has_more": boolean()],
            required: ["object", "data"])
    }

    // MARK: Operations

    static func ready() -> J {
        operation(
            "ready", tag: "operations", summary: "Readiness: 200 when the process can take work, 503 with the reason",
            security: .array([]),
            responses: [
                "200": json(ref("Readiness"), "Ready"), "503": json(ref("Readiness"), "Starting, stopping or no store"),
            ])
    }

    static func metrics() -> J {
        operation(
            "metrics", tag: "operations", summary: "Prometheus metrics",
            description: "By default an admin key is needed (`LIKENESS_METRICS_ACCESS`); a listener of its own "
                + "(`LIKENESS_METRICS_ADDRESS`) serves them without one.",
            responses: [
                "200": .object([
                    "description": .string("The Prometheus text format"),
                    "content": .object(["text/plain": .object(["schema": .object(["type": .string("string")])])]),
                ]),
                "default": openAIError(),
            ])
    }

    static func documentItself() -> J {
        operation(
            "openAPIDocument", tag: "operations", summary: "This document", security: .array([]),
            responses: ["200": json(.object(["type": .string("object")]), "OpenAPI 3.1")])
    }

    static func falDocument() -> J {
        operation(
            "falOpenAPIDocument", tag: "fal", summary: "One fal app's OpenAPI document, as fal serves it",
            security: .array([]),
            parameters: [
                .object([
                    "name": .string("endpoint_id"), "in": .string("query"), "required": .bool(true),
                    "schema": .object(["enum": .array(FalApp.allCases.map { .string($0.rawValue) })]),
                ])
            ],
            responses: [
                "200": json(.object(["type": .string("object")]), "OpenAPI 3.1"),
                "404": json(ref("FalDetail"), "No such endpoint"),
            ])
    }

    /// A JSON Web Key Set of Ed25519 keys (RFC 7517, RFC 8037).
    static func jwks() -> J {
        let key = object(
            [
                "kty": .object(["const": .string("OKP")]), "crv": .object(["const": .string("Ed25519")]),
                "use": .object(["const": .string("sig")]), "alg": .object(["const": .string("EdDSA")]),
                "kid": .object(["type": .string("string")]), "x": .object(["type": .string("string")]),
            ], required: ["kty", "crv", "kid", "x"])
        return object(["keys": array(key)], required: ["keys"])
    }

    static func llms() -> J {
        operation(
            "llmsText", tag: "operations", summary: "A short guide to the API for coding agents", security: .array([]),
            responses: [
                "200": .object([
                    "description": .string("Markdown as plain text"),
                    "content": .object(["text/plain": .object(["schema": .object(["type": .string("string")])])]),
                ])
            ])
    }

    static func consoleFile(_ id: String, _ summary: String, _ type: String) -> J {
        operation(
            id, tag: "operations", summary: summary, security: .array([]),
            responses: [
                "200": .object([
                    "description": .string(summary),
                    "content": .object([type: .object(["schema": .object(["type": .string("string")])])]),
                ])
            ])
    }

    static func plain(_ id: String, _ summary: String, _ schema: String) -> J {
        operation(
            id, tag: "operations", summary: summary, security: .array([]),
            responses: ["200": json(ref(schema), "OK")])
    }

    // MARK: Building blocks

    static func operation(
        _ id: String, tag: String, summary: String, description: String? = nil, security: J? = nil,
        parameters: [J] = [], body: J? = nil, responses: [String: J]
    ) -> J {
        var fields: [String: J] = [
            "operationId": .string(id), "tags": .array([.string(tag)]), "summary": .string(summary),
            "responses": .object(responses),
        ]
        if let description { fields["description"] = .string(description) }
        if let security { fields["security"] = security }
        if !parameters.isEmpty { fields["parameters"] = .array(parameters) }
        if let body { fields["requestBody"] = body }
        return .object(fields)
    }

    /// Server-sent events whose `data` is JSON of the schema `name` (schemathesis checks each event).
    static func eventStream(of name: String) -> J {
        .object([
            "schema": object(
                [
                    "event": string(),
                    "data": .object([
                        "type": .string("string"), "contentMediaType": .string("application/json"),
                        "contentSchema": ref(name),
                    ]),
                ], required: ["data"])
        ])
    }

    static func ref(_ name: String) -> J { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    static func json(_ schema: J, _ description: String) -> J {
        .object([
            "description": .string(description),
            "content": .object(["application/json": .object(["schema": schema])]),
        ])
    }

    static func jsonBody(_ schema: J) -> J {
        .object(["required": .bool(true), "content": .object(["application/json": .object(["schema": schema])])])
    }

    static func openAIError() -> J { json(ref("OpenAIError"), "An error in OpenAI's shape") }

    static func falError() -> J {
        // A request id that is not the caller's answers 404 `{"status": "NOT_FOUND"}`, as fal does.
        json(
            .object(["anyOf": .array([ref("FalDetail"), ref("FalValidationError"), ref("FalCancel")])]),
            "An error in fal's shape")
    }

    static func pathParameter(_ name: String, _ description: String, schema: J) -> J {
        .object([
            "name": .string(name), "in": .string("path"), "required": .bool(true),
            "description": .string(description), "schema": schema,
        ])
    }

    static func queryParameter(_ name: String, _ description: String, type: String, required: Bool = false) -> J {
        .object([
            "name": .string(name), "in": .string("query"), "required": .bool(required),
            "description": .string(description), "schema": .object(["type": .string(type)]),
        ])
    }

    static func object(_ properties: [String: J], required: [String] = []) -> J {
        var fields: [String: J] = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { fields["required"] = .array(required.map(J.string)) }
        return .object(fields)
    }

    static func string(_ description: String? = nil) -> J {
        var fields: [String: J] = ["type": .string("string")]
        if let description { fields["description"] = .string(description) }
        return .object(fields)
    }

    static func integer(_ range: ClosedRange<Int>? = nil) -> J {
        var fields: [String: J] = ["type": .string("integer")]
        if let range {
            fields["minimum"] = .integer(Int64(range.lowerBound))
            fields["maximum"] = .integer(Int64(range.upperBound))
        }
        return .object(fields)
    }

    static func boolean() -> J { .object(["type": .string("boolean")]) }
    static func number() -> J { .object(["type": .string("number")]) }
    static func array(_ items: J) -> J { .object(["type": .string("array"), "items": items]) }
    static func enumeration(_ values: [String]) -> J { .object(["enum": .array(values.map(J.string))]) }
    static func nullable(_ type: String) -> J { .object(["type": .array([.string(type), .string("null")])]) }
    /// An amount in US dollars, as a decimal string (`"0.0035"`).
    static func dollars() -> J { .object(["type": .string("string"), "pattern": .string("^-?[0-9]+(\\.[0-9]+)?$")]) }

    static func encode(_ value: J) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

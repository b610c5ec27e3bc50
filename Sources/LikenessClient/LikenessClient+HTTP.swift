import Foundation
import LikenessAPI
import LikenessCore
import LikenessUpstream

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange with retries, and the two answer shapes: the native dialect's `base_resp`
/// and the account routes' OpenAI-shaped errors.
extension LikenessClient {
    enum Method: String {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    /// A native answer and the headers Likeness adds to it.
    struct NativeAnswer {
        var body: MiniMaxUpstream.Answer
        var response: HTTPURLResponse

        func header(_ name: String) -> String? { response.value(forHTTPHeaderField: name) }
    }

    func request(_ method: Method, _ path: String, query: [URLQueryItem] = [], body: Data? = nil) -> URLRequest {
        var components = URLComponents(url: baseURL.appending(path: path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method.rawValue
        request.timeoutInterval = Double(configuration.timeout.components.seconds)
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            // One key for every attempt of this call: a retry returns the first attempt's job.
            if method == .post { request.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key") }
        }
        return request
    }

    /// A native-dialect call: a failure in `base_resp` (HTTP 200, as MiniMax answers) is thrown.
    func native(_ method: Method, _ path: String, query: [URLQueryItem] = [], body: Data? = nil)
        async throws(LikenessError) -> NativeAnswer
    {
        let (answer, failure) = try await nativeAnswer(method, path, query: query, body: body)
        if let failure { throw failure }
        return answer
    }

    /// A native answer with its `base_resp` failure beside it: a task query's `Fail` is the job's
    /// outcome, not the call's. Failures of the call itself (no answer, a refusal before the
    /// task was read, a rate limit) are thrown, after the retries.
    func nativeAnswer(_ method: Method, _ path: String, query: [URLQueryItem] = [], body: Data? = nil)
        async throws(LikenessError) -> (NativeAnswer, LikenessError?)
    {
        try await perform(request(method, path, query: query, body: body)) { data, response throws(LikenessError) in
            let retryAfter = Self.retryAfter(response)
            // Read as MiniMax's clients read it (counts as numbers or strings), the engine's way.
            guard let answer = try? MiniMaxUpstream.readAnswer(data) else {
                throw Self.unexpected(data, response, retryAfter: retryAfter)
            }
            guard answer.statusCode != 0 else { return (NativeAnswer(body: answer, response: response), nil) }
            let failure = LikenessError.native(
                statusCode: answer.statusCode, message: answer.statusMessage,
                reason: response.value(forHTTPHeaderField: "X-Likeness-Error-Reason"),
                field: response.value(forHTTPHeaderField: "X-Likeness-Error-Field"), retryAfter: retryAfter,
                httpStatus: response.statusCode)
            guard answer.taskStatus == "Fail" else { throw failure }
            return (NativeAnswer(body: answer, response: response), failure)
        }
    }

    /// An account or admin call: JSON in `AccountsWire`'s shape, errors in OpenAI's.
    func account<Body: Decodable>(
        _ method: Method, _ path: String, query: [URLQueryItem] = [], body: (some Encodable)? = nil as Never?,
        as type: Body.Type
    ) async throws(LikenessError) -> Body {
        var encoded: Data? = nil
        if let body {
            do { encoded = try AccountsWire.encoder.encode(body) } catch {
                throw LikenessError(.invalidParameter, "the request body cannot be encoded: \(error)")
            }
        }
        return try await perform(request(method, path, query: query, body: encoded)) {
            data, response throws(LikenessError) in
            guard (200..<300).contains(response.statusCode) else {
                throw Self.openAIError(data, response)
            }
            do {
                return try AccountsWire.decoder.decode(Body.self, from: data)
            } catch {
                throw LikenessError(
                    .transport, "the answer is not a \(Body.self): \(error)", httpStatus: response.statusCode)
            }
        }
    }

    static func openAIError(_ data: Data, _ response: HTTPURLResponse) -> LikenessError {
        struct Envelope: Decodable {
            struct Inner: Decodable {
                var message: String
                var type: String?
                var param: String?
            }
            var error: Inner
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data) else {
            return unexpected(data, response, retryAfter: retryAfter(response))
        }
        return .openAIShaped(
            httpStatus: response.statusCode, type: envelope.error.type, message: envelope.error.message,
            param: envelope.error.param, retryAfter: retryAfter(response))
    }

    /// An answer in no shape the API gives (a proxy's error page, say).
    static func unexpected(_ data: Data, _ response: HTTPURLResponse, retryAfter: Duration?) -> LikenessError {
        let code: LikenessError.Code =
            switch response.statusCode {
            case 429: .rateLimited
            case 401, 403: .authentication
            case 404: .notFound
            case 502, 503: .upstreamFailure
            default: .transport
            }
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return LikenessError(
            code, "unexpected answer (HTTP \(response.statusCode)): \(text)", retryAfter: retryAfter,
            httpStatus: response.statusCode)
    }

    static func retryAfter(_ response: HTTPURLResponse) -> Duration? {
        response.value(forHTTPHeaderField: "Retry-After").flatMap(Int.init).map { .seconds($0) }
    }

    /// Sends `request` until `decode` accepts an answer, retrying what a retry can fix.
    func perform<Value>(
        _ request: URLRequest, decode: (Data, HTTPURLResponse) throws(LikenessError) -> Value
    ) async throws(LikenessError) -> Value {
        var attempt = 1
        var delay = configuration.retryDelay
        while true {
            let failure: LikenessError
            do throws(LikenessError) {
                let (data, response) = try await exchange(request)
                do throws(LikenessError) {
                    return try decode(data, response)
                } catch {
                    failure = error
                }
            } catch {
                failure = error
            }
            guard attempt < configuration.maximumAttempts, Self.isRetryable(failure) else { throw failure }
            let wait = min(failure.retryAfter ?? delay, configuration.maximumRetryDelay)
            do { try await Task.sleep(for: wait) } catch { throw LikenessError(.cancelled, "the call was cancelled") }
            attempt += 1
            delay *= 2
        }
    }

    static func isRetryable(_ error: LikenessError) -> Bool {
        if error.code == .transport && error.httpStatus == nil { return true }
        // 2056 is a usage cap: waiting seconds does not lift it.
        if error.code == .rateLimited { return error.statusCode != StatusCode.usageLimitExceeded.rawValue }
        return error.httpStatus == 429 || error.httpStatus == 503
    }

    /// One HTTP exchange; a failure to get any answer is `.transport` (with no HTTP status).
    func exchange(_ request: URLRequest) async throws(LikenessError) -> (Data, HTTPURLResponse) {
        do {
            return try await transport.send(request)
        } catch is CancellationError {
            throw LikenessError(.cancelled, "the call was cancelled")
        } catch let error as URLError where error.code == .cancelled {
            throw LikenessError(.cancelled, "the call was cancelled")
        } catch {
            throw LikenessError(.transport, "no answer from \(request.url?.host() ?? "the server"): \(error)")
        }
    }
}

/// The API a request arrived in. Jobs record it: a job is seen, rendered and sent its webhook in
/// its own dialect, and two requests are the same request for `Idempotency-Key` only within one.
/// The core knows which dialect a job came in, never what its wire looks like.
public enum Dialect: String, Sendable, Hashable, CaseIterable {
    /// MiniMax's own `POST /v1/image_generation`.
    case minimax
    /// OpenAI-compatible `/v1/images/generations` and `/v1/images/edits`.
    case openai
    /// fal.ai's synchronous and queue endpoints.
    case fal
    /// The Model Context Protocol's tools at `/mcp`.
    case mcp
}

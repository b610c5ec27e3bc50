import LikenessAPI
import LikenessCore
import LikenessService
import MCP

extension MCPToolbox {
    /// What `tools/list` answers: each tool's name, purpose and JSON Schema.
    static let tools: [Tool] = [
        Tool(
            name: MCPTools.Name.generateImage.rawValue, title: "Generate images",
            description: "Generate 1 to 9 images from a text prompt with MiniMax image-01.",
            inputSchema: schema(generationProperties, required: ["prompt"]),
            annotations: .init(readOnlyHint: false, openWorldHint: false)),
        Tool(
            name: MCPTools.Name.generateFromReference.rawValue, title: "Generate from a reference photo",
            description: """
                Generate images of the person in a reference photo (subject reference): the same face \
                in the scene the prompt describes. The photo must show one person's face clearly.
                """,
            inputSchema: schema(
                generationProperties.merging([
                    MCPTools.referenceArgument: property(
                        "string",
                        """
                        The reference photo (JPEG or PNG, at most 10 MB): an http(s) URL or a data: URL, \
                        or the id of a character stored with POST /v1/characters (chr_…). Through \
                        `likeness mcp` (stdio), also a path to a file on this machine.
                        """)
                ]) { old, _ in old }, required: ["prompt", MCPTools.referenceArgument]),
            annotations: .init(readOnlyHint: false, openWorldHint: true)),
        Tool(
            name: MCPTools.Name.listJobs.rawValue, title: "List recent jobs",
            description: "This account's most recent image jobs made through MCP, newest first.",
            inputSchema: schema([
                "limit": .object([
                    "type": .string("integer"), "minimum": .int(1), "maximum": .int(50),
                    "description": .string("How many (default 10)"),
                ])
            ]),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(
            name: MCPTools.Name.getJob.rawValue, title: "Get a job",
            description: "A job's status and, once it has succeeded, its images (inline and as URLs).",
            inputSchema: schema(
                ["job_id": property("string", "The job id a generate tool returned")], required: ["job_id"]),
            annotations: .init(readOnlyHint: true, openWorldHint: false)),
    ]

    static let generationProperties: [String: Value] = [
        "prompt": .object([
            "type": .string("string"), "minLength": .int(1), "maxLength": .int(1500),
            "description": .string("What to draw"),
        ]),
        "aspect_ratio": .object([
            "enum": .array(AspectRatio.allCases.map { .string($0.rawValue) }),
            "description": .string("Default 1:1 (21:9 only on image-01)"),
        ]),
        "n": .object([
            "type": .string("integer"), "minimum": .int(1), "maximum": .int(9),
            "description": .string("How many images (default 1)"),
        ]),
        "seed": property("integer", "The same seed and prompt give the same images"),
        "model": .object([
            "enum": .array(ImageModel.allCases.map { .string($0.rawValue) }),
            "description": .string("Default image-01; image-01-live takes a style"),
        ]),
        "style": .object([
            "enum": .array(LiveStyleType.allCases.map { .string($0.rawValue) }),
            "description": .string("image-01-live's style"),
        ]),
        "style_weight": .object([
            "type": .string("number"), "exclusiveMinimum": .int(0), "maximum": .int(1),
            "description": .string("How strongly the style applies (default 0.8)"),
        ]),
        "aigc_watermark": property("boolean", "Label the images as AI-generated (visible and in metadata)"),
        "wait": property(
            "boolean", "Wait for the images (default true); false answers at once with a job_id for get_job"),
    ]

    static func property(_ type: String, _ description: String) -> Value {
        .object(["type": .string(type), "description": .string(description)])
    }

    static func schema(_ properties: [String: Value], required: [String] = []) -> Value {
        .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(required.map(Value.string)), "additionalProperties": .bool(false),
        ])
    }
}

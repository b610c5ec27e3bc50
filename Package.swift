// swift-tools-version: 6.2
import PackageDescription

// Swift 6 mode (strict concurrency) everywhere, with `any` spelled out, and members visible only
// from modules a file imports itself, so each file's imports say what it depends on.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "likeness",
    platforms: [.macOS(.v15), .iOS(.v17)],
    products: [
        .executable(name: "likeness", targets: ["LikenessCLI"]),
        .executable(name: "LikenessBench", targets: ["LikenessBench"]),
        .library(name: "LikenessAPI", targets: ["LikenessAPI", "LikenessCore", "LikenessUpstream"]),
        // The Swift SDK: Foundation only (URLSession), for apps on Apple platforms and for Linux.
        .library(name: "LikenessClient", targets: ["LikenessClient"]),
    ],
    dependencies: [
        // Traits off unless used: each default trait pulls in more to build.
        .package(
            url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["ConfigurationSupport"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0", traits: []),
        // JSON: `--config FILE` routing files (no extra dependency).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Already in the graph through Hummingbird; named here because Likeness imports them.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // `/metrics`: swift-metrics as the API, a Prometheus registry as its backend.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // MCP: the server at `/mcp` and the stdio transport of `likeness mcp`.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // The fleet's store: PostgreSQL, pooled, with LISTEN/NOTIFY.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // The canonical request and its one validation, the error catalogue, money, the prompt
        // policy, JSON reading and writing. Foundation only; it knows no dialect.
        .target(name: "LikenessCore", swiftSettings: swiftSettings),
        // The wire dialects (MiniMax, OpenAI-compatible, fal, and the same from the client side):
        // each translates its bodies into the canonical request and renders answers in its shape.
        .target(name: "LikenessAPI", dependencies: ["LikenessCore"], swiftSettings: swiftSettings),
        // The providers' wire from the client side (MiniMax, fal, OpenAI-compatible): the bodies
        // Likeness sends as an upstream's client and the readers of their answers. Below the
        // engines, beside the dialects: an engine never sees how Likeness itself is called.
        .target(name: "LikenessUpstream", dependencies: ["LikenessCore"], swiftSettings: swiftSettings),
        // The Swift SDK on those same wire types: native generation, the queue, accounts, admin.
        .target(
            name: "LikenessClient", dependencies: ["LikenessAPI", "LikenessCore", "LikenessUpstream"],
            swiftSettings: swiftSettings),

        // libvips through a header of static inline wrappers (Swift cannot call C variadics).
        .systemLibrary(
            name: "CVips",
            path: "Sources/CVips",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"]), .brew(["vips"])]
        ),
        .target(name: "LikenessImaging", dependencies: ["CVips"], swiftSettings: swiftSettings),

        // Face detection and descriptors from dlib (Debian `libdlib-dev`), behind a small C
        // interface. Optimised even in debug builds: dlib's network is header templates, and at
        // -O0 one face takes seconds instead of a fraction of one.
        .target(
            name: "CFaces",
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("lapack"), .linkedLibrary("blas")]
        ),
        // Identity scores: faces found and described on the scorer's own threads.
        .target(
            name: "LikenessFaces",
            dependencies: ["CFaces", "LikenessImaging", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),

        // The preview renderer, the upstream provider engines, and the router that paces, retries
        // and fails over between them.
        .target(
            name: "LikenessEngines",
            dependencies: [
                "LikenessCore", "LikenessImaging", "LikenessUpstream",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(
            name: "LikenessStore",
            dependencies: [
                "LikenessCore", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // The core service: admission, the queue and its workers, the job runner, accounts and
        // money, webhooks, the fleet, the image stores. It imports no dialect and no HTTP
        // framework: a route reaches it with a canonical request and gets back a result.
        .target(
            name: "LikenessService",
            dependencies: [
                "LikenessCore", "LikenessImaging", "LikenessEngines", "LikenessStore", "LikenessFaces",
                "LikenessUpstream",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // HTTP: the routes of every dialect, middleware, the dialects' renderers, the console,
        // the contract, and `buildApplication`, which wires the service to them.
        .target(
            name: "LikenessServer",
            dependencies: [
                "LikenessAPI", "LikenessCore", "LikenessImaging", "LikenessEngines", "LikenessStore", "LikenessService",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            // The web console, compiled into the binary: no files to ship beside it.
            resources: [
                .embedInCode("Console/index.html"), .embedInCode("Console/console.js"),
                .embedInCode("Console/console.css"),
            ],
            swiftSettings: swiftSettings
        ),

        // glibc allocator tuning for `serve` (Linux only).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        .executableTarget(
            name: "LikenessCLI",
            dependencies: [
                .target(name: "CMalloc", condition: .when(platforms: [.linux])),
                "LikenessServer", "LikenessService", "LikenessAPI", "LikenessCore", "LikenessStore",
                "LikenessSimulators",
                "LikenessClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "LikenessBench",
            dependencies: [
                "LikenessEngines", "LikenessAPI", "LikenessCore", "LikenessImaging", "LikenessFaces",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "bench/LikenessBench",
            swiftSettings: swiftSettings
        ),

        // Fixtures shared by the test targets: crafted hostile images, mutated request bodies, an
        // instant engine and a fault-injecting one, polling and temporary-folder helpers.
        .target(
            name: "LikenessTestSupport",
            dependencies: [
                "LikenessImaging", "LikenessEngines", "LikenessAPI", "LikenessCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // Stand-ins for the MiniMax, fal and OpenAI-compatible upstreams, with faults on demand:
        // the engine tests run against them, and `likeness simulate` serves them.
        .target(
            name: "LikenessSimulators",
            dependencies: [
                "LikenessAPI", "LikenessCore", "LikenessEngines",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `likeness serve` with the fault-injecting engine, driven by the Python client suites.
        .executableTarget(
            name: "LikenessTestServer",
            dependencies: [
                "LikenessServer", "LikenessService", "LikenessTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/LikenessTestServer",
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "LikenessAPITests",
            dependencies: [
                "LikenessAPI", "LikenessCore", "LikenessEngines", "LikenessTestSupport", "LikenessUpstream",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LikenessFacesTests",
            dependencies: ["LikenessFaces", "LikenessImaging", "LikenessTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LikenessImagingTests", dependencies: ["LikenessImaging", "LikenessTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LikenessEnginesTests",
            dependencies: [
                "LikenessEngines", "LikenessImaging", "LikenessTestSupport", "LikenessSimulators", "LikenessAPI",
                "LikenessCore", "LikenessUpstream",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LikenessStoreTests", dependencies: ["LikenessStore", "LikenessCore", "LikenessTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LikenessServerTests",
            dependencies: [
                "LikenessServer", "LikenessService", "LikenessImaging", "LikenessEngines", "LikenessTestSupport",
                "LikenessSimulators", "LikenessClient", "LikenessFaces",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)

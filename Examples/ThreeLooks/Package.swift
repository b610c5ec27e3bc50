// swift-tools-version: 6.2
import PackageDescription

// Three images of the same person from one photo, with Likeness's Swift SDK.
let package = Package(
    name: "ThreeLooks",
    platforms: [.macOS(.v15), .iOS(.v17)],
    dependencies: [
        // In your app: .package(url: "https://github.com/<you>/likeness", from: "1.0.0")
        .package(name: "likeness", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "ThreeLooks", dependencies: [.product(name: "LikenessClient", package: "likeness")])
    ]
)

// swift-tools-version:6.0
// The libFuzzer target for Wiggle: lexer → parser → tracer (→ engine) on
// arbitrary bytes. A package of its own, so that the main package's
// `swift build` / `swift test` never try to link it. Build and run with
// Fuzz/run.sh (see README.md, "Contributing").
import PackageDescription

let package = Package(
    name: "WiggleFuzz",
    dependencies: [.package(name: "Wiggle", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "FuzzDriver",
            dependencies: ["CFuzzer", .product(name: "WiggleLang", package: "Wiggle")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

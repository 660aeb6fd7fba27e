// swift-tools-version:6.0
// Wiggle — a small probabilistic scripting language that differentiates
// expectations through random sampling. See DESIGN in README.md and grammar.md.
import PackageDescription

let package = Package(
    name: "Wiggle",
    products: [
        .executable(name: "wiggle", targets: ["wiggle"]),
        .executable(name: "wiggle-bench", targets: ["WiggleBench"]),
        .library(name: "WiggleLang", targets: ["WiggleLang"]),
        .library(name: "WiggleGraph", targets: ["WiggleGraph"]),
        .library(name: "WiggleSyntax", targets: ["WiggleSyntax"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Tokens, lexer, parser, AST and diagnostics. Knows nothing of graphs.
        .target(name: "WiggleSyntax"),
        // Numeric ops and their derivatives; later the graph IR and the particle engine.
        // Knows nothing of syntax.
        .target(name: "WiggleGraph"),
        // The interpreter/tracer, builtins and display.
        .target(name: "WiggleLang", dependencies: ["WiggleSyntax", "WiggleGraph"]),
        // GNU readline, for the REPL. Needs libreadline-dev.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // Signal handling for the CLI and the REPL (Swift 6 cannot touch C globals).
        .target(name: "CSupport", linkerSettings: [.linkedLibrary("readline"), .linkedLibrary("util")]),
        // Hand-fused C loops computing the benchmark's estimators, for comparison.
        .target(name: "CReference", cSettings: [.unsafeFlags(["-O3"])]),
        // The benchmark: the engine against the C reference, in one run.
        .executableTarget(name: "WiggleBench", dependencies: ["WiggleGraph", "WiggleLang", "CReference"]),
        // The command-line interface and the REPL.
        .executableTarget(
            name: "wiggle",
            dependencies: [
                "WiggleLang",
                "CReadline",
                "CSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WiggleSyntaxTests", dependencies: ["WiggleSyntax"]),
        .testTarget(name: "WiggleGraphTests", dependencies: ["WiggleGraph"]),
        .testTarget(name: "WiggleLangTests", dependencies: ["WiggleLang", "WiggleSyntax"]),
        .testTarget(name: "WiggleCLITests", dependencies: ["wiggle", "CSupport"]),
        .testTarget(name: "CReadlineTests", dependencies: ["CReadline"]),
    ],
    swiftLanguageModes: [.v6]
)

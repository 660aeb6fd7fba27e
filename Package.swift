// swift-tools-version:6.0
// Wiggle — a small probabilistic scripting language that differentiates
// expectations through random sampling. See README.md and grammar.md.
import Foundation
import PackageDescription

/// GNU readline's headers (Debian: libreadline-dev). Without them the REPL
/// falls back to a plain line reader instead of failing to build.
let readlineAvailable = ["/usr/include", "/usr/local/include", "/opt/homebrew/include"].contains {
    FileManager.default.fileExists(atPath: "\($0)/readline/readline.h")
}

/// ZeroMQ's headers (Debian: libzmq3-dev), for the Jupyter kernel. Without
/// them `wiggle kernel` says how to get it instead of failing to build.
let zeroMQAvailable = ["/usr/include", "/usr/local/include", "/opt/homebrew/include"].contains {
    FileManager.default.fileExists(atPath: "\($0)/zmq.h")
}

/// SLEEF's headers (Debian: libsleef-dev), for vectorised exp, log, tanh,
/// sin, cos, sigmoid and softplus in the engine. Without them the engine
/// uses the C library's scalar functions.
let sleefAvailable = ["/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/local/include"].contains {
    FileManager.default.fileExists(atPath: "\($0)/sleef.h")
}

#if arch(x86_64)
let vectorKernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-mavx2", "-mfma"])] + (sleefAvailable ? [.define("WIGGLE_HAS_SLEEF")] : [])
#else
let vectorKernelFlags: [CSetting] = [.unsafeFlags(["-O3"])]
#endif

var targets: [Target] = [
    // Tokens, lexer, parser, AST and diagnostics. Knows nothing of graphs.
    .target(name: "WiggleSyntax"),
    // The graph IR, ops and their derivatives, random streams, estimator
    // analysis, the particle engine and the optimisers. Knows nothing of syntax.
    .target(name: "WiggleGraph", dependencies: ["CVectorMath"]),
    // Transcendental functions over a chunk at a time: SLEEF's vector
    // functions where it is installed and the processor has AVX2, else libm.
    .target(name: "CVectorMath", dependencies: ["CVectorKernels"], cSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("m")]),
    // The AVX2 kernels themselves, compiled for AVX2 and FMA (called only
    // after checking the processor); empty without SLEEF or off x86-64.
    .target(name: "CVectorKernels",
            cSettings: vectorKernelFlags,
            linkerSettings: sleefAvailable ? [.linkedLibrary("sleef")] : []),
    // The interpreter/tracer, builtins and display; read_csv parses with CSV.swift.
    .target(name: "WiggleLang", dependencies: ["WiggleSyntax", "WiggleGraph", .product(name: "CSV", package: "CSV.swift")]),
    // Signals for the CLI and the REPL, readline's globals (Swift 6 cannot
    // touch C globals), and a pseudo-terminal for tests.
    .target(name: "CSupport",
            cSettings: readlineAvailable ? [.define("WIGGLE_HAS_READLINE")] : [],
            linkerSettings: (readlineAvailable ? [.linkedLibrary("readline")] : []) + [.linkedLibrary("util")]),
    // Hand-fused C loops computing the benchmark's estimators, for comparison.
    .target(name: "CReference", cSettings: [.unsafeFlags(["-O3"])]),
    // The benchmark: the engine against the C reference, in one run.
    .executableTarget(name: "WiggleBench", dependencies: ["WiggleGraph", "WiggleLang", "CReference"]),
    // The command-line interface and the REPL.
    .executableTarget(
        name: "wiggle",
        dependencies: ["WiggleLang", "CSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
            + (readlineAvailable ? ["CReadline"] : []) + (zeroMQAvailable ? ["WiggleKernel"] : []),
        swiftSettings: (readlineAvailable ? [.define("WIGGLE_READLINE")] : [])
            + (zeroMQAvailable ? [.define("WIGGLE_KERNEL")] : [])
    ),
    .testTarget(name: "WiggleSyntaxTests", dependencies: ["WiggleSyntax", "WiggleGraph"]),
    .testTarget(name: "WiggleGraphTests", dependencies: ["WiggleGraph"]),
    .testTarget(name: "WiggleLangTests", dependencies: ["WiggleLang", "WiggleSyntax"]),
    .testTarget(name: "WiggleCLITests", dependencies: ["wiggle", "CSupport", "WiggleGraph"]),
]
if zeroMQAvailable {
    // ZeroMQ, for the Jupyter kernel (libzmq3-dev).
    targets.append(.systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]))
    // The Jupyter kernel: the messaging protocol (5.3) over ZeroMQ, signed
    // with HMAC-SHA256 (swift-crypto), one Session per kernel, rich output.
    targets.append(.target(name: "WiggleKernel", dependencies: [
        "WiggleLang", "WiggleGraph", "WiggleSyntax", "CZeroMQ", "CSupport", .product(name: "Crypto", package: "swift-crypto"),
    ]))
    targets.append(.testTarget(name: "WiggleKernelTests", dependencies: ["WiggleKernel", "WiggleLang"]))
}
if readlineAvailable {
    // GNU readline, for the REPL (libreadline-dev).
    targets.append(.systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]))
    targets.append(.testTarget(name: "CReadlineTests", dependencies: ["CReadline"]))
}

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
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)

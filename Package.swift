// swift-tools-version:6.1
// Wiggle — a small probabilistic scripting language that differentiates
// expectations through random sampling. See README.md and grammar.md.
//
// The package never looks at the host: the full product (the REPL with GNU
// readline, the Jupyter kernel, the vector math) is what `swift build`
// makes, and a missing system library stops the build with a message that
// names the package to install (see each C shim). Going without one is an
// explicit choice through SwiftPM's package traits, e.g.
//
//     swift build --disable-default-traits --traits Readline,VectorMath
//
// builds Wiggle without the kernel (and without ZeroMQ) and without MPI.
import PackageDescription

let readline: Set<String> = ["Readline"]
let kernel: Set<String> = ["Kernel"]
let vectorMath: Set<String> = ["VectorMath"]
let mpi: Set<String> = ["MPI"]

let package = Package(
    name: "Wiggle",
    products: [
        .executable(name: "wiggle", targets: ["wiggle"]),
        .executable(name: "wiggle-bench", targets: ["WiggleBench"]),
        .library(name: "WiggleLang", targets: ["WiggleLang"]),
        .library(name: "WiggleGraph", targets: ["WiggleGraph"]),
        .library(name: "WiggleSyntax", targets: ["WiggleSyntax"]),
    ],
    traits: [
        .trait(name: "Readline", description: "The REPL edits lines with GNU readline (Debian: libreadline-dev); without it, a plain line reader."),
        .trait(name: "Kernel", description: "`wiggle kernel`, the Jupyter kernel, over ZeroMQ (Debian: libzmq3-dev)."),
        .trait(name: "VectorMath", description: "AVX2 kernels with SLEEF's exp, log, sin and cos (Debian: libsleef-dev), chosen at run time on processors that have AVX2 and FMA."),
        .trait(name: "MPI", description: "`mpirun -n R wiggle run ...` spreads one estimate over R processes, bit for bit what one process prints (Debian: libopenmpi-dev, openmpi-bin)."),
        .default(enabledTraits: ["Readline", "Kernel", "VectorMath", "MPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Tokens, lexer, parser, AST and diagnostics. Knows nothing of graphs.
        .target(name: "WiggleSyntax"),
        // The graph and its ops, their derivative rules, draw addresses,
        // random streams and special functions. Knows nothing of syntax.
        .target(name: "WiggleCore"),
        // The distributions (samplers, densities written once, estimator
        // loops) and the table of estimators.
        .target(name: "WiggleDistributions", dependencies: ["WiggleCore", "CVectorKernels"]),
        // Which estimator each random node takes and why; the graph printed.
        .target(name: "WiggleAnalysis", dependencies: ["WiggleCore", "WiggleDistributions"]),
        // Plans, the particle engine, the pilot and the optimisers; exports
        // the three layers below it.
        .target(name: "WiggleGraph", dependencies: ["WiggleCore", "WiggleDistributions", "WiggleAnalysis", "CVectorMath"]),
        // Transcendental functions and arithmetic over a chunk at a time: the
        // AVX2 kernels where they were built and the processor has AVX2 and
        // FMA, else the C library's scalar functions.
        .target(name: "CVectorMath", dependencies: ["CVectorKernels"], linkerSettings: [.linkedLibrary("m")]),
        // The AVX2 kernels themselves: their functions carry AVX2 and FMA as
        // target attributes (no build flags), and are called only after
        // checking the processor; empty without the VectorMath trait, off
        // Linux (SLEEF comes from Debian's libsleef-dev) or off x86-64.
        // Beside them, the particles' generator over four or eight lanes at
        // once (AVX2 or AVX-512, the Swift loop's bits), on any x86-64.
        .target(name: "CVectorKernels",
                cSettings: [.define("WIGGLE_HAS_SLEEF", .when(platforms: [.linux], traits: vectorMath))],
                linkerSettings: [.linkedLibrary("sleef", .when(platforms: [.linux], traits: vectorMath))]),
        // The interpreter/tracer, builtins and display; read_csv parses with CSV.swift.
        .target(name: "WiggleLang", dependencies: ["WiggleSyntax", "WiggleGraph", .product(name: "CSV", package: "CSV.swift")]),
        // Signals for the CLI and the REPL, readline's globals (Swift 6 cannot
        // touch C globals), and a pseudo-terminal for tests.
        .target(name: "CSupport",
                cSettings: [.define("WIGGLE_HAS_READLINE", .when(traits: readline))],
                linkerSettings: [.linkedLibrary("readline", .when(traits: readline)), .linkedLibrary("util")]),
        // GNU readline, for the REPL (libreadline-dev).
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"]), .brew(["readline"])]),
        // ZeroMQ, for the Jupyter kernel (libzmq3-dev).
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        // Open MPI, for one estimate over many processes (libopenmpi-dev);
        // linked into the `wiggle` command only.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),
        // The Jupyter kernel: the messaging protocol (5.3) over ZeroMQ, signed
        // with HMAC-SHA256 (swift-crypto), one Session per kernel, rich output.
        // Its sources are empty without the Kernel trait.
        .target(name: "WiggleKernel", dependencies: [
            "WiggleLang", "WiggleGraph", "WiggleSyntax", "CSupport", .product(name: "Crypto", package: "swift-crypto"),
            .target(name: "CZeroMQ", condition: .when(traits: kernel)),
        ]),
        // Hand-fused C loops computing the benchmark's estimators, for
        // comparison (the benchmark only; no library depends on it).
        .target(name: "CReference", cSettings: [.unsafeFlags(["-O3"])]),
        // The benchmark: the engine against the C reference, in one run.
        .executableTarget(name: "WiggleBench", dependencies: ["WiggleGraph", "WiggleLang", "CReference"]),
        // The command-line interface and the REPL.
        .executableTarget(
            name: "wiggle",
            dependencies: [
                "WiggleLang", "CSupport", "WiggleKernel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .target(name: "CReadline", condition: .when(traits: readline)),
                .target(name: "CMPI", condition: .when(traits: mpi)),
            ]
        ),
        .testTarget(name: "WiggleSyntaxTests", dependencies: ["WiggleSyntax", "WiggleGraph"]),
        .testTarget(name: "WiggleGraphTests", dependencies: ["WiggleGraph"]),
        .testTarget(name: "WiggleLangTests", dependencies: ["WiggleLang", "WiggleSyntax"]),
        .testTarget(name: "WiggleCLITests", dependencies: ["wiggle", "CSupport", "WiggleGraph"]),
        .testTarget(name: "WiggleKernelTests", dependencies: ["WiggleKernel", "WiggleLang"]),
        .testTarget(name: "CReadlineTests", dependencies: [.target(name: "CReadline", condition: .when(traits: readline))]),
    ],
    swiftLanguageModes: [.v6]
)

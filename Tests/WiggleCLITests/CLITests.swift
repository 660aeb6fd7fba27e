import Foundation
import Testing

/// The built `wiggle` binary, beside the test bundle.
let wiggleBinary: URL = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // On Linux the test runner is <products>/WigglePackageTests.xctest; elsewhere it may be nested.
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("wiggle").path),
          folder.pathComponents.count > 1 {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent("wiggle")
}()

let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What a run of the binary produced.
struct ProcessOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `wiggle` with arguments and optional standard input.
func wiggle(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = wiggleBinary
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes before waiting so a full pipe cannot block the child.
    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
    let errData = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus,
                          stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
}

/// Writes a temporary program and returns its path.
func temporaryProgram(_ text: String, name: String = "program.wgl") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// Parses JSON Lines into dictionaries.
func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return object as? [String: Any] ?? [:]
    }
}

/// A program that uses every deterministic construct of the language contract.
let everyConstruct = """
    # comments, numbers 3 0.5 1e-3, strings with escapes
    param mu = 0.5
    param w[3] = 0.1
    x = 3; s = "tab\\there \\"quoted\\" back\\\\slash"
    fn sq(v) = v * v
    fn clamp(v, lo, hi) {
      if v < lo { return lo } else if v > hi { return hi } else { return v }
    }
    total = 0
    for i in 0..4 { total += sq(i) }
    for v in [1, 2] { total = total + v }
    n = 10
    while n > 1 { n = n / 2 }
    xs = [sq(i) for i in 0..5 if i != 2]
    -2^2
    2^3^2
    total
    clamp(x, lo = 0, hi = 2)
    xs
    xs[1] + xs[-1]
    len(xs) == 4 and not (n > 1)
    s
    [exp(0), log(1), sqrt(9), abs(-1), sin(0), cos(0), tanh(0), sigmoid(0), floor(1.5), round(1.5)]
    [softplus(0) > 0.69, min(3, 2), max([1, 5]), sum([1, 2]), mean([1, 3]), std([1, 3])]
    mu + len(w)
    E[x + 1]
    print("n is", n)
    """

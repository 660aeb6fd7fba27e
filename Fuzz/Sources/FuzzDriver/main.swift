// FuzzDriver — feeds arbitrary bytes through lex, parse, trace and a small
// engine run. Any trap, sanitizer report or hang is a bug: every input must
// end in output or a diagnostic.

import CFuzzer
import WiggleLang
import WiggleSyntax

/// Stops programs that run long (a fuzzer finds `while true { }` quickly):
/// after this many safe-point checks the session is interrupted, as by Ctrl-C.
final class Budget: @unchecked Sendable {
    var checks = 0
}

let callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var settings = Settings()
    settings.particles = 16
    settings.threads = 1
    settings.maxGraphNodes = 20_000
    settings.maxListLength = 100_000
    settings.maxCallDepth = 200
    let session = Session(settings: settings)
    let budget = Budget()
    session.shouldStop = {
        budget.checks += 1
        return budget.checks > 20_000
    }
    let source = SourceFile(name: "fuzz.wgl", bytes: bytes)
    let result = session.run(source) { _ in }
    // Render every diagnostic, as the CLI would.
    for diagnostic in result.diagnostics { _ = DiagnosticPrinter().render(diagnostic) }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, callback)

#if Readline  // the Readline trait, on by default
import CReadline
import Foundation
import Testing

/// The REPL keeps its history with GNU readline's history functions; these
/// check that the system library links and behaves as the REPL expects.
@Suite(.serialized) struct HistoryTests {
    /// The lines in readline's history list, oldest first.
    func entries() -> [String] {
        guard let list = history_list() else { return [] }
        var lines: [String] = []
        var index = 0
        while let entry = list[index] {
            lines.append(String(cString: entry.pointee.line))
            index += 1
        }
        return lines
    }

    // Note: a history file stores one entry per line, so a multi-line entry
    // comes back as several unless timestamps are written (readline's
    // history_write_timestamps); the REPL must handle that.
    @Test func historyRoundTripsThroughAFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("wiggle-history-\(UUID().uuidString)").path
        clear_history()
        add_history("x = 1")
        add_history("fn f(a) = a + 1")
        #expect(write_history(path) == 0)
        clear_history()
        #expect(read_history(path) == 0)
        #expect(entries() == ["x = 1", "fn f(a) = a + 1"])
        #expect(history_truncate_file(path, 1) == 0)
        clear_history()
        _ = read_history(path)
        #expect(entries() == ["fn f(a) = a + 1"])
        try? FileManager.default.removeItem(atPath: path)
    }
}
#endif

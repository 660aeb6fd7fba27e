import Foundation
import Testing

/// The README's shell transcripts that run `wiggle` itself — `$ wiggle
/// --version` and `$ printf '...' | wiggle` — show what the binary prints
/// (standard output, then standard error), so they cannot go stale. (The
/// `$ wiggle run examples/...` transcripts are checked against the examples'
/// golden files by WiggleLangTests.)
@Suite struct ReadmeCommandTests {
    struct Transcript: Sendable, CustomTestStringConvertible {
        var command: String
        var shown: String
        var line: Int
        var testDescription: String { "README.md:\(line)" }
    }

    static func transcripts() -> [Transcript] {
        guard let text = try? String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8) else {
            return []
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [Transcript] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let runsWiggle = line == "$ wiggle --version" || (line.hasPrefix("$ printf '") && line.hasSuffix("' | wiggle"))
            guard runsWiggle else { index += 1; continue }
            var shown: [String] = []
            var next = index + 1
            while next < lines.count, lines[next] != "```", !lines[next].hasPrefix("$ ") {
                shown.append(lines[next])
                next += 1
            }
            found.append(Transcript(command: line, shown: shown.joined(separator: "\n"), line: index + 1))
            index = next
        }
        return found
    }

    /// printf's escapes, as the shell's printf reads them.
    static func unescape(_ text: Substring) -> String {
        var result = "", escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    @Test func theReadmeHasTranscripts() {
        #expect(Self.transcripts().count >= 3)
    }

    @Test(arguments: transcripts())
    func aTranscriptIsWhatWigglePrints(_ transcript: Transcript) throws {
        let outcome: ProcessOutcome
        if transcript.command == "$ wiggle --version" {
            outcome = try wiggle(["--version"])
        } else {
            let quoted = transcript.command.dropFirst("$ printf '".count).dropLast("' | wiggle".count)
            outcome = try wiggle([], input: Self.unescape(quoted))
        }
        #expect(outcome.stdout + outcome.stderr == transcript.shown + "\n", "\(transcript.testDescription)")
    }
}

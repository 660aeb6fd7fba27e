// Source.swift — source text, locations and ranges.

/// A program's text, as the bytes the user gave us, with its name for diagnostics.
///
/// Wiggle lexes bytes rather than `Character`s so that NUL bytes and invalid
/// UTF-8 reach the lexer intact and become diagnostics instead of being
/// silently replaced.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics: a path, or `<repl>`, or `<stdin>`.
    public let name: String
    /// The raw bytes of the program.
    public let bytes: [UInt8]
    /// The line number of the first line (the REPL numbers its inputs on).
    public let firstLine: Int
    /// Byte offset of the start of each line.
    private let lineStarts: [Int]

    /// Creates a source file from raw bytes.
    public init(name: String, bytes: [UInt8], firstLine: Int = 1) {
        self.name = name
        self.bytes = bytes
        self.firstLine = firstLine
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    /// Creates a source file from a string.
    public convenience init(name: String, text: String, firstLine: Int = 1) {
        self.init(name: name, bytes: Array(text.utf8), firstLine: firstLine)
    }

    /// The number of lines in the file (a final line without a newline counts).
    public var lineCount: Int { lineStarts.count }

    /// The zero-based line index holding a byte offset.
    func lineIndex(of offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The line (from 1) of a byte offset; cheap, unlike a column.
    public func line(of offset: Int) -> Int {
        lineIndex(of: max(0, min(offset, bytes.count))) + firstLine
    }

    /// The byte offset where the line holding `offset` starts.
    public func lineStart(of offset: Int) -> Int {
        lineStarts[lineIndex(of: max(0, min(offset, bytes.count)))]
    }

    /// The line and column (both from 1; columns count Unicode scalars) of a byte offset.
    public func location(of offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, bytes.count))
        let index = lineIndex(of: clamped)
        // Count the scalars of the line's prefix decoded the way the excerpt
        // decodes it (invalid bytes become U+FFFD), so the caret lines up.
        let prefix = String(decoding: bytes[lineStarts[index]..<clamped], as: UTF8.self)
        return SourceLocation(line: index + firstLine, column: prefix.unicodeScalars.count + 1)
    }

    /// The byte range of the line holding `offset`, without its newline.
    public func lineRange(containing offset: Int) -> Range<Int> {
        let index = lineIndex(of: max(0, min(offset, bytes.count)))
        let start = lineStarts[index]
        var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<max(start, end)
    }

    /// The text of a byte range, with invalid UTF-8 replaced by U+FFFD.
    public func text(_ range: Range<Int>) -> String {
        let lower = max(0, min(range.lowerBound, bytes.count))
        let upper = max(lower, min(range.upperBound, bytes.count))
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }
}

/// A line and column, both counted from 1.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column in Unicode scalars, from 1.
    public var column: Int

    /// Creates a location.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of byte offsets into a ``SourceFile``.
public struct SourceRange: Hashable, Sendable {
    /// The first byte.
    public var start: Int
    /// One past the last byte.
    public var end: Int

    /// Creates a range; `end` is clamped to be at least `start`.
    public init(start: Int, end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(start: min(start, other.start), end: max(end, other.end))
    }

    /// An empty range at an offset.
    public static func at(_ offset: Int) -> SourceRange { SourceRange(start: offset, end: offset) }
}

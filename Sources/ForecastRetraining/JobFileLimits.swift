import Foundation
import Forecast

/// Limits a job file must keep before it is handed to the YAML parser, so that no job file can
/// exhaust the stack (the parser composes nested collections recursively) or the memory.
///
/// Rules:
/// - At most ``maxBytes`` (1 MiB; a real job file is under 2 KB).
/// - Nesting at most ``maxNesting``, checked on the text with a bound that can only
///   overestimate the real depth: on each line, twice the indentation plus the block
///   indicators (`-`, `?`, `:`) outside a trailing comment, plus every `[` and `{` of the whole
///   file so far (flow collections are counted, never discounted by their closing brackets, so
///   quoting tricks cannot hide depth). Comment lines are ignored. A real job file stays far
///   below the limit (about 15).
public enum JobFileLimits {
    public static let maxBytes = 1 << 20
    public static let maxNesting = 100

    /// Throws ``RetrainError/invalidJob(_:)`` naming `file` and the line that passes a limit.
    public static func check(_ text: String, file: String) throws {
        guard text.utf8.count <= maxBytes else {
            throw RetrainError.invalidJob("\(file): the job file is \(text.utf8.count) bytes, more than the limit of \(maxBytes)")
        }
        var flow = 0
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = Array(line.utf8)
            var indent = 0
            while indent < bytes.count && (bytes[indent] == 0x20 || bytes[indent] == 0x09) { indent += 1 }
            // Flow brackets count everywhere (comments and quotes included): an overestimate.
            for b in bytes where b == UInt8(ascii: "[") || b == UInt8(ascii: "{") { flow += 1 }
            if indent == bytes.count || bytes[indent] == UInt8(ascii: "#") {
                if flow > maxNesting { throw tooDeep(file, lineNumber) }
                continue
            }
            var indicators = 0
            var previous: UInt8 = 0x20
            for b in bytes[indent...] {
                if b == UInt8(ascii: "#") && (previous == 0x20 || previous == 0x09) { break }
                if b == UInt8(ascii: "-") || b == UInt8(ascii: "?") || b == UInt8(ascii: ":") { indicators += 1 }
                previous = b
            }
            if 2 * indent + indicators + flow > maxNesting { throw tooDeep(file, lineNumber) }
        }
    }

    static func tooDeep(_ file: String, _ line: Int) -> RetrainError {
        .invalidJob("\(file):\(line): the job file nests too deep (more than \(maxNesting) levels of indentation, '-', ':' or brackets); a job file is a few flat sections")
    }
}

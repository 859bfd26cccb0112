/// Where in an input file something was found: 1-based line and column (field) numbers.
///
/// `line` counts physical lines (LF-terminated) from 1; `column` counts fields from 1 and is
/// nil when the problem concerns a whole line or the whole file.
public struct SourceLocation: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, leaving out the parts that are unknown.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column, line != nil { s += ":\(column)" }
        return s
    }
}

/// Every error the data module reports. Each names the file, and where it applies the line and
/// column, and says what was expected, e.g.
/// `data.csv:17:3: expected a number in column 'temp', found "abc"`.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case io(file: String, reason: String)
    /// The file's structure is broken: empty file, bad header, ragged rows, quotes, line endings, binary data.
    case malformed(SourceLocation, String)
    /// A cell does not hold what its column needs (a number, a time, a finite Float32).
    case badValue(SourceLocation, String)
    /// A missing cell where the missing-value policy does not allow one.
    case missingValue(SourceLocation, String)
    /// Timestamps out of order, duplicated, irregular or in mixed formats.
    case badTime(SourceLocation, String)
    /// Gridded (long-format) data with holes or duplicate cells.
    case badGrid(SourceLocation, String)
    /// An option or argument that cannot work with this data (unknown column, lookback too long, ...).
    case invalidArgument(String)

    /// The location the error names, if any.
    public var location: SourceLocation? {
        switch self {
        case .malformed(let l, _), .badValue(let l, _), .missingValue(let l, _), .badTime(let l, _), .badGrid(let l, _):
            return l
        case .io(let f, _): return SourceLocation(file: f)
        case .invalidArgument: return nil
        }
    }

    /// The message without the location prefix.
    public var message: String {
        switch self {
        case .malformed(_, let m), .badValue(_, let m), .missingValue(_, let m), .badTime(_, let m), .badGrid(_, let m):
            return m
        case .io(_, let r): return r
        case .invalidArgument(let m): return m
        }
    }

    public var description: String {
        if let l = location { return "\(l): \(message)" }
        return message
    }
}

/// Renders a cell's bytes for an error message: at most 40 characters, quoted, with control
/// characters and invalid UTF-8 escaped, so binary junk cannot garble a terminal.
func quoteForMessage<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var out = "\""
    var count = 0
    let text = String(decoding: Array(bytes.prefix(160)), as: UTF8.self)
    for scalar in text.unicodeScalars {
        if count >= 40 { out += "…"; break }
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{FFFD}": out += "\\u{FFFD}"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    return out + "\""
}

extension String {
    func leftPadded(to n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}

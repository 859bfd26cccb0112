/// The type inferred (or chosen) for a CSV column.
public enum ColumnType: String, Sendable, Codable, CaseIterable {
    /// Numbers, stored as Float32 (missing cells are NaN).
    case number
    /// Text, stored dictionary-encoded (missing cells have code -1).
    case text
    /// Timestamps, stored as Int64 milliseconds since the epoch (UTC).
    case time
}

/// The values of one column.
public enum ColumnValues: Sendable, Equatable {
    /// [rows] Float32; NaN marks a missing cell.
    case numbers([Float])
    /// [rows] codes into `levels`; -1 marks a missing cell.
    case text(codes: [Int32], levels: [String])
    /// [rows] instants in ms since 1970-01-01T00:00:00Z; `Int64.min` marks a missing cell.
    case times([Int64], TimeFormat)
}

/// One column of a `Table`: its header name, 0-based index in the file, values and missing count.
public struct Column: Sendable, Equatable {
    public var name: String
    /// 0-based position of the column in the file (errors print it 1-based).
    public var fileIndex: Int
    public var values: ColumnValues
    /// Number of missing cells.
    public var missing: Int
    /// Time columns: what reading the column had to resolve (day/month order, changing UTC
    /// offsets, R's daily grid ignoring leap days, …), one sentence each.
    public var notes: [String] = []

    public init(name: String, fileIndex: Int, values: ColumnValues, missing: Int) {
        self.name = name; self.fileIndex = fileIndex; self.values = values; self.missing = missing
    }

    public var type: ColumnType {
        switch values {
        case .numbers: return .number
        case .text: return .text
        case .times: return .time
        }
    }

    public var count: Int {
        switch values {
        case .numbers(let v): return v.count
        case .text(let c, _): return c.count
        case .times(let t, _): return t.count
        }
    }

    /// The Float32 values of a number column (nil for other types).
    public var numbers: [Float]? {
        if case .numbers(let v) = values { return v }
        return nil
    }

    /// The instants and format of a time column (nil for other types).
    public var times: (instants: [Int64], format: TimeFormat)? {
        if case .times(let t, let f) = values { return (t, f) }
        return nil
    }

    /// The text of row `r` (nil when missing); numbers and times are rendered.
    public func text(at r: Int) -> String? {
        switch values {
        case .numbers(let v): return v[r].isNaN ? nil : String(v[r])
        case .text(let c, let levels): return c[r] < 0 ? nil : levels[Int(c[r])]
        case .times(let t, let f): return t[r] == Int64.min ? nil : f.format(t[r])
        }
    }

    /// True when row `r` is missing.
    public func isMissing(_ r: Int) -> Bool {
        switch values {
        case .numbers(let v): return v[r].isNaN
        case .text(let c, _): return c[r] < 0
        case .times(let t, _): return t[r] == Int64.min
        }
    }
}

/// Names a column by header name or by 0-based index. String and integer literals work:
/// `"temp"`, `3`.
public enum ColumnRef: Sendable, Equatable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case name(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .name(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    public var description: String {
        switch self {
        case .name(let n): return "'\(n)'"
        case .index(let i): return "#\(i)"
        }
    }
}

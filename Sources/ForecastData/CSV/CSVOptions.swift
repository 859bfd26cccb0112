/// Options for `CSVReader`. The defaults read a typical file: a header row, the delimiter
/// detected among `,` `;` tab `|`, the usual missing-value spellings, all columns, all cores.
public struct CSVOptions: Sendable, Equatable {
    /// The first record holds column names (default). When false, columns are named
    /// `column_1`, `column_2`, ...
    public var hasHeader: Bool = true
    /// The field delimiter; nil detects it from the first lines among `,` `;` `\t` `|`.
    public var delimiter: UInt8? = nil
    /// Cell texts (after trimming unquoted spaces) that mean "missing".
    public var missingTokens: [String] = CSVOptions.defaultMissingTokens
    /// Columns to keep, by name or 0-based index, in this order; nil keeps all. Other columns
    /// are skipped without converting their cells.
    public var columns: [ColumnRef]? = nil
    /// Forced column types by header name (otherwise inferred from the first `sampleRows` rows).
    public var types: [String: ColumnType] = [:]
    /// Rows looked at to infer column types.
    public var sampleRows: Int = 1000
    /// Worker threads for parsing; 0 uses every active core.
    public var threads: Int = 0
    /// Bytes handed to each worker per round (memory use is about threads x this, plus output).
    public var blockBytes: Int = 4 << 20
    /// Longest record accepted, in bytes (a guard against an unterminated quote in a huge file).
    public var maxRecordBytes: Int = 64 << 20
    /// Read blocks without quote characters with the one-pass plain scanner (default), which
    /// hands anything unusual back to libcsv. False parses every block with libcsv; the table
    /// and every error are the same either way, only slower.
    public var plainScanner: Bool = true
    /// How the time column writes its times, when detection is not wanted (`--time-format`):
    /// it applies to `timeFormatColumn`, or to the first column that reads that way.
    public var timeFormat: TimeFormatSpec? = nil
    /// The column `timeFormat` applies to (nil: see `timeFormat`).
    public var timeFormatColumn: String? = nil
    /// Name used for the file in error messages; nil uses the path as given.
    public var displayName: String? = nil

    public static let defaultMissingTokens = ["", "NA", "NaN", "nan", "null", "NULL", "N/A"]

    public init(hasHeader: Bool = true, delimiter: UInt8? = nil, missingTokens: [String] = CSVOptions.defaultMissingTokens,
                columns: [ColumnRef]? = nil, types: [String: ColumnType] = [:], threads: Int = 0) {
        self.hasHeader = hasHeader; self.delimiter = delimiter; self.missingTokens = missingTokens
        self.columns = columns; self.types = types; self.threads = threads
    }

    /// Delimiters tried by detection, in order of preference.
    public static let candidateDelimiters: [UInt8] = [0x2C, 0x3B, 0x09, 0x7C]
}

/// Matches cell bytes against the missing-value tokens without allocating.
struct MissingMatcher: Sendable {
    let tokens: [[UInt8]]
    let emptyIsMissing: Bool
    /// Some token is itself a number (e.g. -999): number cells must check tokens first.
    let hasNumericTokens: Bool

    init(_ tokens: [String]) {
        self.hasNumericTokens = tokens.contains { NumberParser.parseFloat($0) != .invalid }
        self.tokens = tokens.map { Array($0.trimmingSpaces().utf8) }.filter { !$0.isEmpty }
        self.emptyIsMissing = tokens.contains { $0.trimmingSpaces().isEmpty }
    }

    @inline(__always)
    func isMissing(_ p: UnsafePointer<UInt8>?, _ n0: Int) -> Bool {
        guard let p0 = p, n0 > 0 else { return emptyIsMissing }
        var p = p0, n = n0
        while n > 0 && (p[0] == 0x20 || p[0] == 0x09) { p += 1; n -= 1 }
        while n > 0 && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
        if n == 0 { return emptyIsMissing }
        for t in tokens where t.count == n {
            var same = true
            for i in 0..<n where t[i] != p[i] { same = false; break }
            if same { return true }
        }
        return false
    }
}

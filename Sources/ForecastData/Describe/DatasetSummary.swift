/// A summary of a data file for `forecast describe`: rows, columns (inferred type, missing
/// count), the time axis (range, frequency, gaps) and series keys. Codable for `--json`.
public struct DatasetSummary: Sendable, Equatable, Codable {
    public struct ColumnSummary: Sendable, Equatable, Codable {
        public var name: String
        public var type: ColumnType
        public var missing: Int
    }
    public struct SeriesSummary: Sendable, Equatable, Codable {
        public var key: String?
        public var rows: Int
        public var start: String?
        public var end: String?
    }

    public var file: String
    public var rows: Int
    public var bytes: Int
    public var delimiter: String
    public var columns: [ColumnSummary]
    public var timeColumn: String?
    public var timeFormat: String?
    public var start: String?
    public var end: String?
    /// e.g. "monthly", "half-hourly"; nil when unknown.
    public var frequency: String?
    public var seasonLength: Int?
    /// Why the season length is what it is.
    public var seasonReason: String?
    public var gaps: Int
    public var missingSteps: Int
    public var irregularSteps: Int
    public var duplicateRows: Int
    public var unsortedRows: Int
    public var seriesKey: String?
    public var series: [SeriesSummary]
    public var notes: [String]

    /// Reads and summarises a file. Unsorted rows and duplicates are counted, not errors.
    public static func describe(path: String, options: CSVOptions = CSVOptions(), time: TimeSource = .auto, seriesKey: ColumnRef? = nil) throws -> DatasetSummary {
        try DatasetSummary(table: CSVReader.read(path: path, options: options), time: time, seriesKey: seriesKey)
    }

    public init(table: Table, time: TimeSource = .auto, seriesKey: ColumnRef? = nil) throws {
        let set = try TimeSeriesSet(table: table, time: time, seriesKey: seriesKey,
                                    options: TimeSeriesOptions(sort: true, duplicates: .keepFirst, gaps: .split))
        file = table.source
        rows = table.rowCount
        bytes = table.byteCount
        delimiter = table.delimiter == 0x09 ? "\\t" : String(UnicodeScalar(table.delimiter))
        columns = table.columns.map { ColumnSummary(name: $0.name, type: $0.type, missing: $0.missing) }
        timeColumn = set.timeColumn
        timeFormat = set.timeFormat?.description
        let allTimes = set.series.compactMap { $0.times }
        let lo = allTimes.compactMap { $0.first }.min(), hi = allTimes.compactMap { $0.last }.max()
        start = lo.map { set.format($0) }
        end = hi.map { set.format($0) }
        frequency = set.frequency?.description
        seasonLength = set.frequency?.seasonLength
        seasonReason = set.frequency?.seasonReason
        if let grid = set.timeFormat?.decimalGrid, let f = set.frequency, f == .daily {
            seasonReason = "the weekly cycle of daily data; R's frequency \(DecimalYearGrid.significant15(grid.stepsPerYear)) is the yearly cycle, which would need a two-year lookback: give --lookback and --horizon to use it"
        }
        gaps = set.report.gaps
        missingSteps = set.report.missingSteps
        irregularSteps = set.report.irregularSteps
        duplicateRows = set.report.duplicateRows
        unsortedRows = set.report.unsortedRows
        self.seriesKey = set.seriesKeyColumn
        series = set.series.map { s in
            SeriesSummary(key: s.key, rows: s.count, start: s.times?.first.map { set.format($0) }, end: s.times?.last.map { set.format($0) })
        }
        notes = set.report.notes
    }

    /// A human-readable multi-line summary.
    public var text: String {
        var lines = ["\(file): \(rows) rows, \(columns.count) columns, delimiter '\(delimiter)'"]
        for c in columns {
            lines.append("  \(c.name.padding(toLength: max(12, c.name.count), withPad: " ", startingAt: 0))  \(c.type.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(c.missing) missing")
        }
        if let timeColumn {
            lines.append("time: '\(timeColumn)' (\(timeFormat ?? "?")), \(start ?? "?") to \(end ?? "?")")
        } else {
            lines.append("time: none (row order)")
        }
        lines.append("frequency: \(frequency ?? "unknown")" + (seasonLength.map { ", season length \($0)" } ?? "") + (seasonReason.map { " (\($0))" } ?? ""))
        lines.append("gaps: \(gaps) (\(missingSteps) missing steps), irregular steps: \(irregularSteps), duplicates: \(duplicateRows), unsorted rows: \(unsortedRows)")
        if let seriesKey {
            lines.append("series by '\(seriesKey)': " + series.map { "\($0.key ?? "?") (\($0.rows) rows)" }.joined(separator: ", "))
        }
        lines += notes.prefix(10).map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(toLength n: Int, withPad pad: String, startingAt: Int) -> String {
        count >= n ? self : self + String(repeating: pad, count: n - count)
    }
}

/// A parsed CSV file: named, typed columns of equal length.
///
/// Produced by `CSVReader`; consumed by `TimeSeriesSet`, `GridData` and `DatasetSummary`.
/// `lines` maps each data row back to its line in the file for error messages.
public struct Table: Sendable, Equatable {
    /// The file name used in error messages.
    public var source: String
    public var columns: [Column]
    public var rowCount: Int
    public var lines: RowLines
    /// Header names of all columns in the file, including unselected ones.
    public var fileColumnNames: [String]
    /// Bytes read (for throughput figures).
    public var byteCount: Int
    /// The delimiter used.
    public var delimiter: UInt8

    public init(source: String, columns: [Column], rowCount: Int, lines: RowLines, fileColumnNames: [String], byteCount: Int = 0, delimiter: UInt8 = 0x2C) {
        self.source = source; self.columns = columns; self.rowCount = rowCount; self.lines = lines
        self.fileColumnNames = fileColumnNames; self.byteCount = byteCount; self.delimiter = delimiter
    }

    public var columnNames: [String] { columns.map(\.name) }

    /// The column named by `ref` (an index refers to the position in the file).
    public func column(_ ref: ColumnRef) -> Column? {
        guard let i = columnIndex(ref) else { return nil }
        return columns[i]
    }

    /// The position in `columns` of the column named by `ref`.
    public func columnIndex(_ ref: ColumnRef) -> Int? {
        switch ref {
        case .name(let n): return columns.firstIndex { $0.name == n }
        case .index(let i): return columns.firstIndex { $0.fileIndex == i }
        }
    }

    /// Like `columnIndex` but throws a helpful error naming the available columns.
    public func requireColumn(_ ref: ColumnRef, for purpose: String) throws -> Int {
        if let i = columnIndex(ref) { return i }
        let names = columns.map { "'\($0.name)'" }.joined(separator: ", ")
        throw DataError.invalidArgument("\(source): no column \(ref) for \(purpose); the columns are \(names)")
    }

    /// The location of row `r`, column `c` (index into `columns`) for error messages.
    public func location(row r: Int, column c: Int? = nil) -> SourceLocation {
        SourceLocation(file: source, line: r >= 0 && r < rowCount ? lines.line(of: r) : nil,
                       column: c.map { columns[$0].fileIndex + 1 })
    }
}

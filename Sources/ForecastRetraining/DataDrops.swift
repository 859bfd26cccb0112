import Foundation
import Forecast

/// The data of one retraining run: one CSV file, or a folder of CSV drops merged into one
/// table and turned into series.
public struct RetrainData: Sendable {
    /// What the drops hold, in the shape the job's model family reads.
    public enum Content: Sendable {
        /// Series (recurrent and seq2seq jobs).
        case series(TimeSeriesSet)
        /// Frames (grid jobs).
        case grid(GridData)
    }
    public var content: Content
    /// The merged series (sorted by time, duplicates resolved: the later drop wins); nil for a grid.
    public var set: TimeSeriesSet? { if case .series(let s) = content { return s } else { return nil } }
    /// The merged frames (a re-sent frame of a later drop wins); nil for series.
    public var grid: GridData? { if case .grid(let g) = content { return g } else { return nil } }
    /// Rows of all series, or frames of the grid.
    public var rows: Int {
        switch content {
        case .series(let s): return s.rowCount
        case .grid(let g): return g.times.count
        }
    }
    /// Series (a grid is one).
    public var seriesCount: Int {
        switch content {
        case .series(let s): return s.series.count
        case .grid: return 1
        }
    }
    /// Rows of the longest series, or frames of the grid: what the holdout is taken from.
    public var longest: Int {
        switch content {
        case .series(let s): return s.series.map(\.count).max() ?? 0
        case .grid(let g): return g.times.count
        }
    }
    /// The files read, in merge order (absolute paths).
    public var files: [String]
    public var bytes: Int
    /// Data rows in all files together.
    public var rowsRead: Int
    /// Rows dropped because a later row (usually of a later drop) has the same timestamp and
    /// series key.
    public var duplicateRows: Int
    /// The file's SHA-256 (one file), or the SHA-256 of the drops' SHA-256 digests, one per
    /// line in merge order (a folder).
    public var sha256: String
    /// First and last timestamp over all series (formatted like the input), nil without times.
    public var firstTime: String?
    public var lastTime: String?
    public var notes: [String]
}

/// Reads a CSV file or a folder of CSV drops.
///
/// A folder's drops are the files ending in `.csv` (any case, hidden files skipped), merged in
/// file-name order with numbers compared by value (`drop-9.csv` before `drop-10.csv`), so name
/// them by date or sequence number. Every drop must have the columns of the first (extra
/// columns are ignored); each is checked on its own first, so an error names the drop, line
/// and column. Rows are then sorted by time within each series and rows sharing a timestamp
/// and series key are reduced to the last one read (a re-sent or corrected row of a later drop
/// replaces the earlier one).
///
/// Rules for hostile or broken inputs:
/// - The data path and every drop must be regular files (symlinks to regular files are fine):
///   a FIFO, device, socket or folder is refused with a data error, and no read can block
///   (files are opened with `O_NONBLOCK` and checked before reading, see ``RegularFile``).
/// - A drop holding a NUL byte is binary, not CSV: a data error naming the drop.
/// - In a folder, a drop without data rows is skipped only when it is an empty export: UTF-8
///   text whose one line is a header naming the first drop's columns. Anything else without
///   data rows (an empty file, binary junk, a line that is not that header) is a data error,
///   so a broken export never passes silently.
public enum DataDrops {
    /// The CSV files of `path`, in merge order: `[path]` for a file.
    public static func files(at path: String) throws -> [String] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw DataError.io(file: path, reason: errno == ENOENT ? "no such file or folder" : "cannot stat: \(String(cString: strerror(errno)))")
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFDIR else {
            guard type == S_IFREG else {
                throw DataError.io(file: path, reason: "is \(RegularFile.describeType(st.st_mode)), expected a CSV file or a folder of CSV drops")
            }
            return [path]
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw DataError.io(file: path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        let csv = names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".csv") }
            .sorted { $0.compare($1, options: [.numeric]) == .orderedAscending }
        if csv.isEmpty { throw DataError.io(file: path, reason: "the folder holds no .csv files (drops are read from files ending in .csv)") }
        return csv.map { (path as NSString).appendingPathComponent($0) }
    }

    /// Reads and merges the data named by `settings`.
    public static func read(_ settings: RetrainJob.DataSettings, csv: CSVOptions = CSVOptions()) throws -> RetrainData {
        var drops = try DropFiles(settings.path)
        var tables: [Table] = []
        var notes: [String] = []
        var timeOptions = TimeSeriesOptions(sort: true, duplicates: .keepLast)
        timeOptions.gaps = .split
        let timeSource: TimeSource = settings.time.map { .column(.name($0)) } ?? .auto
        let key: ColumnRef? = settings.seriesKey.map { .name($0) }
        try drops.forEach { path, content in
            var options = csv
            if let first = tables.first {
                // Later drops are read with the first drop's column types, so that a drop whose
                // sample happens to look different cannot change a column's meaning.
                options.types = Dictionary(first.columns.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
            }
            let table = try CSVReader.read(bytes: content, name: path, options: options)
            // Checks this drop alone (time column, keys, timestamps) so errors name its lines.
            _ = try TimeSeriesSet(table: table, time: timeSource, seriesKey: key, options: timeOptions)
            if let first = tables.first {
                let missing = first.columnNames.filter { table.columnIndex(.name($0)) == nil }
                if !missing.isEmpty {
                    throw DataError.invalidArgument("\(path): no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) (the first drop, \(first.source), has it); every drop needs the same columns")
                }
                let extra = table.columnNames.filter { first.columnIndex(.name($0)) == nil }
                if !extra.isEmpty { notes.append("\((path as NSString).lastPathComponent): extra column(s) \(extra.joined(separator: ", ")) ignored") }
            }
            tables.append(table)
        }
        if let first = tables.first { try drops.checkEmptyExports(columns: first.columnNames, delimiter: first.delimiter, firstSource: first.source) }
        notes = drops.notes + notes
        let paths = drops.paths
        let merged = try merge(tables, source: settings.path)
        let set = try TimeSeriesSet(table: merged, time: timeSource, seriesKey: key, options: timeOptions)
        if paths.count > 1 && set.timeColumn == nil {
            notes.append("no time column: drops were appended in file order without de-duplication")
        }
        var first: Int64? = nil, last: Int64? = nil
        for s in set.series {
            if let t = s.times?.first { first = min(first ?? t, t) }
            if let t = s.times?.last { last = max(last ?? t, t) }
        }
        return RetrainData(content: .series(set), files: paths, bytes: drops.bytes, rowsRead: tables.reduce(0) { $0 + $1.rowCount },
                           duplicateRows: set.report.duplicateRows, sha256: drops.sha256,
                           firstTime: first.map { set.format($0) }, lastTime: last.map { set.format($0) }, notes: notes)
    }

    /// The drop files of a data path, read one at a time in merge order: what every family's
    /// drops share (byte count, digests, binary and empty-export checks).
    struct DropFiles {
        /// The files, in merge order.
        let paths: [String]
        private(set) var bytes = 0
        private(set) var digests: [String] = []
        /// Drops skipped as empty exports.
        private(set) var notes: [String] = []
        private(set) var emptyDrops: [(path: String, header: String)] = []

        init(_ path: String) throws { paths = try DataDrops.files(at: path) }

        /// Calls `body` with every drop that has data rows (path, bytes), in merge order. A drop
        /// holding a NUL byte is a data error; in a folder, a drop without rows is skipped with
        /// a note when it is one line of text (checked by ``checkEmptyExports``), else an error.
        mutating func forEach(_ body: (String, [UInt8]) throws -> Void) throws {
            for path in paths {
                let content = try readBytes(path)
                bytes += content.count
                digests.append(SHA256.hex(content))
                if let nul = content.firstIndex(of: 0) {
                    throw DataError.invalidArgument("\(path): not a CSV file (binary data: a NUL byte at offset \(nul))")
                }
                if paths.count > 1 && dataLineCount(content) == 0 {
                    // An export with nothing new (a header alone) is not an error in a folder of
                    // drops; anything else without rows is.
                    emptyDrops.append((path, try emptyExportHeader(content, path: path)))
                    notes.append("\((path as NSString).lastPathComponent) has no data rows; skipped")
                    continue
                }
                try body(path, content)
            }
        }

        /// A skipped drop must be an empty export: its one line a header naming `columns`
        /// (those of the first drop, `firstSource`, split by `delimiter`).
        func checkEmptyExports(columns: [String], delimiter: UInt8, firstSource: String) throws {
            for (path, header) in emptyDrops {
                let fields = Set(header.split(separator: Character(UnicodeScalar(delimiter)), omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"\u{FEFF}")) })
                let missing = columns.filter { !fields.contains($0) }
                if !missing.isEmpty {
                    throw DataError.invalidArgument("\(path): has no data rows and its only line is not a header with the columns of \(firstSource) (no \(missing.prefix(3).map { "'\($0)'" }.joined(separator: ", "))); not an empty export")
                }
            }
        }

        /// The file's SHA-256 (one file), or the SHA-256 of the drops' digests, one per line.
        var sha256: String { paths.count == 1 ? digests[0] : SHA256.hex(Array(digests.map { $0 + "\n" }.joined().utf8)) }
    }

    /// Non-blank lines after the first (header) line: 0 for an empty drop.
    static func dataLineCount(_ bytes: [UInt8]) -> Int {
        let blank: Set<UInt8> = [0x20, 0x09, 0x0D, 0xEF, 0xBB, 0xBF]
        let lines = bytes.split(separator: 0x0A).filter { !$0.allSatisfy { blank.contains($0) } }
        return max(0, lines.count - 1)
    }

    /// The header line of a drop without data rows, or a data error when it is not one line
    /// of text (empty, binary, control characters).
    static func emptyExportHeader(_ bytes: [UInt8], path: String) throws -> String {
        guard let text = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) else {
            throw DataError.invalidArgument("\(path): not a CSV file (not UTF-8 text) and no data rows")
        }
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\r" && $0 != "\n" }) {
            throw DataError.invalidArgument("\(path): not a CSV file (control character U+\(String(format: "%04X", bad.value))) and no data rows")
        }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\u{FEFF}")) }.filter { !$0.isEmpty }
        guard let header = lines.first else {
            throw DataError.invalidArgument("\(path): is empty (no header, no data rows); an empty export still has its header line")
        }
        return header
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        do { return try RegularFile.read(path) } catch let e as FileError {
            throw DataError.io(file: path, reason: e.message)
        }
    }

    /// Appends tables with the columns of the first one (by name); the result's rows map to
    /// consecutive line numbers over the files.
    static func merge(_ tables: [Table], source: String) throws -> Table {
        guard let first = tables.first else { throw DataError.invalidArgument("\(source): no data rows in any drop") }
        if tables.count == 1 { return first }
        var columns: [Column] = []
        for (ci, c) in first.columns.enumerated() {
            let parts = try tables.map { t -> Column in
                guard let i = t.columnIndex(.name(c.name)) else {
                    throw DataError.invalidArgument("\(t.source): no column '\(c.name)'")
                }
                return t.columns[i]
            }
            let values: ColumnValues
            switch c.values {
            case .numbers:
                var all: [Float] = []
                for (p, t) in zip(parts, tables) {
                    guard let v = p.numbers else { throw typeError(t, p, expected: "numbers") }
                    all += v
                }
                values = .numbers(all)
            case .times(_, let format):
                var all: [Int64] = []
                for (p, t) in zip(parts, tables) {
                    guard let v = p.times else { throw typeError(t, p, expected: "times") }
                    all += v.instants
                }
                values = .times(all, format)
            case .text:
                var levels: [String] = [], index: [String: Int32] = [:], codes: [Int32] = []
                for (p, t) in zip(parts, tables) {
                    guard case .text(let cs, let ls) = p.values else { throw typeError(t, p, expected: "text") }
                    let map: [Int32] = ls.map { l in
                        if let i = index[l] { return i }
                        let i = Int32(levels.count)
                        levels.append(l); index[l] = i
                        return i
                    }
                    codes += cs.map { $0 < 0 ? -1 : map[Int($0)] }
                }
                values = .text(codes: codes, levels: levels)
            }
            columns.append(Column(name: c.name, fileIndex: first.columns[ci].fileIndex, values: values,
                                  missing: parts.reduce(0) { $0 + $1.missing }))
        }
        var lines = RowLines(firstLine: first.lines.firstLine)
        var offset = 0
        for t in tables {
            lines.append(contentsOf: t.lines, lineOffset: offset)
            offset = (t.rowCount > 0 ? t.lines.line(of: t.rowCount - 1) : 0) + offset
        }
        return Table(source: source, columns: columns, rowCount: tables.reduce(0) { $0 + $1.rowCount }, lines: lines,
                     fileColumnNames: first.fileColumnNames, byteCount: tables.reduce(0) { $0 + $1.byteCount }, delimiter: first.delimiter)
    }

    static func typeError(_ t: Table, _ c: Column, expected: String) -> DataError {
        .invalidArgument("\(t.source): column '\(c.name)' holds \(c.type.rawValue)s where the first drop has \(expected)")
    }
}

import Foundation

/// The data of one retraining run: one CSV file, or a folder of CSV drops merged into one
/// table and turned into series.
public struct RetrainData: Sendable {
    /// The merged series (sorted by time, duplicates resolved: the later drop wins).
    public var set: TimeSeriesSet
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
public enum DataDrops {
    /// The CSV files of `path`, in merge order: `[path]` for a file.
    public static func files(at path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DataError.io(file: path, reason: "no such file or folder")
        }
        guard isDir.boolValue else { return [path] }
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
        let paths = try files(at: settings.path)
        var tables: [Table] = []
        var digests: [String] = []
        var bytes = 0
        var notes: [String] = []
        var timeOptions = TimeSeriesOptions(sort: true, duplicates: .keepLast)
        timeOptions.gaps = .split
        let timeSource: TimeSource = settings.time.map { .column(.name($0)) } ?? .auto
        let key: ColumnRef? = settings.seriesKey.map { .name($0) }
        for path in paths {
            let content = try readBytes(path)
            bytes += content.count
            digests.append(SHA256.hex(content))
            if paths.count > 1 && dataLineCount(content) == 0 {
                // An export with nothing new is not an error in a folder of drops.
                notes.append("\((path as NSString).lastPathComponent) has no data rows; skipped")
                continue
            }
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
        let merged = try merge(tables, source: settings.path)
        let set = try TimeSeriesSet(table: merged, time: timeSource, seriesKey: key, options: timeOptions)
        if paths.count > 1 && set.timeColumn == nil {
            notes.append("no time column: drops were appended in file order without de-duplication")
        }
        let sha = paths.count == 1 ? digests[0] : SHA256.hex(Array(digests.map { $0 + "\n" }.joined().utf8))
        var first: Int64? = nil, last: Int64? = nil
        for s in set.series {
            if let t = s.times?.first { first = min(first ?? t, t) }
            if let t = s.times?.last { last = max(last ?? t, t) }
        }
        return RetrainData(set: set, files: paths, bytes: bytes, rowsRead: tables.reduce(0) { $0 + $1.rowCount },
                           duplicateRows: set.report.duplicateRows, sha256: sha,
                           firstTime: first.map { set.format($0) }, lastTime: last.map { set.format($0) }, notes: notes)
    }

    /// Non-blank lines after the first (header) line: 0 for an empty drop.
    static func dataLineCount(_ bytes: [UInt8]) -> Int {
        let blank: Set<UInt8> = [0x20, 0x09, 0x0D, 0xEF, 0xBB, 0xBF]
        let lines = bytes.split(separator: 0x0A).filter { !$0.allSatisfy { blank.contains($0) } }
        return max(0, lines.count - 1)
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        do { return try AtomicFile.read(path) } catch let e as FileError {
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

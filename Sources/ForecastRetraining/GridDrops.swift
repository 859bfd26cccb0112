import Foundation
import Forecast

extension DataDrops {
    /// Reads the grid drops named by `settings` (a grid job): one long-format CSV file
    /// `time,y,x,value` or a folder of them, taken in file-name order like series drops
    /// (``files(at:)``), with the same rules for hostile input (regular files only, no NUL
    /// bytes, a drop without rows skipped only when it is an empty export with the first
    /// drop's header).
    ///
    /// Each drop is read and checked on its own (``GridData``: a hole, a repeated cell or a
    /// missing value is an error naming the drop, line and column), then the drops are merged
    /// by time (``GridData/merging(_:names:)``): every drop must cover the same cells, and a
    /// frame re-sent by a later drop replaces the earlier one (counted in `duplicateRows`, one
    /// row per cell). The value column is `settings.targets[0]`; the time column
    /// `settings.time` (default `time`); the coordinates are `y` and `x`.
    public static func readGrid(_ settings: RetrainJob.DataSettings, csv: CSVOptions = CSVOptions()) throws -> RetrainData {
        guard let value = settings.targets.first else { throw DataError.invalidArgument("\(settings.path): no value column named (data.targets)") }
        let paths = try files(at: settings.path)
        var grids: [GridData] = [], names: [String] = [], digests: [String] = [], notes: [String] = []
        var bytes = 0, rowsRead = 0
        var header: [String]? = nil
        var emptyDrops: [(path: String, header: String)] = []
        for path in paths {
            let content = try readBytes(path)
            bytes += content.count
            digests.append(SHA256.hex(content))
            if let nul = content.firstIndex(of: 0) {
                throw DataError.invalidArgument("\(path): not a CSV file (binary data: a NUL byte at offset \(nul))")
            }
            if paths.count > 1 && dataLineCount(content) == 0 {
                emptyDrops.append((path, try emptyExportHeader(content, path: path)))
                notes.append("\((path as NSString).lastPathComponent) has no data rows; skipped")
                continue
            }
            let table = try CSVReader.read(bytes: content, name: path, options: csv)
            header = header ?? table.columnNames
            rowsRead += table.rowCount
            grids.append(try GridData(table: table, time: .name(settings.time ?? "time"), values: [.name(value)]))
            names.append(path)
        }
        if let first = header {
            for (path, line) in emptyDrops {
                let fields = Set(line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"\u{FEFF}")) })
                let missing = first.filter { !fields.contains($0) }
                if !missing.isEmpty {
                    throw DataError.invalidArgument("\(path): has no data rows and its only line is not a header with the columns of \(names[0]) (no \(missing.prefix(3).map { "'\($0)'" }.joined(separator: ", "))); not an empty export")
                }
            }
        }
        guard !grids.isEmpty else { throw DataError.invalidArgument("\(settings.path): no data rows in any drop") }
        let (grid, replaced) = try GridData.merging(grids, names: names)
        if replaced > 0 { notes.append("\(replaced) frame\(replaced == 1 ? "" : "s") re-sent by a later drop replaced the earlier one") }
        let sha = paths.count == 1 ? digests[0] : SHA256.hex(Array(digests.map { $0 + "\n" }.joined().utf8))
        return RetrainData(content: .grid(grid), files: paths, bytes: bytes, rowsRead: rowsRead,
                           duplicateRows: replaced * grid.height * grid.width, sha256: sha,
                           firstTime: grid.times.first.map { grid.timeFormat.format($0) },
                           lastTime: grid.times.last.map { grid.timeFormat.format($0) }, notes: notes)
    }
}

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
        var drops = try DropFiles(settings.path)
        var grids: [GridData] = [], names: [String] = []
        var rowsRead = 0
        var first: Table? = nil
        try drops.forEach { path, content in
            let table = try CSVReader.read(bytes: content, name: path, options: csv)
            first = first ?? table
            rowsRead += table.rowCount
            grids.append(try GridData(table: table, time: .name(settings.time ?? "time"), values: [.name(value)]))
            names.append(path)
        }
        if let first { try drops.checkEmptyExports(columns: first.columnNames, delimiter: first.delimiter, firstSource: first.source) }
        var notes = drops.notes
        guard !grids.isEmpty else { throw DataError.invalidArgument("\(settings.path): no data rows in any drop") }
        let (grid, replaced) = try GridData.merging(grids, names: names)
        if replaced > 0 { notes.append("\(replaced) frame\(replaced == 1 ? "" : "s") re-sent by a later drop replaced the earlier one") }
        return RetrainData(content: .grid(grid), files: drops.paths, bytes: drops.bytes, rowsRead: rowsRead,
                           duplicateRows: replaced * grid.height * grid.width, sha256: drops.sha256,
                           firstTime: grid.times.first.map { grid.timeFormat.format($0) },
                           lastTime: grid.times.last.map { grid.timeFormat.format($0) }, notes: notes)
    }
}

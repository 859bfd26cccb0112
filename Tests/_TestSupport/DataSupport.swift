import Foundation
import ForecastData

/// Runs a file through the whole ingest path the CLI uses: read, then frames for `grid_*`
/// files, otherwise time series and windows (lookback 1, horizon 1, every numeric column a
/// target, missing values an error). Returns nothing; throws the first error.
public func ingestEverything(_ path: String) throws {
    let table = try CSVReader.read(path: path)
    if (path as NSString).lastPathComponent.hasPrefix("grid_") {
        _ = try GridData(table: table)
        return
    }
    let set = try TimeSeriesSet(table: table)
    guard !set.columnNames.isEmpty else { return }
    let spec = WindowSpec(lookback: 1, horizon: 1, targets: set.columnNames)
    _ = try PreparedData(set, spec: spec, split: .none)
}

/// One line of `Fixtures/bad-csv/EXPECTED.tsv`: a malformed file and the error it must give.
public struct ExpectedFailure {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var fragment: String
}

/// Reads the manifest (tab-separated: file, line, column, message fragment; `-` for none).
public func expectedFailures() throws -> [ExpectedFailure] {
    let text = try String(contentsOfFile: fixturePath("bad-csv/EXPECTED.tsv"), encoding: .utf8)
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.compactMap { row in
        let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard f.count >= 4 else { return nil }
        return ExpectedFailure(file: f[0], line: Int(f[1]), column: Int(f[2]), fragment: f[3])
    }
}

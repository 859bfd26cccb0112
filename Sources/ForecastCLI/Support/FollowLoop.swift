import Foundation
import Forecast

/// `forecast predict --follow`: warms a ``ForecastStream`` on the data file, then reads new rows
/// from standard input (same columns as the file, no header; a repeated header line is
/// skipped) and prints the forecast after each row, flushing at once.
///
/// Output is CSV with a header: `origin` (the row's time as written, or its row number), the
/// forecast step's time (or `+k`), then each target (and `<target>_lower`/`_upper`).
enum FollowLoop {
    static func run(_ forecaster: Forecaster, set: TimeSeriesSet, data: String, delimiter: UInt8?,
                    input: FileHandle = .standardInput) throws {
        guard set.series.count == 1, let series = set.series.first else {
            throw CLIError.data("\(data): --follow takes one series; this file has \(set.series.count) (split it by \(set.seriesKeyColumn ?? "key") first)")
        }
        let spec = forecaster.spec
        if spec.seriesScaling != nil {
            throw CLIError.data("\(data): --follow needs a model with one scaling for all series; this one scales each series by its own factor (train it with --scaler-scope global)")
        }
        let stream = forecaster.stream()
        let columns = spec.window.inputColumns.map { name -> Int in set.columnIndex(name) ?? -1 }
        if let missing = zip(spec.window.inputColumns, columns).first(where: { $0.1 < 0 }) {
            throw CLIError.data("\(data): no column '\(missing.0)' (the model reads \(spec.window.inputColumns.joined(separator: ", ")))")
        }
        let offset = set.timeFormat?.offsetMinutes ?? 0
        for r in 0..<series.count {
            var cols: [String: Float] = [:]
            for (name, c) in zip(spec.window.inputColumns, columns) { cols[name] = series.values[c][r] }
            do { try stream.update(columns: cols, time: series.times?[r], offsetMinutes: offset) }
            catch { throw CLIError.data("\(data):\(series.lines[r]): \(error)") }
        }
        // The header line of the file, to find each column in the rows that follow.
        let header = try headerLine(data)
        let sep = delimiter ?? detectDelimiter(header)
        let fields = header.split(separator: Character(UnicodeScalar(sep)), omittingEmptySubsequences: false).map { unquote(String($0)) }
        let fileIndex = spec.window.inputColumns.map { fields.firstIndex(of: $0) }
        let timeIndex = set.timeColumn.flatMap { fields.firstIndex(of: $0) }
        let P = spec.window.targets.count
        var head = ["origin", spec.timeColumn ?? "step"]
        for t in spec.window.targets {
            head.append(t)
            if spec.loss.outputsPerTarget > 1 { head += ["\(t)_lower", "\(t)_upper"] }
        }
        emit(head.joined(separator: ","))
        var lastTime = series.times?.last
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed == header.trimmingCharacters(in: .whitespaces) { continue }
            let parts = line.split(separator: Character(UnicodeScalar(sep)), omittingEmptySubsequences: false).map { unquote(String($0)) }
            var cols: [String: Float] = [:]
            for (name, index) in zip(spec.window.inputColumns, fileIndex) {
                guard let index, index < parts.count else {
                    throw CLIError.data("<stdin>:\(lineNumber): the row has \(parts.count) fields, but column '\(name)' is field \((index ?? fields.count) + 1) of the header of \(data)")
                }
                guard let v = Float(parts[index].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw CLIError.data("<stdin>:\(lineNumber):\(index + 1): column '\(name)': expected a finite number, got '\(parts[index])'")
                }
                cols[name] = v
            }
            var instant: Int64? = nil
            let timeText = timeIndex.flatMap { $0 < parts.count ? parts[$0] : nil }
            if let timeText { instant = parseTime(timeText, format: set.timeFormat) }
            if instant == nil, let last = lastTime, let f = set.frequency {
                instant = f.continuing(after: last, count: 1, offsetMinutes: offset).first
            }
            if instant == nil, !spec.window.calendar.isEmpty {
                throw CLIError.data("<stdin>:\(lineNumber):\((timeIndex ?? 0) + 1): cannot read the time '\(timeText ?? "")' (the model has calendar inputs)")
            }
            do { try stream.update(columns: cols, time: instant, offsetMinutes: offset) }
            catch { throw CLIError.data("<stdin>:\(lineNumber): \(error)") }
            if let instant { lastTime = instant }
            let f = try stream.forecast()
            let origin = timeText ?? "\(series.count + lineNumber)"
            var labels = (1...spec.window.horizon).map { "+\($0)" }
            if let last = lastTime, let freq = set.frequency {
                labels = freq.continuing(after: last, count: spec.window.horizon, offsetMinutes: offset).map { set.format($0) }
            }
            var out: [String] = []
            for h in 0..<spec.window.horizon {
                var row = [ForecastCSV.quote(origin), ForecastCSV.quote(labels[h])]
                for p in 0..<P {
                    row.append(ForecastCSV.number(f.values[h][p]))
                    if let lo = f.lower, let hi = f.upper { row += [ForecastCSV.number(lo[h][p]), ForecastCSV.number(hi[h][p])] }
                }
                out.append(row.joined(separator: ","))
            }
            emit(out.joined(separator: "\n"))
        }
    }

    private static func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// The first line of the file (BOM and CR removed).
    private static func headerLine(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError.data("\(path): cannot open") }
        defer { try? handle.close() }
        let chunk = handle.readData(ofLength: 64 * 1024)
        let text = String(decoding: chunk, as: UTF8.self)
        var first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if first.hasSuffix("\r") { first.removeLast() }
        if first.hasPrefix("\u{FEFF}") { first.removeFirst() }
        return first
    }

    private static func detectDelimiter(_ header: String) -> UInt8 {
        for c in [",", ";", "\t", "|"] where header.contains(c) { return c.utf8.first! }
        return UInt8(ascii: ",")
    }

    private static func unquote(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\"") else { return t }
        return String(t.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }

    /// A time written like the file's time column: ISO-8601, or a number in the file's numeric
    /// time kind (epoch, Excel serial); nil otherwise.
    private static func parseTime(_ text: String, format: TimeFormat?) -> Int64? {
        if let p = TimeParser.parseISO(text) { return p.instant }
        if let format, format.isNumeric, let v = Double(text) { return TimeParser.instant(fromNumber: v, kind: format.kind) }
        return nil
    }
}

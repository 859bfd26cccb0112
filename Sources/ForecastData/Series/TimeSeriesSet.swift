/// A table turned into time series: a time axis (or row order), numeric value columns, and
/// optionally several series keyed by a column (e.g. `origin` in the NYC weather file).
/// Windows are later cut per series, so they never cross series.
///
/// Building the set checks the time axis: missing timestamps, unsorted rows (error unless
/// `options.sort`), duplicates (`options.duplicates`), infers the frequency, and finds gaps
/// and irregular steps (`options.gaps`). Findings are in `report`.
public struct TimeSeriesSet: Sendable {
    /// File name for error messages.
    public var source: String
    /// Numeric value columns (all number columns except the time and key columns).
    public var columnNames: [String]
    /// 0-based position in the file of each value column (for error messages).
    public var columnFileIndices: [Int]
    /// Text columns that are not used (neither key nor time).
    public var ignoredColumns: [String]
    public var timeColumn: String?
    /// How timestamps are written (nil without timestamps).
    public var timeFormat: TimeFormat?
    public var frequency: Frequency?
    public var seriesKeyColumn: String?
    public var series: [TimeSeries]
    public var report: TimeReport

    /// Total rows over all series.
    public var rowCount: Int { series.reduce(0) { $0 + $1.count } }

    /// The index of value column `name`.
    public func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }

    /// Builds the series from `table`.
    /// - Parameters:
    ///   - time: where timestamps come from (default: detect a time column).
    ///   - seriesKey: a column whose values name separate series; nil for one series.
    public init(table: Table, time: TimeSource = .auto, seriesKey: ColumnRef? = nil, options: TimeSeriesOptions = TimeSeriesOptions()) throws {
        source = table.source
        var report = TimeReport()

        // Key column.
        var keyIndex: Int? = nil
        if let seriesKey {
            let k = try table.requireColumn(seriesKey, for: "the series key")
            if table.columns[k].type == .time { throw DataError.invalidArgument("\(table.source): the series key column '\(table.columns[k].name)' holds times") }
            keyIndex = k
        }
        seriesKeyColumn = keyIndex.map { table.columns[$0].name }

        // Time column.
        var timeIndex: Int? = nil
        var instants: [Int64]? = nil
        var format: TimeFormat? = nil
        var rowOrderStart: Int64? = nil
        var rowOrderStep: Frequency? = options.frequency
        switch time {
        case .auto:
            timeIndex = table.columns.indices.first { table.columns[$0].type == .time && $0 != keyIndex }
        case .column(let ref):
            let i = try table.requireColumn(ref, for: "the time axis")
            guard i != keyIndex else { throw DataError.invalidArgument("\(table.source): column '\(table.columns[i].name)' cannot be both the time and the series key") }
            timeIndex = i
        case .rowOrder(let start, let step):
            if let step { rowOrderStep = step }
            if let start {
                guard let parsed = TimeParser.parseISO(start) else {
                    throw DataError.invalidArgument("start time \"\(start)\" is not an ISO-8601 date or date-time (like 2014-01-01 or 2014-01-01T00:00)")
                }
                guard rowOrderStep != nil else { throw DataError.invalidArgument("a start time needs a step (frequency) too") }
                rowOrderStart = parsed.instant
                format = parsed.format
            }
        }
        if let ti = timeIndex {
            (instants, format) = try TimeSeriesSet.instants(of: table.columns[ti], table: table, columnIndex: ti)
            report.notes += table.columns[ti].notes
        }
        timeColumn = timeIndex.map { table.columns[$0].name }
        timeFormat = format

        // Value columns.
        let valueIndices = table.columns.indices.filter { $0 != timeIndex && $0 != keyIndex && table.columns[$0].type == .number }
        columnNames = valueIndices.map { table.columns[$0].name }
        columnFileIndices = valueIndices.map { table.columns[$0].fileIndex }
        ignoredColumns = table.columns.indices.filter { $0 != timeIndex && $0 != keyIndex && table.columns[$0].type != .number }.map { table.columns[$0].name }

        // Group rows by key, in order of first appearance.
        var groups: [[Int]] = []
        var keys: [String?] = []
        if let k = keyIndex {
            var groupOf: [String: Int] = [:]
            for r in 0..<table.rowCount {
                guard let key = table.columns[k].text(at: r) else {
                    throw DataError.missingValue(table.location(row: r, column: k), "missing series key in column '\(table.columns[k].name)'")
                }
                let keyText = TimeSeriesSet.keyText(key)
                if let g = groupOf[keyText] { groups[g].append(r) } else {
                    groupOf[keyText] = groups.count; groups.append([r]); keys.append(keyText)
                }
            }
        } else {
            groups = [Array(0..<table.rowCount)]
            keys = [nil]
        }

        // Order and duplicates within each group.
        if let instants {
            for g in groups.indices {
                groups[g] = try TimeSeriesSet.ordered(groups[g], instants: instants, table: table, timeIndex: timeIndex ?? 0,
                                                      key: keys[g], format: format, options: options, report: &report)
            }
        }

        // Frequency.
        let offset = format?.offsetMinutes ?? 0
        var frequency = options.frequency ?? rowOrderStep
        if frequency == nil, let instants {
            frequency = TimeSeriesSet.inferFrequency(groups.map { $0.map { instants[$0] } }, offsetMinutes: offset)
        }
        self.frequency = frequency
        report.frequency = frequency
        report.seasonLength = frequency?.seasonLength

        // Build the series, finding gaps.
        var built: [TimeSeries] = []
        for (g, rows) in groups.enumerated() {
            var values = valueIndices.map { ci -> [Float] in
                guard let v = table.columns[ci].numbers else { return [] }
                return rows.map { v[$0] }
            }
            var lines = rows.map { table.lines.line(of: $0) }
            var times: [Int64]? = instants.map { t in rows.map { t[$0] } }
            if times == nil, let start = rowOrderStart, let step = rowOrderStep {
                times = (0..<rows.count).map { step.advance(start, by: $0, offsetMinutes: offset) }
            }
            var segmentStarts = [0]
            if instants != nil, let f = frequency, var t = times {
                try TimeSeriesSet.scanSteps(times: &t, values: &values, lines: &lines, segmentStarts: &segmentStarts,
                                            frequency: f, offset: offset, format: format, key: keys[g], file: table.source,
                                            options: options, report: &report)
                times = t
            }
            built.append(TimeSeries(key: keys[g], times: times, values: values, lines: lines, segmentStarts: segmentStarts))
        }
        series = built
        self.report = report
    }

    /// Formats an instant in the input's time style (ISO UTC when unknown).
    public func format(_ instant: Int64) -> String {
        (timeFormat ?? TimeFormat(kind: .dateTime, zone: .utc)).format(instant)
    }

    /// The timestamps of the `horizon` steps after the last row of series `s` (empty when the
    /// set has no timestamps or no frequency). Month-based steps advance by calendar months.
    public func futureTimes(series s: Int, horizon: Int) -> [Int64] {
        guard let f = frequency, let last = series[s].times?.last else { return [] }
        return f.continuing(after: last, count: horizon, offsetMinutes: timeFormat?.offsetMinutes ?? 0)
    }

    // MARK: - Steps

    static func keyText(_ s: String) -> String {
        if let v = Float(s), v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return s
    }

    /// Instants of a time column, or of a numeric column read as decimal years / epoch values.
    static func instants(of column: Column, table: Table, columnIndex: Int) throws -> ([Int64], TimeFormat) {
        switch column.values {
        case .times(let t, let f):
            if let r = t.firstIndex(of: Int64.min) {
                throw DataError.missingValue(table.location(row: r, column: columnIndex), "missing timestamp in column '\(column.name)'")
            }
            return (t, f)
        case .numbers(let v):
            if let r = v.firstIndex(where: { $0.isNaN }) {
                throw DataError.missingValue(table.location(row: r, column: columnIndex), "missing timestamp in column '\(column.name)'")
            }
            let sample = v.prefix(1000).map(Double.init)
            guard let kind = TimeParser.numericKind(of: sample) else {
                throw DataError.invalidArgument("\(table.source): column '\(column.name)' does not hold times (expected ISO-8601 text, decimal years or epoch seconds/milliseconds)")
            }
            if kind != .decimalYear {
                throw DataError.invalidArgument("\(table.source): column '\(column.name)' holds epoch values that Float32 cannot keep exactly; read it with CSVOptions(types: [\"\(column.name)\": .time])")
            }
            var out: [Int64] = []
            out.reserveCapacity(v.count)
            for (r, x) in v.enumerated() {
                guard let t = TimeParser.instant(fromNumber: Double(x), kind: kind) else {
                    throw DataError.badTime(table.location(row: r, column: columnIndex), "expected a decimal year in column '\(column.name)', found \(x)")
                }
                out.append(t)
            }
            return (out, TimeFormat(kind: kind))
        case .text(let codes, let levels):
            let example = codes.first { $0 >= 0 }.map { levels[Int($0)] } ?? ""
            throw DataError.invalidArgument("\(table.source): column '\(column.name)' is text, not times (e.g. \(quoteForMessage(Array(example.utf8))))")
        }
    }

    /// Sorts (when allowed) and resolves duplicates; errors name the offending lines.
    static func ordered(_ rows: [Int], instants: [Int64], table: Table, timeIndex: Int, key: String?, format: TimeFormat?,
                        options: TimeSeriesOptions, report: inout TimeReport) throws -> [Int] {
        let fmt = format ?? TimeFormat(kind: .dateTime, zone: .utc)
        let inSeries = key.map { " in series '\($0)'" } ?? ""
        var rows = rows
        if let bad = (1..<max(1, rows.count)).first(where: { instants[rows[$0]] < instants[rows[$0 - 1]] }) {
            if !options.sort {
                let r = rows[bad], p = rows[bad - 1]
                throw DataError.badTime(table.location(row: r, column: timeIndex),
                                        "timestamps out of order\(inSeries): \(fmt.format(instants[r])) comes after \(fmt.format(instants[p])) on line \(table.lines.line(of: p)); sort the file or pass the sort option")
            }
            let before = rows
            rows.sort { a, b in instants[a] != instants[b] ? instants[a] < instants[b] : a < b }
            let moved = zip(before, rows).filter { $0 != $1 }.count
            report.unsortedRows += moved
            report.notes.append("\(moved) rows\(inSeries) were out of time order and were sorted")
        }
        guard rows.count > 1 else { return rows }
        var kept: [Int] = [rows[0]]
        kept.reserveCapacity(rows.count)
        for i in 1..<rows.count {
            let r = rows[i]
            guard let lastKept = kept.last, instants[r] == instants[lastKept] else { kept.append(r); continue }
            switch options.duplicates {
            case .error:
                throw DataError.badTime(table.location(row: r, column: timeIndex),
                                        "duplicate timestamp \(fmt.format(instants[r]))\(inSeries) (also on line \(table.lines.line(of: lastKept))); pass a duplicates policy (keep first or last) or add a series key")
            case .keepFirst:
                report.duplicateRows += 1
            case .keepLast:
                kept[kept.count - 1] = r
                report.duplicateRows += 1
            }
        }
        if report.duplicateRows > 0 && report.notes.count < 20 {
            report.notes.append("\(report.duplicateRows) duplicate-timestamp rows dropped (\(options.duplicates.rawValue))")
        }
        return kept
    }

    /// The most common step: calendar months when it is about a month, quarter or year long,
    /// a fixed duration otherwise.
    static func inferFrequency(_ groups: [[Int64]], offsetMinutes: Int) -> Frequency? {
        var counts: [Int64: Int] = [:]
        for t in groups where t.count > 1 {
            for i in 1..<t.count { counts[t[i] - t[i - 1], default: 0] += 1 }
        }
        guard let mode = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key })?.key, mode > 0 else { return nil }
        let day = CivilTime.dayMillis
        let calendarLike = (28 * day...31 * day).contains(mode) || (89 * day...92 * day).contains(mode) || (365 * day...366 * day).contains(mode)
        if calendarLike {
            var months: [Int: Int] = [:]
            for t in groups where t.count > 1 {
                for i in 1..<t.count {
                    let a = CivilTime(instant: t[i - 1], offsetMinutes: offsetMinutes), b = CivilTime(instant: t[i], offsetMinutes: offsetMinutes)
                    months[b.monthIndex - a.monthIndex, default: 0] += 1
                }
            }
            if let m = months.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key })?.key, m > 0 {
                return m % 12 == 0 ? Frequency(.year, m / 12) : Frequency(.month, m)
            }
        }
        return Frequency.fixed(millis: mode)
    }

    /// Walks consecutive timestamps: marks segment starts at gaps and irregular steps, or
    /// inserts missing rows (`.reindex`).
    static func scanSteps(times: inout [Int64], values: inout [[Float]], lines: inout [Int], segmentStarts: inout [Int],
                          frequency f: Frequency, offset: Int, format: TimeFormat?, key: String?, file: String,
                          options: TimeSeriesOptions, report: inout TimeReport) throws {
        guard times.count > 1 else { return }
        let fmt = format ?? TimeFormat(kind: .dateTime, zone: .utc)
        let inSeries = key.map { " in series '\($0)'" } ?? ""
        var newTimes: [Int64] = [], newValues = values.map { _ in [Float]() }, newLines: [Int] = []
        let reindex = options.gaps == .reindex
        let limit = options.maxInsertedRows ?? max(10_000, 10 * times.count)
        var inserted = 0
        if reindex {
            newTimes.reserveCapacity(times.count); newLines.reserveCapacity(times.count)
            newTimes.append(times[0]); newLines.append(lines[0])
            for c in values.indices { newValues[c].reserveCapacity(times.count); newValues[c].append(values[c][0]) }
        }
        for i in 1..<times.count {
            let steps = f.steps(from: times[i - 1], to: times[i], offsetMinutes: offset) ?? 0
            if steps < 1 {
                report.irregularSteps += 1
                let note = "irregular step\(inSeries) at line \(lines[i]): \(fmt.format(times[i - 1])) to \(fmt.format(times[i])) is not a whole number of \(f) steps"
                if reindex { throw DataError.badTime(SourceLocation(file: file, line: lines[i]), note + "; cannot re-index") }
                if report.notes.count < 20 { report.notes.append(note) }
                if options.gaps == .split { segmentStarts.append(i) }
            } else if steps > 1 {
                let k = steps
                report.gaps += 1
                report.missingSteps += k - 1
                if report.notes.count < 20 {
                    report.notes.append("gap\(inSeries) before line \(lines[i]): \(k - 1) missing step\(k == 2 ? "" : "s") after \(fmt.format(times[i - 1]))")
                }
                if options.gaps == .split { segmentStarts.append(i) }
                if reindex {
                    report.insertedRows += k - 1
                    inserted += k - 1
                    if inserted > limit {
                        throw DataError.badTime(SourceLocation(file: file, line: lines[i]),
                                                "re-indexing would insert more than \(limit) rows\(inSeries) (a gap of \(k - 1) steps ends here); check the timestamps or raise maxInsertedRows")
                    }
                    for s in 1..<k {
                        newTimes.append(f.advance(times[i - 1], by: s, offsetMinutes: offset))
                        newLines.append(0)
                        for c in values.indices { newValues[c].append(.nan) }
                    }
                }
            }
            if reindex {
                newTimes.append(times[i]); newLines.append(lines[i])
                for c in values.indices { newValues[c].append(values[c][i]) }
            }
        }
        if reindex {
            times = newTimes; values = newValues; lines = newLines
        }
    }
}

/// Training, validation and test windows cut from a `TimeSeriesSet`, with the fitted scaler.
///
///     rows                              [R, F]   every series' rows, scaled, read once
///     train / validation / test         (series, end row) views into `rows`
///                                       (input [lookback, F], target [targetLength] step-major)
///
/// Steps: check the spec; apply the missing-value policy per series; split each series
/// chronologically (`SplitSpec`); fit the scaler on the training rows only; scale every row
/// once into ``ScaledRows``; list the windows per series and segment (never across series,
/// gaps or split boundaries) as ``WindowViews``. Memory is O(rows × F), not O(windows ×
/// lookback × F): a window's values are gathered when a minibatch uses them.
public struct PreparedData: Sendable {
    public var train: WindowViews
    public var validation: WindowViews
    public var test: WindowViews
    /// Fitted on the training portion; covers every data column in `inputNames` and the targets.
    public var scaler: Scaler
    public var spec: WindowSpec
    public var split: SplitSpec
    public var missing: MissingPolicy
    /// Names of the F inputs per step (data columns, then calendar sin/cos).
    public var inputNames: [String]
    public var targetNames: [String]
    /// Indices into `inputNames` of inputs known in the future (knownFuture columns and calendar features).
    public var knownFutureInputs: [Int]
    /// Key of each series (window `series[i]` indexes this).
    public var seriesKeys: [String?]
    /// Windows dropped because they touched a missing value (policy `.drop`).
    public var droppedWindows: Int

    /// - Parameters:
    ///   - scaler: the scaling for every column, unless `columnScalers` names another for it.
    ///   - fitScaler: fits one column's scaler from the training rows of each series (in series
    ///     order); nil: ``ColumnScaler/fit(_:_:)`` over all of them in that order. Series-sharded
    ///     multi-process training passes one that combines every process's series.
    public init(_ set: TimeSeriesSet, spec: WindowSpec, split: SplitSpec = SplitSpec(), scaler: ScalerKind = .standard,
                columnScalers: [String: ScalerKind] = [:], missing: MissingPolicy = .error,
                fitScaler: ((ScalerKind, [ArraySlice<Float>]) -> ColumnScaler)? = nil) throws {
        try spec.validate(columns: set.columnNames, hasTimes: set.series.allSatisfy { $0.times != nil }, source: set.source)
        try split.validate()
        self.spec = spec
        self.split = split
        self.missing = missing
        inputNames = spec.inputNames
        targetNames = spec.targets
        seriesKeys = set.series.map(\.key)
        let dataColumns = spec.inputColumns
        knownFutureInputs = inputNames.indices.filter { i in
            i >= dataColumns.count || spec.knownFuture.contains(dataColumns[i])
        }

        // 1. Missing values, per series, on the data columns used.
        let prepared = try PreparedData.columns(of: set, names: dataColumns, missing: missing)

        // 2. Scaler fitted on training rows of every series.
        var fitted: [ColumnScaler] = []
        for (c, name) in dataColumns.enumerated() {
            let kind = columnScalers[name] ?? scaler
            if let fitScaler {
                fitted.append(fitScaler(kind, prepared.enumerated().map { s, series in
                    series[c][0..<split.boundaries(rows: set.series[s].count).validationStart] }))
                continue
            }
            var trainValues: [Float] = []
            for (s, series) in prepared.enumerated() {
                let end = split.boundaries(rows: set.series[s].count).validationStart
                trainValues.append(contentsOf: series[c][0..<end])
            }
            fitted.append(ColumnScaler.fit(kind, trainValues))
        }
        let fittedScaler = Scaler(columns: dataColumns, scalers: fitted)
        self.scaler = fittedScaler

        // 3. Rows scaled once; windows as (series, end row) views into them.
        let F = inputNames.count
        let offset = set.timeFormat?.offsetMinutes ?? 0
        let targetColumns = spec.targets.compactMap { dataColumns.firstIndex(of: $0) }
        var offsets = [0]
        offsets.reserveCapacity(set.series.count + 1)
        var values: [Float] = []
        values.reserveCapacity(set.series.reduce(0) { $0 + ($1.count >= spec.span ? $1.count : 0) } * F)
        for (s, series) in set.series.enumerated() {
            if series.count >= spec.span {
                values.append(contentsOf: PreparedData.inputMatrix(prepared[s], scaler: fittedScaler, times: series.times, calendar: spec.calendar, offset: offset))
            }
            offsets.append(values.count / F)
        }
        let rows = ScaledRows(features: F, values: values, offsets: offsets)
        var parts = [WindowViews](repeating: WindowViews(rows: rows, lookback: spec.lookback, horizon: spec.horizon, stride: spec.stride,
                                                         mode: spec.mode, targetColumns: targetColumns), count: 3)
        var dropped = 0
        for (s, series) in set.series.enumerated() {
            let n = series.count
            guard n >= spec.span else { continue }
            // Rows with a missing value (only possible with .drop): prefix counts.
            var badPrefix = [Int](repeating: 0, count: n + 1)
            for r in 0..<n {
                let bad = prepared[s].contains { $0[r].isNaN }
                badPrefix[r + 1] = badPrefix[r] + (bad ? 1 : 0)
            }
            let (vStart, tStart) = split.boundaries(rows: n)
            func part(_ r: Int) -> Int { r < vStart ? 0 : (r < tStart ? 1 : 2) }
            for segment in series.segments where segment.count >= spec.span {
                var start = segment.lowerBound
                while start + spec.span <= segment.upperBound {
                    defer { start += spec.stride }
                    let end = start + spec.lookback - 1          // last input row
                    let lastRow = end + spec.horizon
                    let firstTarget = spec.mode == .manyToOne ? end + 1 : start + spec.horizon
                    let p = part(lastRow)
                    guard part(firstTarget) == p else { continue }
                    if split.boundary == .whole && part(start) != p { continue }
                    if badPrefix[lastRow + 1] - badPrefix[start] > 0 { dropped += 1; continue }
                    parts[p].append(series: s, end: end)
                }
            }
        }
        train = parts[0]
        validation = parts[1]
        test = parts[2]
        droppedWindows = dropped
    }

    /// The used data columns of every series with the missing policy applied: [series][column][rows].
    static func columns(of set: TimeSeriesSet, names: [String], missing: MissingPolicy) throws -> [[[Float]]] {
        let indices = names.compactMap { set.columnIndex($0) }
        var out: [[[Float]]] = []
        for series in set.series {
            var cols: [[Float]] = []
            for c in indices {
                var v = series.values[c]
                if missing == .error, let r = v.firstIndex(where: { $0.isNaN }) {
                    let name = set.columnNames[c]
                    let inSeries = series.key.map { " of series '\($0)'" } ?? ""
                    if series.lines[r] == 0 {
                        let when = series.times.map { " at \(set.format($0[r]))" } ?? ""
                        throw DataError.missingValue(SourceLocation(file: set.source),
                                                     "missing row\(when)\(inSeries), inserted to fill a gap (column '\(name)'); choose the missing-value policy drop, ffill or interpolate")
                    }
                    throw DataError.missingValue(SourceLocation(file: set.source, line: series.lines[r], column: set.columnFileIndices[c] + 1),
                                                 "missing value in column '\(name)'\(inSeries); the missing-value policy is error: choose drop, ffill or interpolate")
                }
                if !missing.fill(&v, times: series.times) {
                    throw DataError.missingValue(SourceLocation(file: set.source),
                                                 "column '\(set.columnNames[c])'\(series.key.map { " of series '\($0)'" } ?? "") has no values at all")
                }
                cols.append(v)
            }
            out.append(cols)
        }
        return out
    }

    /// Scaled inputs of one series, row-major [rows, F]: data columns then calendar sin/cos.
    static func inputMatrix(_ columns: [[Float]], scaler: Scaler, times: [Int64]?, calendar: [CalendarFeature], offset: Int,
                            rows: Range<Int>? = nil) -> [Float] {
        let n = columns.first?.count ?? 0
        let range = rows ?? 0..<n
        let F = columns.count + 2 * calendar.count
        var out = [Float](repeating: 0, count: range.count * F)
        for (i, r) in range.enumerated() {
            for c in columns.indices { out[i * F + c] = scaler.scalers[c].transform(columns[c][r]) }
            if let t = times {
                for (k, feature) in calendar.enumerated() {
                    let (s, co) = feature.encode(t[r], offsetMinutes: offset)
                    out[i * F + columns.count + 2 * k] = s
                    out[i * F + columns.count + 2 * k + 1] = co
                }
            }
        }
        return out
    }
}

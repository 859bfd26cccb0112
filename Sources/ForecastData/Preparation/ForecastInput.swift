/// The model input for forecasting past the end of the data (`forecast predict`): for each
/// series the last `lookback` rows as one scaled window, plus the timestamps of the next
/// `horizon` steps.
///
///     x             [S, lookback, F]   scaled with the model's scaler, F = spec.inputNames.count
///     futureTimes   [S][horizon]       ms since the epoch (empty without timestamps)
///     futureLabels  [S][horizon]       the same, formatted like the input's time column
public struct ForecastInput: Sendable {
    public var x: [Float]
    public var seriesKeys: [String?]
    public var futureTimes: [[Int64]]
    public var futureLabels: [[String]]
    public var inputNames: [String]
    public var lookback: Int

    /// Builds the input from `set` with a scaler fitted earlier (e.g. stored in the model).
    /// With policy `.drop` or `.error`, a missing value in a last window is an error.
    public init(_ set: TimeSeriesSet, spec: WindowSpec, scaler: Scaler, missing: MissingPolicy = .error) throws {
        try spec.validate(columns: set.columnNames, hasTimes: set.series.allSatisfy { $0.times != nil }, source: set.source)
        let names = spec.inputColumns
        let dataScaler = Scaler(columns: names, scalers: names.map { scaler.scaler(for: $0) })
        let columns = try PreparedData.columns(of: set, names: names, missing: missing == .drop ? .error : missing)
        let offset = set.timeFormat?.offsetMinutes ?? 0
        x = []
        seriesKeys = []
        futureTimes = []
        futureLabels = []
        inputNames = spec.inputNames
        lookback = spec.lookback
        // Series that end together share their future timestamps: each is formatted once.
        var labels: [Int64: String] = [:]
        for (s, series) in set.series.enumerated() {
            guard series.count >= spec.lookback else {
                throw DataError.invalidArgument("\(set.source): series\(series.key.map { " '\($0)'" } ?? "") has \(series.count) rows, fewer than the lookback of \(spec.lookback)")
            }
            let rows = (series.count - spec.lookback)..<series.count
            x.append(contentsOf: PreparedData.inputMatrix(columns[s], scaler: dataScaler, times: series.times, calendar: spec.calendar, offset: offset, rows: rows))
            seriesKeys.append(series.key)
            let future = set.futureTimes(series: s, horizon: spec.horizon)
            futureTimes.append(future)
            futureLabels.append(future.map { t in
                if let label = labels[t] { return label }
                let label = set.format(t)
                labels[t] = label
                return label
            })
        }
    }
}

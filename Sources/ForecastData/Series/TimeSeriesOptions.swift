/// Where a `TimeSeriesSet` takes its timestamps from.
public enum TimeSource: Sendable, Equatable {
    /// The first time column of the table (ISO-8601 text, or a numeric column named like
    /// `time`/`date` holding decimal years or epoch values); row order when there is none.
    case auto
    /// This column.
    case column(ColumnRef)
    /// No time column: rows are consecutive steps. With `start` (ISO-8601 text, e.g.
    /// "2014-01-01T00:00") and `step`, rows get timestamps; with `step` alone the frequency
    /// is known but there are no timestamps.
    case rowOrder(start: String? = nil, step: Frequency? = nil)
}

/// What to do with rows that share a timestamp within one series.
public enum DuplicatePolicy: String, Sendable, Codable, CaseIterable {
    /// Stop with an error naming both lines (default).
    case error
    /// Keep the first row, drop later ones.
    case keepFirst
    /// Keep the last row.
    case keepLast
}

/// What to do where consecutive timestamps are more than one step apart, or off the grid.
public enum GapPolicy: String, Sendable, Codable, CaseIterable {
    /// Keep the rows; windows never cross a gap or irregular step (default).
    case split
    /// Insert the missing steps as rows of missing values (then the missing-value policy
    /// decides); an irregular step is an error.
    case reindex
    /// Treat the rows as if they were regular (windows may cross gaps).
    case ignore
}

/// Options for building a `TimeSeriesSet`.
public struct TimeSeriesOptions: Sendable, Equatable {
    /// Sort each series by time (stable) instead of failing on unsorted rows.
    public var sort: Bool = false
    public var duplicates: DuplicatePolicy = .error
    public var gaps: GapPolicy = .split
    /// The step, when the inferred one is not wanted.
    public var frequency: Frequency? = nil
    /// Upper bound on rows `.reindex` may insert into one series (guards against a typo'd
    /// timestamp in 2099); nil allows 10 times the series' rows, at least 10,000.
    public var maxInsertedRows: Int? = nil

    public init(sort: Bool = false, duplicates: DuplicatePolicy = .error, gaps: GapPolicy = .split, frequency: Frequency? = nil) {
        self.sort = sort; self.duplicates = duplicates; self.gaps = gaps; self.frequency = frequency
    }
}

/// What was found about the time axis: frequency, order, duplicates, gaps, irregular steps.
public struct TimeReport: Sendable, Equatable, Codable {
    public var frequency: Frequency?
    public var seasonLength: Int?
    /// Rows that were out of order (only non-zero when sorting was requested).
    public var unsortedRows: Int = 0
    /// Rows dropped as duplicates (only non-zero with keepFirst/keepLast).
    public var duplicateRows: Int = 0
    /// Places where one or more whole steps are missing.
    public var gaps: Int = 0
    /// Total steps missing in those gaps.
    public var missingSteps: Int = 0
    /// Steps that are not a whole number of the frequency.
    public var irregularSteps: Int = 0
    /// Rows inserted by re-indexing.
    public var insertedRows: Int = 0
    /// Human-readable notes on the first few findings, with lines.
    public var notes: [String] = []

    public init() {}
}

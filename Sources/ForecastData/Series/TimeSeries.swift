/// One series: the rows of one key (or the whole file), in time order.
///
///     times   [rows]            ms since the epoch (UTC); nil when the file has no time axis
///     values  [columns][rows]   Float32, NaN where missing; columns as in `TimeSeriesSet.columnNames`
///     lines   [rows]            1-based source line of each row; 0 for rows inserted by re-indexing
///
/// `segmentStarts` lists the rows that start a regular run (always 0 first); windows are
/// never cut across a segment start (gaps and irregular steps end segments).
public struct TimeSeries: Sendable, Equatable {
    public var key: String?
    public var times: [Int64]?
    public var values: [[Float]]
    public var lines: [Int]
    public var segmentStarts: [Int]

    public init(key: String?, times: [Int64]?, values: [[Float]], lines: [Int], segmentStarts: [Int] = [0]) {
        self.key = key; self.times = times; self.values = values; self.lines = lines; self.segmentStarts = segmentStarts
    }

    public var count: Int { lines.count }

    /// The half-open row ranges of the segments.
    public var segments: [Range<Int>] {
        let starts = segmentStarts.isEmpty ? [0] : segmentStarts
        return starts.indices.map { i in starts[i]..<(i + 1 < starts.count ? starts[i + 1] : count) }.filter { !$0.isEmpty }
    }
}

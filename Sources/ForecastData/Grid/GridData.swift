/// Gridded data (e.g. rainfall radar) read from a long-format table `time,y,x,value[,value…]`.
///
///     frames  [T, C, H, W]   Float32; T distinct times in ascending order, C value columns,
///                            H = rows of y (min...max), W = columns of x (min...max)
///
/// Every (time, y, x) cell must appear exactly once: a missing cell (hole) or a repeated cell
/// is an error naming it, as is a missing value.
public struct GridData: Sendable {
    public var frames: Tensor
    public var times: [Int64]
    public var timeFormat: TimeFormat
    public var channels: [String]
    public var height: Int
    public var width: Int
    /// The smallest y and x seen (frame row 0 / column 0).
    public var yOrigin: Int
    public var xOrigin: Int
    /// The inferred step between frames (nil with a single frame).
    public var frequency: Frequency?

    /// Reads a long-format CSV file.
    public static func read(path: String, options: CSVOptions = CSVOptions(), time: ColumnRef = "time", y: ColumnRef = "y", x: ColumnRef = "x", values: [ColumnRef]? = nil) throws -> GridData {
        try GridData(table: CSVReader.read(path: path, options: options), time: time, y: y, x: x, values: values)
    }

    /// Builds frames from a table; `values` defaults to every other number column.
    public init(table: Table, time: ColumnRef = "time", y: ColumnRef = "y", x: ColumnRef = "x", values: [ColumnRef]? = nil) throws {
        let ti = try table.requireColumn(time, for: "the grid time")
        let yi = try table.requireColumn(y, for: "the grid y coordinate")
        let xi = try table.requireColumn(x, for: "the grid x coordinate")
        guard let (instants, format) = table.columns[ti].times else {
            throw DataError.invalidArgument("\(table.source): column '\(table.columns[ti].name)' does not hold times")
        }
        let valueIndices: [Int]
        if let values {
            valueIndices = try values.map { try table.requireColumn($0, for: "grid values") }
        } else {
            valueIndices = table.columns.indices.filter { ![ti, yi, xi].contains($0) && table.columns[$0].type == .number }
        }
        guard !valueIndices.isEmpty else { throw DataError.invalidArgument("\(table.source): no value columns for the grid") }
        for v in valueIndices where table.columns[v].numbers == nil {
            throw DataError.invalidArgument("\(table.source): grid value column '\(table.columns[v].name)' is not numeric")
        }
        let ys = try GridData.coordinates(table, yi), xs = try GridData.coordinates(table, xi)
        let n = table.rowCount
        if let r = instants.firstIndex(of: Int64.min) {
            throw DataError.missingValue(table.location(row: r, column: ti), "missing time in a grid row")
        }
        let distinct = Array(Set(instants)).sorted()
        var frameOf: [Int64: Int] = [:]
        for (i, t) in distinct.enumerated() { frameOf[t] = i }
        let y0 = ys.min() ?? 0, x0 = xs.min() ?? 0
        let H = (ys.max() ?? 0) - y0 + 1, W = (xs.max() ?? 0) - x0 + 1
        let T = distinct.count, C = valueIndices.count
        let (hw, o1) = H.multipliedReportingOverflow(by: W)
        let (cells, o2) = T.multipliedReportingOverflow(by: hw)
        guard !o1, !o2, cells <= 200_000_000 else {
            throw DataError.badGrid(SourceLocation(file: table.source), "grid too large: \(T) frames of \(H)x\(W)")
        }
        var rowOf = [Int32](repeating: -1, count: cells)
        var data = [Float](repeating: 0, count: cells * C)
        let columns = valueIndices.map { table.columns[$0].numbers ?? [] }
        for r in 0..<n {
            let f = frameOf[instants[r]] ?? 0
            let cell = (f * H + (ys[r] - y0)) * W + (xs[r] - x0)
            if rowOf[cell] >= 0 {
                throw DataError.badGrid(table.location(row: r),
                                        "duplicate grid cell: time \(format.format(instants[r])), y \(ys[r]), x \(xs[r]) already appears on line \(table.lines.line(of: Int(rowOf[cell])))")
            }
            rowOf[cell] = Int32(truncatingIfNeeded: r)
            for c in 0..<C {
                let v = columns[c][r]
                if v.isNaN {
                    throw DataError.missingValue(table.location(row: r, column: valueIndices[c]), "missing value in grid column '\(table.columns[valueIndices[c]].name)'")
                }
                data[((f * C + c) * H + (ys[r] - y0)) * W + (xs[r] - x0)] = v
            }
        }
        if let hole = rowOf.firstIndex(of: -1) {
            let f = hole / (H * W), yy = hole / W % H + y0, xx = hole % W + x0
            throw DataError.badGrid(SourceLocation(file: table.source),
                                    "hole in the grid: no row for time \(format.format(distinct[f])), y \(yy), x \(xx) (expected \(T) frames x \(H) x \(W) = \(cells) rows, found \(n))")
        }
        frames = Tensor(shape: Shape([T, C, H, W]), repeating: 0)
        frames.scalars = data
        times = distinct
        timeFormat = format
        channels = valueIndices.map { table.columns[$0].name }
        height = H; width = W; yOrigin = y0; xOrigin = x0
        frequency = TimeSeriesSet.inferFrequency([distinct], offsetMinutes: format.offsetMinutes)
    }

    static func coordinates(_ table: Table, _ i: Int) throws -> [Int] {
        guard let v = table.columns[i].numbers else {
            throw DataError.invalidArgument("\(table.source): grid coordinate column '\(table.columns[i].name)' is not numeric")
        }
        var out = [Int](repeating: 0, count: v.count)
        for (r, f) in v.enumerated() {
            guard f.isFinite, f == f.rounded(), abs(f) <= 1_000_000 else {
                throw DataError.badGrid(table.location(row: r, column: i), "expected a whole-number grid coordinate in column '\(table.columns[i].name)', found \(f.isNaN ? "a missing value" : String(f))")
            }
            out[r] = Int(f)
        }
        return out
    }
}

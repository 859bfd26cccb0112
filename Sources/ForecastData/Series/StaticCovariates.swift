/// One static covariate: a value per series that does not change in time (a store's region, a
/// product's category, a shop's floor area).
public struct StaticColumn: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case numeric, categorical }
    public var name: String
    public var kind: Kind
    /// Categorical: the vocabulary in order of first appearance in the training file; a value
    /// is stored as its index, and any value not listed as `levels.count` (the unknown row).
    public var levels: [String]?

    public init(name: String, kind: Kind, levels: [String]? = nil) {
        self.name = name; self.kind = kind; self.levels = levels
    }
}

/// The static covariates a model reads (stored in its model file).
public struct StaticSpec: Codable, Sendable, Equatable {
    public var columns: [StaticColumn]
    /// Whether some of them came from a second CSV keyed by the series key (`--static-file`),
    /// which predict, evaluate and backtest then need again.
    public var fromFile: Bool

    public init(columns: [StaticColumn], fromFile: Bool) { self.columns = columns; self.fromFile = fromFile }

    public var names: [String] { columns.map(\.name) }
    public var categorical: [StaticColumn] { columns.filter { $0.kind == .categorical } }
}

/// Static covariates per series, read from columns of the data file that are constant within
/// each series (`--static`) or from a second CSV with one row per series key (`--static-file`),
/// and attached to a ``TimeSeriesSet`` as value columns constant within each series:
///
/// * **numeric** (a number column): its value, scaled like any input column;
/// * **categorical** (a text column, or a number column named with `:cat`, e.g. `--static
///   store_nbr:cat`): the index of its value in the vocabulary, read by the network through a
///   learned embedding (``CategoricalEmbedding``). A value the model never saw maps to the
///   reserved unknown index `levels.count`.
///
/// A static value that changes within a series, is missing, or a series without a row in the
/// static file is an error naming the file, line and column.
public enum StaticCovariates {
    /// A request: column names, with `:cat` marking a number column as categorical.
    public static func parse(_ list: [String]) -> (names: [String], categorical: Set<String>) {
        var names: [String] = [], cat = Set<String>()
        for item in list {
            if item.hasSuffix(":cat") { let n = String(item.dropLast(4)); names.append(n); cat.insert(n) }
            else { names.append(item) }
        }
        return (names, cat)
    }

    enum Cell: Equatable { case number(Float), text(String) }

    /// The value of every static column per series key of `table` (keyed by `keyColumn`),
    /// checking that each is constant within a key and never missing.
    static func cells(_ table: Table, keyColumn: String, columns: [Int]) throws -> [String: [Cell]] {
        let k = try table.requireColumn(.name(keyColumn), for: "the series key of the static covariates")
        var out: [String: [Cell]] = [:]
        var firstRow: [String: Int] = [:]
        for r in 0..<table.rowCount {
            guard let keyRaw = table.columns[k].text(at: r) else {
                throw DataError.missingValue(table.location(row: r, column: k), "missing series key in column '\(keyColumn)'")
            }
            let key = TimeSeriesSet.keyText(keyRaw)
            var row: [Cell] = []
            row.reserveCapacity(columns.count)
            for c in columns {
                let col = table.columns[c]
                guard let text = col.text(at: r) else {
                    throw DataError.missingValue(table.location(row: r, column: c), "missing value in static column '\(col.name)' (series '\(key)'); a static covariate needs a value in every row")
                }
                if case .numbers(let v) = col.values { row.append(.number(v[r])) } else { row.append(.text(text)) }
            }
            if let seen = out[key] {
                if let i = columns.indices.first(where: { seen[$0] != row[$0] }) {
                    let c = columns[i], first = firstRow[key]!
                    throw DataError.badValue(table.location(row: r, column: c),
                                             "static column '\(table.columns[c].name)' changes within series '\(key)': \(describe(row[i])) here, \(describe(seen[i])) on line \(table.lines.line(of: first)); a static covariate must be constant within each series")
                }
            } else {
                out[key] = row
                firstRow[key] = r
            }
        }
        return out
    }

    static func describe(_ c: Cell) -> String {
        switch c { case .number(let v): return "\(v)"; case .text(let s): return "\"\(s)\"" }
    }

    /// Where each static column is read: the static file when it has the column, else the data table.
    static func locate(_ names: [String], table: Table, file: Table?, key: String) throws -> [(name: String, inFile: Bool, column: Int)] {
        try names.map { name in
            if let f = file, let c = f.columnIndex(.name(name)), f.columns[c].name != key { return (name, true, c) }
            guard let c = table.columnIndex(.name(name)) else {
                let whereTo = file.map { "\($0.source) or \(table.source)" } ?? table.source
                throw DataError.invalidArgument("\(whereTo): no column '\(name)' for the static covariates")
            }
            if table.columns[c].type == .time { throw DataError.invalidArgument("\(table.source): static column '\(name)' holds times") }
            return (name, false, c)
        }
    }

    /// Training: attaches the static columns `names` (categorical: text columns and those in
    /// `categorical`) to `set`, read from `table` (the data file `set` was built from) or from
    /// `file` (a static file: all of its columns but the key are statics too). Returns
    /// the set and the spec with the vocabularies, in order of first appearance.
    public static func attach(_ set: TimeSeriesSet, table: Table, file: Table?, names requested: [String], categorical: Set<String>) throws -> (TimeSeriesSet, StaticSpec) {
        guard let key = set.seriesKeyColumn else {
            throw DataError.invalidArgument("\(set.source): static covariates need several series: give --series-key (or use the long format unique_id, ds, y)")
        }
        var names = requested
        if let f = file { names += f.columns.map(\.name).filter { $0 != key && !requested.contains($0) } }
        if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw DataError.invalidArgument("static column '\(dup)' is named twice")
        }
        let located = try locate(names, table: table, file: file, key: key)
        var columns: [StaticColumn] = []
        for (name, inFile, c) in located {
            let t = inFile ? file! : table
            let text = t.columns[c].type == .text
            columns.append(StaticColumn(name: name, kind: text || categorical.contains(name) ? .categorical : .numeric))
        }
        let values = try read(located, set: set, table: table, file: file, key: key)
        for (i, col) in columns.enumerated() where col.kind == .categorical {
            var levels: [String] = [], seen = Set<String>()
            for row in values { let s = label(row[i]); if seen.insert(s).inserted { levels.append(s) } }
            columns[i].levels = levels
        }
        let spec = StaticSpec(columns: columns, fromFile: located.contains { $0.inFile })
        return (attach(set, values: values, spec: spec).set, spec)
    }

    /// Predicting: attaches the statics of `spec` with its vocabularies; returns the set and
    /// how many series had a category value the model never saw (read as the unknown index).
    public static func attach(_ set: TimeSeriesSet, table: Table, file: Table?, spec: StaticSpec) throws -> (set: TimeSeriesSet, unseen: Int) {
        guard let key = set.seriesKeyColumn else {
            throw DataError.invalidArgument("\(set.source): the model reads static covariates per series; give the series key (--series-key) as at training")
        }
        if spec.fromFile && file == nil {
            throw DataError.invalidArgument("\(set.source): the model reads static covariates from a static file (\(spec.names.joined(separator: ", "))); give it with --static-file")
        }
        let located = try locate(spec.names, table: table, file: file, key: key)
        let values = try read(located, set: set, table: table, file: file, key: key)
        return attach(set, values: values, spec: spec)
    }

    static func label(_ c: Cell) -> String {
        switch c {
        case .text(let s): return s
        case .number(let v): return TimeSeriesSet.keyText(String(v))
        }
    }

    /// The static cells of every series of `set`, `[series][column]`.
    static func read(_ located: [(name: String, inFile: Bool, column: Int)], set: TimeSeriesSet, table: Table, file: Table?, key: String) throws -> [[Cell]] {
        let fromData = located.filter { !$0.inFile }, fromFile = located.filter { $0.inFile }
        let dataCells = fromData.isEmpty ? [:] : try cells(table, keyColumn: key, columns: fromData.map(\.column))
        let fileCells = fromFile.isEmpty ? [:] : try cells(file!, keyColumn: key, columns: fromFile.map(\.column))
        return try set.series.enumerated().map { s, series in
            let k = series.key ?? "\(s)"
            var d = dataCells[k]?.makeIterator(), f = fileCells[k]?.makeIterator()
            if !fromFile.isEmpty && f == nil {
                throw DataError.invalidArgument("\(file!.source): no row for series '\(k)' (column '\(key)'); the static file needs one row per series")
            }
            return located.map { $0.inFile ? f!.next()! : d!.next()! }
        }
    }

    /// `set` with one value column per static (replacing a data column of that name), constant
    /// within each series: the number, or the category's index.
    static func attach(_ set: TimeSeriesSet, values: [[Cell]], spec: StaticSpec) -> (set: TimeSeriesSet, unseen: Int) {
        var out = set
        var unseenSeries = Set<Int>()
        for (i, col) in spec.columns.enumerated() {
            let index = col.levels.map { levels in Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
            var c = out.columnIndex(col.name)
            if c == nil {
                out.columnNames.append(col.name)
                out.columnFileIndices.append(-1)
                out.ignoredColumns.removeAll { $0 == col.name }
                c = out.columnNames.count - 1
                for s in out.series.indices { out.series[s].values.append([]) }
            }
            for s in out.series.indices {
                let v: Float
                switch (col.kind, values[s][i]) {
                case (.numeric, .number(let x)): v = x
                case (.numeric, .text): v = .nan        // not reached: kinds follow the column type
                case (.categorical, let cell):
                    let levels = col.levels ?? []
                    if let j = index?[label(cell)] { v = Float(j) } else { v = Float(levels.count); unseenSeries.insert(s) }
                }
                out.series[s].values[c!] = [Float](repeating: v, count: out.series[s].count)
            }
        }
        return (out, unseenSeries.count)
    }
}

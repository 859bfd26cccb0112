import ArgumentParser
import Forecast

/// Options shared by every command that reads a CSV file.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CSV file to read.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The time column (default: detected; row order when there is none).", valueName: "column"))
    var time: String?

    @Option(name: .customLong("time-format"),
            help: ArgumentHelp("How the time column writes times, instead of detecting it: \(TimeFormatSpec.acceptedForms). Applies to --time, else to the first column that reads that way.",
                               valueName: "format"),
            transform: TimeFormatSpec.parseArgument)
    var timeFormat: TimeFormatSpec?

    @Option(name: .customLong("series-key"), help: ArgumentHelp("A column naming separate series in one file (e.g. origin).", valueName: "column"))
    var seriesKey: String?

    @Flag(name: .customLong("no-header"), help: "The file has no header row (columns are named 1, 2, ...).")
    var noHeader = false

    @Option(help: ArgumentHelp("Field delimiter (default: detected among , ; tab |).", valueName: "char"))
    var delimiter: String?

    @Flag(help: "Sort rows by time (default: unsorted rows are an error).")
    var sort = false

    @Option(help: ArgumentHelp("Gaps in time: split (windows never cross one; default), reindex (insert the missing steps as missing values, filled by --missing) or ignore.", valueName: "policy"))
    var gaps: GapPolicy = .split

    @Option(help: ArgumentHelp("Step of a file without a time column, e.g. 30min, 1h, 1d, 1mo (with --start, rows get timestamps).", valueName: "step"))
    var step: String?

    @Option(help: ArgumentHelp("First timestamp of a file without a time column, ISO-8601.", valueName: "time"))
    var start: String?

    @Option(name: .customLong("static-file"), help: ArgumentHelp("A CSV of static covariates, one row per series, keyed by the series key column: every other column is a static covariate (docs/data.md).", valueName: "file"))
    var staticFile: String?

    func validate() throws {
        if let d = delimiter, d.utf8.count != 1, d != "\\t", d != "tab" {
            throw ValidationError("--delimiter takes one character (or 'tab'), got '\(d)'")
        }
        if let s = step, Frequency(parsing: s) == nil {
            throw ValidationError("--step '\(s)' is not a frequency such as 30min, 1h, 1d, 1w, 1mo, 1y")
        }
        if start != nil && step == nil { throw ValidationError("--start needs --step") }
        if timeFormat != nil && step != nil { throw ValidationError("--time-format describes a time column; a file read in row order (--step) has none") }
        if (step != nil || start != nil) && time != nil { throw ValidationError("--step/--start are for files without a time column; do not combine them with --time") }
    }

    var csvOptions: CSVOptions {
        var o = CSVOptions()
        o.hasHeader = !noHeader
        if let d = delimiter { o.delimiter = (d == "\\t" || d == "tab") ? 0x09 : d.utf8.first }
        // A named time column is read as times (at full precision: a numeric one as Double, not
        // Float32, so that daily decimal years and epoch values keep every step).
        if let t = time { o.types[t] = .time }
        o.timeFormat = timeFormat
        o.timeFormatColumn = timeFormat == nil ? nil : time
        return o
    }

    /// `--series-key`, else `unique_id` when the file's header is the long format.
    var seriesKeyOrLongFormat: String? {
        seriesKey ?? (LongFormat.recognises(path: data) ? LongFormat.key : nil)
    }

    /// Reads the file into series.
    func load() throws -> TimeSeriesSet { try series(try CSVReader.read(path: data, options: csvOptions)) }

    /// The static file (`--static-file`), when given.
    func staticTable() throws -> Table? {
        guard let f = staticFile else { return nil }
        var o = CSVOptions()
        if let d = delimiter { o.delimiter = (d == "\\t" || d == "tab") ? 0x09 : d.utf8.first }
        return try CSVReader.read(path: f, options: o)
    }

    /// Training: reads the file into series with the static covariates `list` (`--static`,
    /// `name:cat` for a categorical number column) and `--static-file` attached; nil spec without.
    func loadTrainingSet(statics list: [String]) throws -> (TimeSeriesSet, StaticSpec?) {
        let table = try CSVReader.read(path: data, options: csvOptions)
        let set = try series(table)
        guard !list.isEmpty || staticFile != nil else { return (set, nil) }
        let (names, categorical) = StaticCovariates.parse(list)
        let (withStatics, spec) = try StaticCovariates.attach(set, table: table, file: try staticTable(), names: names, categorical: categorical)
        return (withStatics, spec)
    }

    /// Predicting, evaluating: reads the file into series with the model's static covariates
    /// attached (a category the model never saw is read as its unknown row, with a note).
    func load(statics spec: StaticSpec?) throws -> TimeSeriesSet {
        guard let spec else {
            if staticFile != nil { throw CLIError.data("\(staticFile!): the model reads no static covariates; drop --static-file") }
            return try load()
        }
        let table = try CSVReader.read(path: data, options: csvOptions)
        let r = try StaticCovariates.attach(try series(table), table: table, file: try staticTable(), spec: spec)
        if r.unseen > 0 { Output.note("note: \(r.unseen) series have a static category the model never saw; they read its unknown embedding row") }
        return r.set
    }

    /// Series from a table read with these options.
    func series(_ table: Table) throws -> TimeSeriesSet {
        let source: TimeSource
        if let t = time { source = .column(.name(t)) }
        else if step == nil, LongFormat.recognises(table.columnNames) { source = .column(.name(LongFormat.time)) }
        else if let s = step { source = .rowOrder(start: start, step: Frequency(parsing: s)) }
        else { source = .auto }
        var options = TimeSeriesOptions()
        options.sort = sort
        options.gaps = gaps
        // The long format (unique_id, ds, y) needs no options: unique_id keys the series.
        let key = seriesKey ?? (LongFormat.recognises(table.columnNames) ? LongFormat.key : nil)
        return try TimeSeriesSet(table: table, time: source, seriesKey: key.map { .name($0) }, options: options)
    }
}

/// `--time-format`: a pattern such as `%d.%m.%Y`, or `iso`, `decimal-year`, `excel`, `epoch-s|ms|us|ns`.
extension TimeFormatSpec: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }

    /// Parses `--time-format`; a bad value is a usage error naming the accepted forms.
    static func parseArgument(_ text: String) throws -> TimeFormatSpec {
        guard let spec = TimeFormatSpec(argument: text) else { throw ValidationError("expected \(TimeFormatSpec.acceptedForms)") }
        return spec
    }
}

/// Calendar covariates computed from timestamps, each added as two inputs (sin and cos of
/// the position in its cycle, in the input's UTC offset).
public enum CalendarFeature: String, Sendable, Codable, CaseIterable {
    case hourOfDay, dayOfWeek, dayOfYear

    /// Parses the names the CLI (`--calendar`) and job files (`data.calendar`) share: `hour`,
    /// `dow`, `doy`, or the long forms in any spelling (`hour_of_day`, `hour-of-day`,
    /// `hourOfDay`, `day_of_week`, `weekday`, `day_of_year`, ...), case-insensitive.
    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "-", with: "")
        switch key {
        case "hour", "hourofday": self = .hourOfDay
        case "dow", "dayofweek", "weekday": self = .dayOfWeek
        case "doy", "dayofyear": self = .dayOfYear
        default: return nil
        }
    }

    /// The accepted names, for messages.
    public static let acceptedNames = "hour (hour_of_day), dow (day_of_week) or doy (day_of_year)"

    /// The (sin, cos) pair for an instant.
    public func encode(_ instant: Int64, offsetMinutes: Int = 0) -> (Float, Float) {
        let c = CivilTime(instant: instant, offsetMinutes: offsetMinutes)
        let dayFraction = Double((c.hour * 60 + c.minute) * 60 + c.second) / 86_400
        let phase: Double
        switch self {
        case .hourOfDay: phase = dayFraction
        case .dayOfWeek: phase = (Double(c.weekday) + dayFraction) / 7
        case .dayOfYear: phase = (Double(c.dayOfYear) + dayFraction) / (CivilTime.isLeapYear(c.year) ? 366 : 365)
        }
        let a = 2 * Double.pi * phase
        return (Float(sinApprox(a)), Float(cosApprox(a)))
    }
}

/// Whether targets are the next `horizon` steps after the window (many-to-one) or one value
/// per input step, `horizon` steps ahead of it (many-to-many).
public enum TargetMode: String, Sendable, Codable, CaseIterable {
    /// y = the `horizon` values after the last input step, for each target: [horizon, P].
    case manyToOne
    /// y[t] = the target `horizon` steps after input step t: [lookback, P].
    case manyToMany
}

/// How to cut windows: `lookback` input steps, `horizon` steps ahead, every `stride` rows.
///
/// Inputs per step are, in order: the target columns, the `features` not already listed, the
/// `knownFuture` columns not already listed, then sin/cos pairs for each `calendar` feature.
/// `PreparedData.inputNames` lists them.
public struct WindowSpec: Sendable, Equatable, Codable {
    public var lookback: Int
    public var horizon: Int
    public var stride: Int
    public var targets: [String]
    public var features: [String]
    /// Columns whose future values are known at forecast time (flagged for decoders).
    public var knownFuture: [String]
    public var calendar: [CalendarFeature]
    public var mode: TargetMode

    public init(lookback: Int, horizon: Int = 1, stride: Int = 1, targets: [String], features: [String] = [],
                knownFuture: [String] = [], calendar: [CalendarFeature] = [], mode: TargetMode = .manyToOne) {
        self.lookback = lookback; self.horizon = horizon; self.stride = stride; self.targets = targets
        self.features = features; self.knownFuture = knownFuture; self.calendar = calendar; self.mode = mode
    }

    /// Data columns feeding the inputs, in input order (targets first).
    public var inputColumns: [String] {
        var out: [String] = []
        for c in targets + features + knownFuture where !out.contains(c) { out.append(c) }
        return out
    }

    /// Names of all inputs: data columns then `<feature>_sin`, `<feature>_cos`.
    public var inputNames: [String] {
        inputColumns + calendar.flatMap { ["\($0.rawValue)_sin", "\($0.rawValue)_cos"] }
    }

    /// Values per target row: horizon*P (many-to-one) or lookback*P (many-to-many).
    public var targetLength: Int { (mode == .manyToOne ? horizon : lookback) * targets.count }

    /// Rows one window spans: lookback + horizon.
    public var span: Int { lookback + horizon }

    /// Checks the numbers and names against the columns available.
    /// Checks the spec against the data; `source` (the file) prefixes errors about its columns.
    public func validate(columns: [String], hasTimes: Bool, source: String? = nil) throws {
        let file = source.map { "\($0): " } ?? ""
        guard lookback >= 1 else { throw DataError.invalidArgument("lookback must be at least 1 (got \(lookback))") }
        guard horizon >= 1 else { throw DataError.invalidArgument("horizon must be at least 1 (got \(horizon))") }
        guard stride >= 1 else { throw DataError.invalidArgument("stride must be at least 1 (got \(stride))") }
        guard !targets.isEmpty else { throw DataError.invalidArgument("at least one target column is needed") }
        for name in inputColumns where !columns.contains(name) {
            throw DataError.invalidArgument("\(file)no numeric column '\(name)'; the numeric columns are \(columns.map { "'\($0)'" }.joined(separator: ", "))")
        }
        if !calendar.isEmpty && !hasTimes {
            throw DataError.invalidArgument("\(file)calendar features need timestamps, but the data has no time axis (give a time column, or a start and step)")
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func sinApprox(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) func cosApprox(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func sinApprox(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) func cosApprox(_ x: Double) -> Double { Darwin.cos(x) }
#endif

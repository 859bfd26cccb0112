/// How a time column is written in the input, so that timestamps can be parsed consistently
/// and future timestamps formatted back in the same style.
public struct TimeFormat: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// `2012-01-01`
        case date
        /// `2012-01` (a month)
        case yearMonth
        /// `2013-01-01T06:00:00Z`, `2013-01-01 06:00`, `2013-01-01T06:00:00.250+01:00`
        case dateTime
        /// R-style decimal years: with a `decimalGrid` (any regular R frequency) row `i` is step
        /// `i` of the grid; without one (irregular values) the instant is the fraction of the year.
        case decimalYear
        /// Seconds since 1970-01-01T00:00:00Z.
        case epochSeconds
        /// Milliseconds since 1970-01-01T00:00:00Z.
        case epochMilliseconds
        /// Microseconds since 1970-01-01T00:00:00Z (kept to the millisecond).
        case epochMicroseconds
        /// Nanoseconds since 1970-01-01T00:00:00Z (kept to the millisecond).
        case epochNanoseconds
        /// Excel serial day numbers (1900 date system): days since 1899-12-30, the fraction is the
        /// time of day. Only on request (`--time-format excel`), never guessed.
        case excelSerial
        /// A strftime-style `pattern` (`%d.%m.%Y`, `%Y Q%q`, `%G-W%V`, `%b %Y`, …).
        case pattern
    }

    /// The time zone designator written after a date-time.
    public enum Zone: Sendable, Equatable, Codable {
        /// No designator: read as UTC, written back without one.
        case none
        /// `Z`
        case utc
        /// `+01:00` / `-0500`; the value is the first row's offset in minutes.
        case offset(Int)
    }

    public var kind: Kind
    /// Date-time only: the character between date and time (`T` or space).
    public var separator: Character = "T"
    /// Date-time only: whether seconds are written.
    public var hasSeconds: Bool = true
    /// Date-time only: digits of fractional seconds written (0...3).
    public var fractionDigits: Int = 0
    public var zone: Zone = .none
    /// Pattern only: how cells are written.
    public var pattern: TimePattern? = nil
    /// Decimal years only: the regular R grid the values lie on (nil: irregular values).
    public var decimalGrid: DecimalYearGrid? = nil

    public init(kind: Kind, separator: Character = "T", hasSeconds: Bool = true, fractionDigits: Int = 0, zone: Zone = .none) {
        self.kind = kind; self.separator = separator; self.hasSeconds = hasSeconds
        self.fractionDigits = fractionDigits; self.zone = zone
    }

    /// A pattern format.
    public init(pattern: TimePattern) {
        self.init(kind: .pattern)
        self.pattern = pattern
    }

    /// A decimal-year format on `grid` (nil: irregular, proportional in the year).
    public init(decimalYears grid: DecimalYearGrid?) {
        self.init(kind: .decimalYear)
        self.decimalGrid = grid
    }

    /// Whether the column is numeric in the file (decimal years, epoch values, Excel serials).
    public var isNumeric: Bool {
        switch kind {
        case .decimalYear, .epochSeconds, .epochMilliseconds, .epochMicroseconds, .epochNanoseconds, .excelSerial: return true
        case .date, .yearMonth, .dateTime, .pattern: return false
        }
    }

    /// The UTC offset, in minutes, used for calendar arithmetic and formatting.
    public var offsetMinutes: Int {
        if case .offset(let m) = zone { return m }
        return 0
    }

    public var description: String {
        switch kind {
        case .date: return "ISO-8601 date (YYYY-MM-DD)"
        case .yearMonth: return "ISO-8601 month (YYYY-MM)"
        case .dateTime:
            var s = "ISO-8601 date-time (YYYY-MM-DD\(separator == "T" ? "T" : " ")hh:mm\(hasSeconds ? ":ss" : "")"
            switch zone {
            case .none: break
            case .utc: s += "Z"
            case .offset: s += "±hh:mm"
            }
            return s + ")"
        case .decimalYear:
            guard let g = decimalGrid else { return "decimal year (fraction of the calendar year)" }
            return "decimal year, R frequency \(DecimalYearGrid.significant15(g.stepsPerYear)) (start + i/\(DecimalYearGrid.significant15(g.stepsPerYear)))"
        case .epochSeconds: return "epoch seconds"
        case .epochMilliseconds: return "epoch milliseconds"
        case .epochMicroseconds: return "epoch microseconds"
        case .epochNanoseconds: return "epoch nanoseconds"
        case .excelSerial: return "Excel serial day number"
        case .pattern: return "pattern \(pattern?.text ?? "?")"
        }
    }

    // Codable: Character is not Codable, so encode the separator as a string.
    enum CodingKeys: String, CodingKey { case kind, separator, hasSeconds, fractionDigits, zone, pattern, decimalGrid }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        separator = (try c.decodeIfPresent(String.self, forKey: .separator))?.first ?? "T"
        hasSeconds = try c.decodeIfPresent(Bool.self, forKey: .hasSeconds) ?? true
        fractionDigits = try c.decodeIfPresent(Int.self, forKey: .fractionDigits) ?? 0
        zone = try c.decodeIfPresent(Zone.self, forKey: .zone) ?? .none
        pattern = try c.decodeIfPresent(TimePattern.self, forKey: .pattern)
        decimalGrid = try c.decodeIfPresent(DecimalYearGrid.self, forKey: .decimalGrid)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(String(separator), forKey: .separator)
        try c.encode(hasSeconds, forKey: .hasSeconds)
        try c.encode(fractionDigits, forKey: .fractionDigits)
        try c.encode(zone, forKey: .zone)
        try c.encodeIfPresent(pattern, forKey: .pattern)
        try c.encodeIfPresent(decimalGrid, forKey: .decimalGrid)
    }

    /// Formats an instant (ms since the epoch) in this style.
    public func format(_ instant: Int64) -> String {
        switch kind {
        case .epochSeconds: return String(instant / 1000)
        case .epochMilliseconds: return String(instant)
        case .epochMicroseconds: return String(instant) + "000"
        case .epochNanoseconds: return String(instant) + "000000"
        case .excelSerial: return ExcelSerial.format(instant)
        case .pattern: return (pattern ?? TimePattern("%Y-%m-%d")).map { $0.format(instant) } ?? String(instant)
        case .decimalYear:
            if let text = decimalGrid?.format(instant) { return text }
            let c = CivilTime(instant: instant)
            if c.day == 1 && c.hour == 0 && c.minute == 0 && c.second == 0 && c.millisecond == 0 {
                let v = Double(c.year) + Double(c.month - 1) / 12
                return c.month == 1 ? "\(c.year).0" : String(format4(v))
            }
            // Irregular values: the fraction of the calendar year.
            let start = CivilTime(year: c.year, month: 1, day: 1).instant(), end = CivilTime(year: c.year + 1, month: 1, day: 1).instant()
            return DecimalYearGrid.significant15(Double(c.year) + Double(instant - start) / Double(end - start))
        case .date, .yearMonth, .dateTime:
            let c = CivilTime(instant: instant, offsetMinutes: offsetMinutes)
            let y = String(c.year).leftPadded(to: 4)
            let m = String(c.month).leftPadded(to: 2)
            if kind == .yearMonth { return "\(y)-\(m)" }
            var s = "\(y)-\(m)-\(String(c.day).leftPadded(to: 2))"
            if kind == .date { return s }
            s.append(separator)
            s += String(c.hour).leftPadded(to: 2) + ":" + String(c.minute).leftPadded(to: 2)
            if hasSeconds { s += ":" + String(c.second).leftPadded(to: 2) }
            if fractionDigits > 0 {
                let ms = String(c.millisecond).leftPadded(to: 3)
                s += "." + ms.prefix(fractionDigits)
            }
            switch zone {
            case .none: break
            case .utc: s += "Z"
            case .offset(let mins):
                let a = abs(mins)
                s += (mins < 0 ? "-" : "+") + String(a / 60).leftPadded(to: 2) + ":" + String(a % 60).leftPadded(to: 2)
            }
            return s
        }
    }

    /// Decimal-year text with up to 11 decimals, as R writes it (1949.08333333333).
    private func format4(_ v: Double) -> String {
        var s = String(v)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 12 {
            let scaled = (v * 1e11).rounded() / 1e11
            s = String(scaled)
        }
        return s
    }
}

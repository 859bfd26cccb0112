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
        /// R-style decimal years: `1949.0833` is February 1949 (mapped to month starts).
        case decimalYear
        /// Seconds since 1970-01-01T00:00:00Z.
        case epochSeconds
        /// Milliseconds since 1970-01-01T00:00:00Z.
        case epochMilliseconds
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

    public init(kind: Kind, separator: Character = "T", hasSeconds: Bool = true, fractionDigits: Int = 0, zone: Zone = .none) {
        self.kind = kind; self.separator = separator; self.hasSeconds = hasSeconds
        self.fractionDigits = fractionDigits; self.zone = zone
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
        case .decimalYear: return "decimal year (1949.0833)"
        case .epochSeconds: return "epoch seconds"
        case .epochMilliseconds: return "epoch milliseconds"
        }
    }

    // Codable: Character is not Codable, so encode the separator as a string.
    enum CodingKeys: String, CodingKey { case kind, separator, hasSeconds, fractionDigits, zone }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        separator = (try c.decodeIfPresent(String.self, forKey: .separator))?.first ?? "T"
        hasSeconds = try c.decodeIfPresent(Bool.self, forKey: .hasSeconds) ?? true
        fractionDigits = try c.decodeIfPresent(Int.self, forKey: .fractionDigits) ?? 0
        zone = try c.decodeIfPresent(Zone.self, forKey: .zone) ?? .none
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(String(separator), forKey: .separator)
        try c.encode(hasSeconds, forKey: .hasSeconds)
        try c.encode(fractionDigits, forKey: .fractionDigits)
        try c.encode(zone, forKey: .zone)
    }

    /// Formats an instant (ms since the epoch) in this style.
    public func format(_ instant: Int64) -> String {
        switch kind {
        case .epochSeconds: return String(instant / 1000)
        case .epochMilliseconds: return String(instant)
        case .decimalYear:
            let c = CivilTime(instant: instant)
            let v = Double(c.year) + Double(c.month - 1) / 12
            return c.month == 1 ? "\(c.year).0" : String(format4(v))
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

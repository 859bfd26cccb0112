/// The regular step between consecutive timestamps: a count of a calendar unit, e.g.
/// 30 minutes (half-hourly), 1 hour, 1 day, 1 week, 1 month, 3 months (quarterly), 1 year.
/// Month-based steps advance by calendar months (Jan 31 + 1 month = Feb 28/29).
public struct Frequency: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Unit: String, Sendable, Codable, CaseIterable {
        case millisecond, second, minute, hour, day, week, month, year
    }

    public var unit: Unit
    public var count: Int

    public init(_ unit: Unit, _ count: Int = 1) {
        self.unit = unit
        self.count = max(1, count)
    }

    public static let halfHourly = Frequency(.minute, 30)
    public static let hourly = Frequency(.hour)
    public static let daily = Frequency(.day)
    public static let weekly = Frequency(.week)
    public static let monthly = Frequency(.month)
    public static let quarterly = Frequency(.month, 3)
    public static let yearly = Frequency(.year)

    /// True for month and year steps (calendar arithmetic rather than fixed durations).
    public var isCalendar: Bool { unit == .month || unit == .year }

    /// Months per step for calendar steps.
    public var months: Int { unit == .year ? 12 * count : count }

    /// The fixed duration of a step in milliseconds (nominal 30/365 days for calendar steps).
    public var nominalMillis: Int64 {
        let c = Int64(count)
        switch unit {
        case .millisecond: return c
        case .second: return 1000 * c
        case .minute: return 60_000 * c
        case .hour: return 3_600_000 * c
        case .day: return 86_400_000 * c
        case .week: return 7 * 86_400_000 * c
        case .month: return 30 * 86_400_000 * c
        case .year: return 365 * 86_400_000 * c
        }
    }

    /// A conventional season length: steps per day for sub-daily data (48 half-hourly,
    /// 24 hourly), 7 for daily, 52 for weekly, 12 for monthly, 4 for quarterly, 1 for yearly.
    public var seasonLength: Int {
        switch unit {
        case .millisecond, .second, .minute, .hour:
            let day = CivilTime.dayMillis
            let step = nominalMillis
            return day % step == 0 ? Int(day / step) : 1
        case .day: return count == 1 ? 7 : 1
        case .week: return count == 1 ? 52 : 1
        case .month: return 12 % count == 0 ? 12 / count : 1
        case .year: return 1
        }
    }

    /// Why `seasonLength` is what it is, in a few words ("the weekly cycle of daily data").
    public var seasonReason: String {
        switch unit {
        case .millisecond, .second, .minute, .hour:
            return seasonLength > 1 ? "\(description) steps in a day: the daily cycle" : "no whole number of steps in a day"
        case .day: return count == 1 ? "the weekly cycle of daily data" : "no whole number of steps in a week"
        case .week: return count == 1 ? "weeks in a year: the yearly cycle" : "no whole number of steps in a year"
        case .month: return seasonLength > 1 ? "\(description) steps in a year: the yearly cycle" : "no whole number of steps in a year"
        case .year: return "yearly data has no season"
        }
    }

    /// A human name: "half-hourly", "hourly", "daily", "monthly", "quarterly", "every 6 minutes".
    public var description: String {
        switch (unit, count) {
        case (.minute, 30): return "half-hourly"
        case (.minute, 15): return "quarter-hourly"
        case (.minute, 1): return "minutely"
        case (.hour, 1): return "hourly"
        case (.day, 1): return "daily"
        case (.week, 1): return "weekly"
        case (.month, 1): return "monthly"
        case (.month, 3): return "quarterly"
        case (.year, 1): return "yearly"
        case (.second, 1): return "every second"
        default: return "every \(count) \(unit.rawValue)s"
        }
    }

    /// The instant `steps` steps after `instant` (negative steps go back). Calendar steps
    /// work on the civil time at UTC offset `offsetMinutes`, keeping the day of month
    /// (clamped to the month's length) and the time of day.
    ///
    /// Saturating: a result beyond a million years from `instant` (a hostile step or step
    /// count) is `Int64.max` / `Int64.min` instead of an arithmetic trap.
    public func advance(_ instant: Int64, by steps: Int, offsetMinutes: Int = 0) -> Int64 {
        let saturated: Int64 = steps >= 0 ? .max : .min
        if isCalendar {
            let (n, overflow) = months.multipliedReportingOverflow(by: steps)
            guard !overflow, abs(n) <= Self.maxMonthsAdvance else { return saturated }
            let c = CivilTime(instant: instant, offsetMinutes: offsetMinutes)
            return c.addingMonths(n).instant(offsetMinutes: offsetMinutes)
        }
        let (d, o1) = nominalMillis.multipliedReportingOverflow(by: Int64(steps))
        let (r, o2) = instant.addingReportingOverflow(d)
        return o1 || o2 ? saturated : r
    }

    /// The furthest calendar advance computed exactly: a million years.
    static let maxMonthsAdvance = 12_000_000

    /// The number of whole steps from `a` to `b`, or nil when `b` is not on `a`'s grid.
    public func steps(from a: Int64, to b: Int64, offsetMinutes: Int = 0) -> Int? {
        if isCalendar {
            let ca = CivilTime(instant: a, offsetMinutes: offsetMinutes)
            let cb = CivilTime(instant: b, offsetMinutes: offsetMinutes)
            let dm = cb.monthIndex - ca.monthIndex
            guard dm % months == 0 else { return nil }
            let k = dm / months
            return advance(a, by: k, offsetMinutes: offsetMinutes) == b ? k : nil
        }
        let (d, overflow) = b.subtractingReportingOverflow(a)
        let s = nominalMillis
        guard !overflow, s > 0, d % s == 0 else { return nil }
        return Int(d / s)
    }

    /// The next `count` instants after `last`.
    public func continuing(after last: Int64, count: Int, offsetMinutes: Int = 0) -> [Int64] {
        guard count > 0 else { return [] }
        return (1...count).map { advance(last, by: $0, offsetMinutes: offsetMinutes) }
    }

    /// Parses "30min", "h", "1h", "d", "w", "m"/"month", "q", "y", "6min", "15s" (CLI-friendly).
    public init?(parsing text: String) {
        let t = text.lowercased().trimmingSpaces()
        let digits = t.prefix { $0.isNumber }
        let n = digits.isEmpty ? 1 : (Int(digits) ?? 0)
        guard n > 0, n <= 1_000_000 else { return nil }
        switch t.dropFirst(digits.count) {
        case "ms": self.init(.millisecond, n)
        case "s", "sec", "second", "seconds": self.init(.second, n)
        case "min", "minute", "minutes", "t": self.init(.minute, n)
        case "h", "hour", "hours", "hourly": self.init(.hour, n)
        case "halfhour", "half-hourly", "halfhourly": self.init(.minute, 30 * n)
        case "d", "day", "days", "daily": self.init(.day, n)
        case "w", "week", "weeks", "weekly": self.init(.week, n)
        case "m", "mo", "month", "months", "monthly": self.init(.month, n)
        case "q", "quarter", "quarters", "quarterly": self.init(.month, 3 * n)
        case "y", "a", "year", "years", "yearly", "annual": self.init(.year, n)
        default: return nil
        }
    }

    /// The frequency whose fixed step is exactly `millis` (the coarsest unit that divides it).
    public static func fixed(millis: Int64) -> Frequency? {
        guard millis > 0 else { return nil }
        let units: [(Unit, Int64)] = [(.week, 604_800_000), (.day, 86_400_000), (.hour, 3_600_000),
                                      (.minute, 60_000), (.second, 1000), (.millisecond, 1)]
        for (u, ms) in units where millis % ms == 0 {
            if u == .week && millis != ms { continue }   // 2 weeks -> 14 days
            if u == .hour && millis % 86_400_000 != 0 && millis / ms >= 24 { continue }
            return Frequency(u, Int(millis / ms))
        }
        return nil
    }
}

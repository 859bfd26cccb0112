/// Calendar arithmetic on the proleptic Gregorian calendar (no Foundation, no time zones
/// beyond fixed UTC offsets). Instants are Int64 milliseconds since 1970-01-01T00:00:00Z.
public struct CivilTime: Sendable, Equatable, Codable {
    public var year: Int
    public var month: Int      // 1...12
    public var day: Int        // 1...31
    public var hour: Int = 0
    public var minute: Int = 0
    public var second: Int = 0
    public var millisecond: Int = 0

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second; self.millisecond = millisecond
    }

    /// Milliseconds in a day.
    public static let dayMillis: Int64 = 86_400_000

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    public static func isLeapYear(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeapYear(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The instant of this civil time read at UTC offset `offsetMinutes`.
    public func instant(offsetMinutes: Int = 0) -> Int64 {
        let days = CivilTime.daysFromCivil(year, month, day)
        let ms = Int64(((hour * 60 + minute) * 60 + second) * 1000 + millisecond)
        return days * CivilTime.dayMillis + ms - Int64(offsetMinutes) * 60_000
    }

    /// The civil time of `instant` seen at UTC offset `offsetMinutes`.
    public init(instant: Int64, offsetMinutes: Int = 0) {
        let local = instant + Int64(offsetMinutes) * 60_000
        var days = local / CivilTime.dayMillis
        var rest = local % CivilTime.dayMillis
        if rest < 0 { rest += CivilTime.dayMillis; days -= 1 }
        let (y, m, d) = CivilTime.civilFromDays(days)
        self.init(year: y, month: m, day: d,
                  hour: Int(rest / 3_600_000), minute: Int(rest / 60_000 % 60),
                  second: Int(rest / 1000 % 60), millisecond: Int(rest % 1000))
    }

    /// Day of the week, 0 = Monday ... 6 = Sunday.
    public var weekday: Int {
        let days = CivilTime.daysFromCivil(year, month, day)
        return Int(((days % 7) + 7 + 3) % 7)   // 1970-01-01 was a Thursday
    }

    /// Day of the year, 0-based.
    public var dayOfYear: Int {
        Int(CivilTime.daysFromCivil(year, month, day) - CivilTime.daysFromCivil(year, 1, 1))
    }

    /// Adds calendar months, clamping the day to the target month's length.
    public func addingMonths(_ n: Int) -> CivilTime {
        let index = year * 12 + (month - 1) + n
        var c = self
        c.year = index >= 0 ? index / 12 : (index - 11) / 12
        c.month = index - c.year * 12 + 1
        c.day = min(day, CivilTime.daysInMonth(c.year, c.month))
        return c
    }

    /// Months since year 0 (for calendar-month differences).
    public var monthIndex: Int { year * 12 + month - 1 }
}

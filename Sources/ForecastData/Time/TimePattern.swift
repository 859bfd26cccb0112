/// A strftime-style pattern for time cells that are not ISO-8601: `%d.%m.%Y`, `%m/%d/%Y %I:%M %p`,
/// `%Y Q%q`, `%G-W%V`, `%b %Y`. Cells are read from raw bytes without allocating; an instant
/// is written back in the same pattern.
///
/// | Directive | Reads | Writes |
/// | --- | --- | --- |
/// | `%Y` | four-digit year | `1990` |
/// | `%y` | two-digit year: 69–99 are 19xx, 00–68 are 20xx (POSIX) | `90` |
/// | `%m`, `%d`, `%H`, `%I`, `%M`, `%S` | one or two digits | two digits (`%-m`, `%-d`, `%-H`, `%-I`: no padding) |
/// | `%b`, `%B` | an English month name, abbreviated or full, any case | `Jan` / `January` |
/// | `%p` | `AM` / `PM` (any case), with `%I` | `AM` / `PM` |
/// | `%f` | fractional seconds, any number of digits (kept to the millisecond) | three digits |
/// | `%q` | a quarter 1–4 (not in strftime): the first day of its first month | `1` |
/// | `%G`, `%V`, `%u` | ISO-8601 week-numbering year, week 01–53, weekday 1–7 (Monday 1; default 1) | `2020`, `05`, `1` |
/// | `%z` | `Z`, `±hh:mm` or `±hhmm`: the cell's UTC offset | `+00:00` |
/// | `%%` | `%` | `%` |
///
/// A space matches one or more spaces; any other character matches itself. Missing parts
/// default to the start: day 1, midnight. Without `%z` times are read as UTC.
public struct TimePattern: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    enum Token: Sendable, Equatable, Hashable {
        case literal(UInt8)
        case space
        case year4, year2
        case month(padded: Bool), monthName(full: Bool), day(padded: Bool)
        case hour24(padded: Bool), hour12(padded: Bool), minute, second, fraction, ampm
        case quarter, isoYear, isoWeek, weekday, zone
    }

    /// The pattern as given, e.g. `%d.%m.%Y`.
    public let text: String
    let tokens: [Token]

    /// Parses a pattern; nil when it holds an unknown directive or nothing that reads a year.
    public init?(_ text: String) {
        var tokens: [Token] = []
        var bytes = Array(text.utf8)[...]
        while let c = bytes.popFirst() {
            guard c == 0x25 else { tokens.append(c == 0x20 ? .space : .literal(c)); continue }
            var unpadded = false
            guard var d = bytes.popFirst() else { return nil }
            if d == 0x2D { unpadded = true; guard let e = bytes.popFirst() else { return nil }; d = e }
            switch UnicodeScalar(d) {
            case "Y": tokens.append(.year4)
            case "y": tokens.append(.year2)
            case "m": tokens.append(.month(padded: !unpadded))
            case "d": tokens.append(.day(padded: !unpadded))
            case "b", "h": tokens.append(.monthName(full: false))
            case "B": tokens.append(.monthName(full: true))
            case "H": tokens.append(.hour24(padded: !unpadded))
            case "I": tokens.append(.hour12(padded: !unpadded))
            case "M": tokens.append(.minute)
            case "S": tokens.append(.second)
            case "f": tokens.append(.fraction)
            case "p": tokens.append(.ampm)
            case "q": tokens.append(.quarter)
            case "G": tokens.append(.isoYear)
            case "V": tokens.append(.isoWeek)
            case "u": tokens.append(.weekday)
            case "z": tokens.append(.zone)
            case "%": tokens.append(.literal(0x25))
            default: return nil
            }
        }
        let hasYear = tokens.contains { $0 == .year4 || $0 == .year2 || $0 == .isoYear }
        let weekBased = tokens.contains(.isoWeek)
        guard hasYear, weekBased == tokens.contains(.isoYear) else { return nil }
        self.text = text
        self.tokens = tokens
    }

    public var description: String { text }

    /// Whether the pattern reads both a numeric day and a numeric month (so the two may be
    /// confused, as in `01/02/1990`).
    var hasNumericDayAndMonth: Bool {
        tokens.contains { if case .day = $0 { return true }; return false } &&
        tokens.contains { if case .month = $0 { return true }; return false }
    }

    /// Whether the pattern begins with the year (`%Y/%m/%d`).
    var startsWithYear: Bool { tokens.first == .year4 || tokens.first == .year2 }

    /// The same pattern with `%d` and `%m` exchanged (`%d/%m/%Y` ↔ `%m/%d/%Y`).
    var dayMonthSwapped: TimePattern? {
        var out = ""
        var bytes = Array(text.utf8)[...]
        while let c = bytes.popFirst() {
            out.unicodeScalars.append(UnicodeScalar(c))
            guard c == 0x25, let d = bytes.first else { continue }
            if d == 0x2D, bytes.count > 1 {
                let e = bytes[bytes.startIndex + 1]
                out += "-" + (e == 0x64 ? "m" : e == 0x6D ? "d" : String(UnicodeScalar(e)))
                bytes = bytes.dropFirst(2)
            } else {
                out += d == 0x64 ? "m" : d == 0x6D ? "d" : String(UnicodeScalar(d))
                bytes = bytes.dropFirst()
            }
        }
        return TimePattern(out)
    }

    /// The fields a cell names, before their ranges are checked.
    public struct Fields: Sendable, Equatable {
        public var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millisecond = 0
        public var offsetMinutes = 0
        var isoWeek: Int? = nil
        var weekday = 1
        var pm: Bool? = nil

        /// The instant, or nil when a field is out of range (month 13, 31 February, hour 25 …).
        public func instant() -> Int64? {
            guard (0...9999).contains(year), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
            if let week = isoWeek {
                guard (1...53).contains(week), (1...7).contains(weekday) else { return nil }
                let days = TimePattern.isoWeekStart(year: year, week: week) + Int64(weekday - 1)
                guard TimePattern.isoWeek(ofDays: days).year == year else { return nil }
                let c = CivilTime.civilFromDays(days)
                return CivilTime(year: c.year, month: c.month, day: c.day, hour: hour, minute: minute, second: second,
                                 millisecond: millisecond).instant(offsetMinutes: offsetMinutes)
            }
            guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year, month) else { return nil }
            return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                             millisecond: millisecond).instant(offsetMinutes: offsetMinutes)
        }

        /// The same fields with day and month exchanged.
        public var swapped: Fields { var f = self; (f.day, f.month) = (month, day); return f }
    }

    /// Reads a cell (surrounding spaces and tabs ignored); nil when it does not match the pattern.
    public func fields(_ p0: UnsafePointer<UInt8>?, _ n0: Int) -> Fields? {
        guard let p0 else { return nil }
        var p = p0, n = n0
        while n > 0 && (p[0] == 0x20 || p[0] == 0x09) { p += 1; n -= 1 }
        while n > 0 && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
        var i = 0
        var f = Fields()
        /// `min`...`max` digits, greedily.
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            var v = 0, k = 0
            while k < maxDigits, i < n, p[i] &- 0x30 <= 9 { v = v * 10 + Int(p[i] &- 0x30); i += 1; k += 1 }
            return k >= minDigits ? v : nil
        }
        for t in tokens {
            switch t {
            case .literal(let c):
                guard i < n, p[i] == c || (c >= 0x41 && c <= 0x5A && p[i] == c + 32) || (c >= 0x61 && c <= 0x7A && p[i] == c - 32) else { return nil }
                i += 1
            case .space:
                guard i < n, p[i] == 0x20 else { return nil }
                while i < n, p[i] == 0x20 { i += 1 }
            case .year4: guard let v = number(4, 4) else { return nil }; f.year = v
            case .year2: guard let v = number(2, 2) else { return nil }; f.year = v < 69 ? 2000 + v : 1900 + v
            case .isoYear: guard let v = number(4, 4) else { return nil }; f.year = v
            case .month: guard let v = number(1, 2) else { return nil }; f.month = v
            case .day: guard let v = number(1, 2) else { return nil }; f.day = v
            case .hour24: guard let v = number(1, 2) else { return nil }; f.hour = v
            case .hour12: guard let v = number(1, 2), (1...12).contains(v) else { return nil }; f.hour = v
            case .minute: guard let v = number(2, 2) else { return nil }; f.minute = v
            case .second: guard let v = number(2, 2) else { return nil }; f.second = v
            case .fraction:
                var k = 0, scale = 100, ms = 0
                while i < n, p[i] &- 0x30 <= 9 {
                    if k < 3 { ms += Int(p[i] &- 0x30) * scale; scale /= 10 }
                    k += 1; i += 1
                }
                guard k > 0 else { return nil }
                f.millisecond = ms
            case .quarter:
                guard let q = number(1, 1), (1...4).contains(q) else { return nil }
                f.month = 3 * (q - 1) + 1
            case .isoWeek: guard let v = number(1, 2) else { return nil }; f.isoWeek = v
            case .weekday: guard let v = number(1, 1) else { return nil }; f.weekday = v
            case .ampm:
                guard i + 1 < n, p[i + 1] | 0x20 == 0x6D else { return nil }
                switch p[i] | 0x20 {
                case 0x61: f.pm = false
                case 0x70: f.pm = true
                default: return nil
                }
                i += 2
            case .monthName:
                guard let (m, used) = TimePattern.monthName(p + i, n - i) else { return nil }
                f.month = m; i += used
            case .zone:
                guard i < n else { return nil }
                if p[i] | 0x20 == 0x7A { i += 1; f.offsetMinutes = 0; continue }
                guard p[i] == 0x2B || p[i] == 0x2D else { return nil }
                let negative = p[i] == 0x2D
                i += 1
                guard let h = number(2, 2), h <= 18 else { return nil }
                if i < n, p[i] == 0x3A { i += 1 }
                guard let m = number(2, 2), m < 60 else { return nil }
                f.offsetMinutes = (h * 60 + m) * (negative ? -1 : 1)
            }
        }
        guard i == n else { return nil }
        if let pm = f.pm { f.hour = f.hour % 12 + (pm ? 12 : 0) }
        return f
    }

    /// Reads a cell to an instant; nil when it does not match or names an impossible time.
    public func instant(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int64? { fields(p, n)?.instant() }

    /// Convenience for tests and options.
    public func instant(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { instant($0.baseAddress, $0.count) }
    }

    /// Writes `instant` in this pattern (at UTC; `%z` writes `+00:00`).
    public func format(_ instant: Int64) -> String {
        let c = CivilTime(instant: instant)
        var s = ""
        func two(_ v: Int, _ padded: Bool = true) { s += padded && v < 10 ? "0\(v)" : String(v) }
        let days = CivilTime.daysFromCivil(c.year, c.month, c.day)
        for t in tokens {
            switch t {
            case .literal(let b): s.unicodeScalars.append(UnicodeScalar(b))
            case .space: s += " "
            case .year4: s += String(c.year).leftPadded(to: 4)
            case .year2: two(((c.year % 100) + 100) % 100)
            case .month(let padded): two(c.month, padded)
            case .day(let padded): two(c.day, padded)
            case .monthName(let full): s += full ? TimePattern.monthNames[c.month - 1] : String(TimePattern.monthNames[c.month - 1].prefix(3))
            case .hour24(let padded): two(c.hour, padded)
            case .hour12(let padded): two(c.hour % 12 == 0 ? 12 : c.hour % 12, padded)
            case .minute: two(c.minute)
            case .second: two(c.second)
            case .fraction: s += String(c.millisecond).leftPadded(to: 3)
            case .ampm: s += c.hour < 12 ? "AM" : "PM"
            case .quarter: s += String((c.month - 1) / 3 + 1)
            case .isoYear: s += String(TimePattern.isoWeek(ofDays: days).year).leftPadded(to: 4)
            case .isoWeek: two(TimePattern.isoWeek(ofDays: days).week)
            case .weekday: s += String(c.weekday + 1)
            case .zone: s += "+00:00"
            }
        }
        return s
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]
    private static let monthBytes: [[UInt8]] = monthNames.map { Array($0.lowercased().utf8) }

    /// A month name at `p` (full or its first three letters, any case): the month and bytes used.
    static func monthName(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int, Int)? {
        guard n >= 3 else { return nil }
        for (m, name) in monthBytes.enumerated() {
            guard p[0] | 0x20 == name[0], p[1] | 0x20 == name[1], p[2] | 0x20 == name[2] else { continue }
            var k = 3
            while k < name.count, k < n, p[k] | 0x20 == name[k] { k += 1 }
            return (m + 1, k == name.count ? k : 3)
        }
        return nil
    }

    /// Days since 1970-01-01 of the Monday of ISO week `week` of ISO year `year` (week 1 holds January 4).
    static func isoWeekStart(year: Int, week: Int) -> Int64 {
        let jan4 = CivilTime.daysFromCivil(year, 1, 4)
        let weekday = ((jan4 % 7) + 7 + 3) % 7   // 0 = Monday
        return jan4 - weekday + Int64(week - 1) * 7
    }

    /// The ISO year and week of a day (the year of the week's Thursday).
    static func isoWeek(ofDays days: Int64) -> (year: Int, week: Int) {
        let weekday = ((days % 7) + 7 + 3) % 7
        let thursday = days - weekday + 3
        let year = CivilTime.civilFromDays(thursday).year
        return (year, Int((thursday - CivilTime.daysFromCivil(year, 1, 1)) / 7) + 1)
    }

    // Codable as its text.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let p = TimePattern(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a time pattern: \(text)"))
        }
        self = p
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

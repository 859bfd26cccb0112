/// Parses ISO-8601 dates and date-times from raw bytes, and converts numeric time values
/// (decimal years, epoch seconds or milliseconds) to instants (Int64 ms since the epoch, UTC).
public enum TimeParser {
    /// A parsed ISO-8601 cell: its instant and the style it was written in.
    public struct Parsed: Sendable, Equatable {
        public var instant: Int64
        public var format: TimeFormat
    }

    /// Parses a String (convenience for tests and options).
    public static func parseISO(_ text: String) -> Parsed? {
        var t = text
        return t.withUTF8 { parseISO($0.baseAddress, $0.count) }
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM`, or `YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|±hh[:mm]]`.
    /// Returns nil for anything else, including impossible dates (2013-02-30) and times.
    public static func parseISO(_ p0: UnsafePointer<UInt8>?, _ n0: Int) -> Parsed? {
        guard let p0 else { return nil }
        var p = p0, n = n0
        while n > 0 && (p[0] == 0x20 || p[0] == 0x09) { p += 1; n -= 1 }
        while n > 0 && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
        var i = 0
        func digits(_ k: Int) -> Int? {
            guard i + k <= n else { return nil }
            var v = 0
            for j in 0..<k {
                let c = p[i + j] &- 0x30
                if c > 9 { return nil }
                v = v * 10 + Int(c)
            }
            i += k
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, p[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), (1...12).contains(month) else { return nil }
        if i == n {
            let instant = CivilTime(year: year, month: month, day: 1).instant()
            return Parsed(instant: instant, format: TimeFormat(kind: .yearMonth))
        }
        guard expect(0x2D), let day = digits(2), day >= 1, day <= CivilTime.daysInMonth(year, month) else { return nil }
        if i == n {
            return Parsed(instant: CivilTime(year: year, month: month, day: day).instant(), format: TimeFormat(kind: .date))
        }
        guard i < n, p[i] == 0x54 || p[i] == 0x20 || p[i] == 0x74 else { return nil }
        var format = TimeFormat(kind: .dateTime, separator: p[i] == 0x20 ? " " : "T", hasSeconds: false)
        i += 1
        guard let hour = digits(2), hour < 24, expect(0x3A), let minute = digits(2), minute < 60 else { return nil }
        var second = 0, millis = 0
        if i < n && p[i] == 0x3A {
            i += 1
            guard let s = digits(2), s < 60 else { return nil }
            second = s
            format.hasSeconds = true
            if i < n && (p[i] == 0x2E || p[i] == 0x2C) {
                i += 1
                var k = 0, scale = 100
                while i < n, p[i] &- 0x30 <= 9 {
                    if k < 3 { millis += Int(p[i] &- 0x30) * scale; scale /= 10 }
                    k += 1; i += 1
                }
                if k == 0 { return nil }
                format.fractionDigits = min(k, 3)
            }
        }
        var offset = 0
        if i < n {
            if p[i] == 0x5A || p[i] == 0x7A {
                i += 1
                format.zone = .utc
            } else if p[i] == 0x2B || p[i] == 0x2D {
                let negative = p[i] == 0x2D
                i += 1
                guard let oh = digits(2), oh <= 18 else { return nil }
                var om = 0
                if i < n {
                    _ = expect(0x3A)
                    guard let m = digits(2), m < 60 else { return nil }
                    om = m
                }
                offset = (oh * 60 + om) * (negative ? -1 : 1)
                format.zone = .offset(offset)
            } else {
                return nil
            }
        }
        if i != n { return nil }
        let c = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millis)
        return Parsed(instant: c.instant(offsetMinutes: offset), format: format)
    }

    /// True when two ISO styles may appear in one column (offsets may differ, e.g. across DST;
    /// fraction digits may differ).
    public static func compatible(_ a: TimeFormat, _ b: TimeFormat) -> Bool {
        guard a.kind == b.kind else { return false }
        guard a.kind == .dateTime else { return true }
        guard a.separator == b.separator, a.hasSeconds == b.hasSeconds else { return false }
        switch (a.zone, b.zone) {
        case (.none, .none), (.utc, .utc), (.offset, .offset), (.utc, .offset), (.offset, .utc): return true
        default: return false
        }
    }

    /// The instant of a numeric time value in the given numeric kind; nil if out of range.
    /// Decimal years without a grid map to the start of the nearest month (1949.0833 -> 1949-02-01)
    /// when the fraction is a whole number of twelfths, otherwise to the proportional instant in
    /// the year (to the second).
    public static func instant(fromNumber v: Double, kind: TimeFormat.Kind) -> Int64? {
        guard v.isFinite else { return nil }
        switch kind {
        case .epochSeconds:
            guard abs(v) < 1e13 else { return nil }
            return Int64((v * 1000).rounded())
        case .epochMilliseconds:
            guard abs(v) < 1e16 else { return nil }
            return Int64(v.rounded())
        case .epochMicroseconds:
            guard abs(v) < 1e19 else { return nil }
            return Int64((v / 1000).rounded())
        case .epochNanoseconds:
            guard abs(v) < 9.2e18 else { return nil }
            return Int64((v / 1_000_000).rounded())
        case .excelSerial:
            return ExcelSerial.instant(v)
        case .decimalYear:
            guard v > -100_000 && v < 100_000 else { return nil }
            var year = Int((v + 1e-6).rounded(.down))
            let frac = v - Double(year)
            let twelfths = frac * 12
            var month = Int(twelfths.rounded())
            if abs(twelfths - Double(month)) < 0.02 {
                if month >= 12 { year += 1; month -= 12 }
                if month < 0 { month = 0 }
                return CivilTime(year: year, month: month + 1, day: 1).instant()
            }
            let start = CivilTime(year: year, month: 1, day: 1).instant()
            let end = CivilTime(year: year + 1, month: 1, day: 1).instant()
            let ms = Double(end - start) * max(0, frac)
            return start + Int64((ms / 1000).rounded()) * 1000
        default:
            return nil
        }
    }

    /// The instant of a numeric cell of `kind`: decimal years on `grid` (nil when
    /// off the grid), epoch integers exactly (an Int64 cell is not rounded through a Double).
    @inline(__always)
    static func instant(_ p: UnsafePointer<UInt8>?, _ n: Int, kind: TimeFormat.Kind, grid: DecimalYearGrid?) -> Int64? {
        switch kind {
        case .epochSeconds, .epochMilliseconds, .epochMicroseconds, .epochNanoseconds:
            if let i = integer(p, n) {
                let t: Int64
                switch kind {
                case .epochSeconds: t = i.multipliedReportingOverflow(by: 1000).overflow ? Int64.max : i * 1000
                case .epochMilliseconds: t = i
                case .epochMicroseconds: t = (i + (i >= 0 ? 500 : -500)) / 1000
                default: t = (i + (i >= 0 ? 500_000 : -500_000)) / 1_000_000
                }
                return epochRange.contains(t) ? t : nil
            }
        case .decimalYear:
            if let grid {
                guard let v = NumberParser.parseDouble(p, n) else { return nil }
                return grid.instant(of: v)
            }
        default: break
        }
        guard let v = NumberParser.parseDouble(p, n) else { return nil }
        return instant(fromNumber: v, kind: kind)
    }

    /// Epoch instants accepted: years 1 to 9999 (a wrong unit lands far outside, e.g. milliseconds
    /// read as seconds fall in the year 53,000).
    public static let epochRange: ClosedRange<Int64> = CivilTime(year: 1, month: 1, day: 1).instant()...(CivilTime(year: 10000, month: 1, day: 1).instant() - 1)

    /// A cell of up to 18 digits with an optional sign, as an Int64 (nil for anything else).
    @inline(__always)
    static func integer(_ p0: UnsafePointer<UInt8>?, _ n0: Int) -> Int64? {
        guard let p0 else { return nil }
        var p = p0, n = n0
        while n > 0 && (p[0] == 0x20 || p[0] == 0x09) { p += 1; n -= 1 }
        while n > 0 && (p[n - 1] == 0x20 || p[n - 1] == 0x09) { n -= 1 }
        var negative = false
        if n > 0 && (p[0] == 0x2D || p[0] == 0x2B) { negative = p[0] == 0x2D; p += 1; n -= 1 }
        guard n > 0, n <= 18 else { return nil }
        var v: Int64 = 0
        for i in 0..<n {
            let d = p[i] &- 0x30
            guard d <= 9 else { return nil }
            v = v * 10 + Int64(d)
        }
        return negative ? -v : v
    }

    /// Guesses the numeric time kind of sample values, or nil if they do not look like time.
    /// Integers are epoch values by their size (for instants after 1973): at or above 1e17
    /// nanoseconds, 1e14 microseconds, 1e11 milliseconds, 1e8 seconds; values within
    /// [1000, 3000) are decimal years. Excel serials are never guessed.
    public static func numericKind(of sample: [Double]) -> TimeFormat.Kind? {
        guard let lo = sample.min(), let hi = sample.max() else { return nil }
        let integral = sample.allSatisfy { $0 == $0.rounded() }
        if integral && lo >= 1e17 && hi < 9.3e18 { return .epochNanoseconds }
        if integral && lo >= 1e14 && hi < 1e17 { return .epochMicroseconds }
        if integral && lo >= 1e11 && hi < 1e14 { return .epochMilliseconds }
        if integral && lo >= 1e8 && hi < 1e11 { return .epochSeconds }
        if lo >= 1000 && hi < 3000 { return .decimalYear }
        return nil
    }
}

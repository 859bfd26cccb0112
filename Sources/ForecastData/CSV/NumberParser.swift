/// A fast, exact parser of decimal and scientific numbers working on raw bytes.
///
/// Accepts optional surrounding spaces, a sign, digits with an optional decimal point
/// (`12`, `-3.5`, `.5`, `5.`) and an optional exponent (`1e-3`, `2.5E+07`). It rejects
/// everything else (hex, `inf`, `nan`, thousands separators, decimal commas); missing-value
/// tokens are handled by the caller.
///
/// Rounding is correct (round to nearest, ties to even): the common case computes
/// `mantissa * 10^e` with one correctly rounded Double operation (mantissa < 2^53,
/// |e| <= 22, Clinger's fast path), then rounds to Float32. Rounding twice is exact unless
/// the Double lands exactly halfway between two Float32 values; that rare case, and numbers
/// with more than 19 significant digits or large exponents, go to the C library's correctly
/// rounded conversion on a small stack copy.
public enum NumberParser {
    /// The outcome of parsing one cell.
    public enum Outcome: Equatable, Sendable {
        case value(Float)
        /// Not a number at all.
        case invalid
        /// A number whose magnitude exceeds Float32's largest finite value (about 3.4e38).
        case outOfRange
    }

    /// Parses the bytes of `text` as a Float32.
    public static func parseFloat(_ text: String) -> Outcome {
        var t = text
        return t.withUTF8 { parseFloat($0.baseAddress, $0.count) }
    }

    /// Parses `count` bytes at `p` as a Float32.
    @inline(__always)
    public static func parseFloat(_ p: UnsafePointer<UInt8>?, _ count: Int) -> Outcome {
        guard let p, count > 0 else { return .invalid }
        guard let d = scan(p, count) else { return .invalid }
        return float(d, text: p, count)
    }

    /// The common cell in one pass: `[-]digits[.digits]` with at most 15 significant digits,
    /// ending at `p[used] == delimiter`, LF, CR or `n`. Returns the bytes used and sets `value`
    /// (correctly rounded, the same bits as `parseFloat`), or 0 when the cell is anything else
    /// (then the caller takes the general path).
    @inline(__always)
    public static func parseSimpleFloat(_ p: UnsafePointer<UInt8>, _ n: Int, delimiter: UInt8, _ value: inout Float) -> Int {
        var i = 0
        let negative = n > 0 && p[0] == 0x2D
        if negative { i = 1 }
        if n - i >= 17 {
            // Eight bytes at a time (SWAR): find where the digits end without a branch per
            // byte, and add up to seven digits with three multiplications.
            let raw = UnsafeRawPointer(p)
            let t1 = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) &- 0x3030_3030_3030_3030
            let intLen = nonDigitOffset(t1)
            if intLen < 8 {
                var mantissa = digitsValue(t1, intLen)
                var j = i + intLen
                var fraction = 0
                if p[j] == 0x2E {
                    let t2 = raw.loadUnaligned(fromByteOffset: j + 1, as: UInt64.self) &- 0x3030_3030_3030_3030
                    fraction = nonDigitOffset(t2)
                    if fraction == 8 { return parseSimpleFloatByBytes(p, n, delimiter: delimiter, &value) }
                    mantissa = mantissa &* UInt64(powerOfTenInteger(fraction)) &+ digitsValue(t2, fraction)
                    j += 1 + fraction
                }
                guard intLen + fraction > 0 else { return 0 }
                guard endsCell(p[j], delimiter: delimiter) else { return 0 }
                return finishSimpleFloat(mantissa, fraction: fraction, negative: negative, end: j, &value)
            }
        }
        return parseSimpleFloatByBytes(p, n, delimiter: delimiter, &value)
    }

    /// Whether `b` ends a cell: the delimiter or a line end.
    @inline(__always)
    public static func endsCell(_ b: UInt8, delimiter: UInt8) -> Bool {
        b == delimiter || b == 0x0A || b == 0x0D
    }

    /// Reads the digits from `p[i]` on into `mantissa` (wrapping: callers bound the count) and
    /// advances `i` past them; returns how many there were.
    @inline(__always)
    static func appendDigits(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ mantissa: inout UInt64) -> Int {
        let start = i
        while i < n {
            let c = p[i] &- 0x30
            if c > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(c); i += 1
        }
        return i - start
    }

    /// Offset of the first byte that is not a digit in `t` (eight bytes minus "0" each), 8 if none.
    @inline(__always)
    static func nonDigitOffset(_ t: UInt64) -> Int {
        // A byte's top bit is set when it was below "0" (it wrapped) or above "9" (t + 0x76
        // reaches 0x80). Borrows and carries only move upwards, past the first such byte.
        let flags = ((t &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
        return flags == 0 ? 8 : flags.trailingZeroBitCount / 8
    }

    /// The number written by the first `count` (0...7) digit values in `t`, first most significant.
    @inline(__always)
    static func digitsValue(_ t: UInt64, _ count: Int) -> UInt64 {
        if count == 0 { return 0 }
        // Move the digits to the top bytes (zeros below are leading zeros), then combine pairs,
        // quads and the two halves.
        var v = t &<< UInt64(8 &* (8 &- count))
        v = ((v & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    @inline(__always)
    static func powerOfTenInteger(_ e: Int) -> Int {
        switch e {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1000
        case 4: return 10000
        case 5: return 100_000
        case 6: return 1_000_000
        default: return 10_000_000
        }
    }

    /// Rounds `mantissa / 10^fraction` (mantissa < 2^53) to Float32 like `parseFloat`; 0 when
    /// the Double lands on a Float32 midpoint (the general path decides those).
    @inline(__always)
    static func finishSimpleFloat(_ mantissa: UInt64, fraction: Int, negative: Bool, end: Int, _ value: inout Float) -> Int {
        if mantissa == 0 { value = negative ? -0.0 : 0.0; return end }
        let m = Double(Int64(bitPattern: mantissa))
        // A multiplication by the rounded 10^-fraction is within 2 units in the last place of
        // the exact quotient (a division takes four times as long). Rounding it to Float32 gives
        // the correctly rounded result unless it lies that close to a Float32 midpoint, whose
        // 29 low significand bits are 1000…0; only then divide exactly.
        var x = m * powerOfTenInverse(fraction)
        if (x.bitPattern & 0x1FFF_FFFF) &- 0x0FFF_FFFC <= 8 {
            x = m / powerOfTen(fraction)
            if isFloatMidpoint(x, Float(x)) { return 0 }
        }
        let f = Float(x)
        value = negative ? -f : f
        return end
    }

    /// 10^-e rounded to Double, for e in 0...15.
    @inline(__always)
    static func powerOfTenInverse(_ e: Int) -> Double {
        switch e {
        case 0: return 1
        case 1: return 1e-1
        case 2: return 1e-2
        case 3: return 1e-3
        case 4: return 1e-4
        case 5: return 1e-5
        case 6: return 1e-6
        case 7: return 1e-7
        case 8: return 1e-8
        case 9: return 1e-9
        case 10: return 1e-10
        case 11: return 1e-11
        case 12: return 1e-12
        case 13: return 1e-13
        case 14: return 1e-14
        default: return 1e-15
        }
    }

    /// `parseSimpleFloat` a byte at a time (near the end of the buffer, and long digit runs).
    @inline(__always)
    static func parseSimpleFloatByBytes(_ p: UnsafePointer<UInt8>, _ n: Int, delimiter: UInt8, _ value: inout Float) -> Int {
        var i = 0
        let negative = n > 0 && p[0] == 0x2D
        if negative { i = 1 }
        var mantissa: UInt64 = 0
        // All digits read, leading zeros included (at most 15 keeps mantissa < 2^53).
        var digits = appendDigits(p, n, &i, &mantissa)
        var fraction = 0
        if i < n && p[i] == 0x2E {
            i += 1
            fraction = appendDigits(p, n, &i, &mantissa)
            digits += fraction
        }
        guard digits > 0, digits <= 15 else { return 0 }
        if i < n && !endsCell(p[i], delimiter: delimiter) { return 0 }
        return finishSimpleFloat(mantissa, fraction: fraction, negative: negative, end: i, &value)   // mantissa < 10^15
    }

    /// The Float32 nearest to the scanned decimal `d`; `text` (`count` bytes) is the cell it
    /// came from, parsed again by the C library in the rare cases the fast path cannot round.
    @inline(__always)
    public static func float(_ d: Decimal, text p: UnsafePointer<UInt8>, _ count: Int) -> Outcome {
        if d.mantissa == 0 { return .value(d.negative ? -0.0 : 0.0) }
        // Magnitude bounds: value lies in [10^(e10+digits-1), 10^(e10+digits)).
        let magnitude = d.exponent + d.digits
        if magnitude > 39 { return .outOfRange }
        if magnitude < -46 { return .value(d.negative ? -0.0 : 0.0) }
        if !d.truncated && d.mantissa <= (1 << 53) && d.exponent >= -22 && d.exponent <= 22 {
            var x = Double(d.mantissa)
            x = d.exponent < 0 ? x / powerOfTen(-d.exponent) : x * powerOfTen(d.exponent)
            let f = Float(x)
            if f.isInfinite { return .outOfRange }
            if !isFloatMidpoint(x, f) { return .value(d.negative ? -f : f) }
        }
        return slowFloat(p, count)
    }

    /// Parses `count` bytes at `p` as a Double (used for time-like numeric columns); nil if invalid.
    @inline(__always)
    public static func parseDouble(_ p: UnsafePointer<UInt8>?, _ count: Int) -> Double? {
        guard let p, count > 0 else { return nil }
        guard let d = scan(p, count) else { return nil }
        if d.mantissa == 0 { return d.negative ? -0.0 : 0.0 }
        if !d.truncated && d.mantissa <= (1 << 53) && d.exponent >= -22 && d.exponent <= 22 {
            var x = Double(d.mantissa)
            x = d.exponent < 0 ? x / powerOfTen(-d.exponent) : x * powerOfTen(d.exponent)
            return d.negative ? -x : x
        }
        guard let v = Double(String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self).trimmingSpaces()), v.isFinite else { return nil }
        return v
    }

    /// The decimal pieces of a number: value = ±mantissa × 10^exponent.
    public struct Decimal: Sendable {
        public var mantissa: UInt64
        public var exponent: Int
        /// Significant digits held in `mantissa` (at most 19).
        public var digits: Int
        public var negative: Bool
        /// Non-zero digits beyond the 19th were dropped.
        public var truncated: Bool
    }

    /// Exact powers of ten 10^0 ... 10^22 (a switch, not a lazy global, to keep the hot path free of `swift_once`).
    @inline(__always)
    static func powerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// Splits the bytes into sign, mantissa digits and exponent; nil if the syntax is wrong.
    /// Spaces and tabs around the number are allowed.
    @inline(__always)
    public static func scan(_ p: UnsafePointer<UInt8>, _ n: Int) -> Decimal? {
        var i = 0
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        guard let (d, used) = scanPrefix(p + i, n - i) else { return nil }
        i += used
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        return i == n ? d : nil
    }

    /// Reads the number at the very start of `p[0..<n]` (sign, digits, decimal point,
    /// exponent) and stops at the first byte that cannot continue it. Returns the decimal and
    /// the bytes read, or nil when there is no digit or an exponent marker has no digits.
    /// The CSV fast path parses a cell this way and then checks that a delimiter follows.
    @inline(__always)
    public static func scanPrefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Decimal, Int)? {
        var i = 0
        var negative = false
        if i < n && (p[i] == 0x2D || p[i] == 0x2B) { negative = p[i] == 0x2D; i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var truncated = false
        var sawDigit = false
        while i < n {
            let c = p[i] &- 0x30
            if c > 9 { break }
            sawDigit = true
            if mantissa == 0 && c == 0 {
                // leading zero
            } else if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(c); digits += 1
            } else {
                exponent += 1; if c != 0 { truncated = true }
            }
            i += 1
        }
        if i < n && p[i] == 0x2E {
            i += 1
            while i < n {
                let c = p[i] &- 0x30
                if c > 9 { break }
                sawDigit = true
                if mantissa == 0 && c == 0 {
                    exponent -= 1
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(c); digits += 1; exponent -= 1
                } else if c != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        if !sawDigit { return nil }
        if i < n && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            var eNeg = false
            if i < n && (p[i] == 0x2D || p[i] == 0x2B) { eNeg = p[i] == 0x2D; i += 1 }
            var e = 0
            var eDigits = 0
            while i < n {
                let c = p[i] &- 0x30
                if c > 9 { break }
                if e < 100_000 { e = e * 10 + Int(c) }
                eDigits += 1
                i += 1
            }
            if eDigits == 0 { return nil }
            exponent += eNeg ? -e : e
        }
        return (Decimal(mantissa: mantissa, exponent: exponent, digits: digits, negative: negative, truncated: truncated), i)
    }

    /// True when `x` lies exactly halfway between two adjacent Float32 values (so rounding
    /// `x` to Float32 may differ from rounding the exact decimal).
    @inline(__always)
    static func isFloatMidpoint(_ x: Double, _ f: Float) -> Bool {
        let ax = abs(x)
        if ax >= 1.1754943508222875e-38 {
            // Normal Float range: the 29 low significand bits Float drops are exactly 1000…0.
            return ax.bitPattern & 0x1FFF_FFFF == 0x1000_0000
        }
        let af = abs(f)
        let lo: Float = Double(af) <= ax ? af : af.nextDown
        let hi = lo.nextUp
        guard hi.isFinite else { return false }
        return (Double(lo) + Double(hi)) * 0.5 == ax
    }

    /// The C library's correctly rounded conversion, for the rare hard cases.
    @usableFromInline
    static func slowFloat(_ p: UnsafePointer<UInt8>, _ n: Int) -> Outcome {
        let text = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self).trimmingSpaces()
        guard let f = Float(text) else { return .invalid }
        if f.isInfinite { return .outOfRange }
        if f.isNaN { return .invalid }
        return .value(f)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

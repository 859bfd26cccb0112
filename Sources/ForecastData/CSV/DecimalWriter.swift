#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// printf's `%.6g` of a number appended to a byte buffer: the same bytes as
/// `String(format: "%.6g", Double(v))`, without a format string, `String` or Foundation per
/// value (forecast CSV output writes about a million of them for M5-sized data).
///
/// Method: with `a = |v|` as a Double and `e = floor(log10 a)`, the six significant digits are
/// `m = round(a * 10^(5 - e))`, 100000 ≤ m ≤ 999999 (m = 10^6 moves to e + 1). `10^k` for
/// |k| ≤ 22 is exact in a Double, so `a * 10^k` (or `a / 10^-k`) is one correctly rounded
/// operation: its error is below 1e-10 at these magnitudes. When the fraction lies within 1e-7
/// of a half (a possible tie, where glibc rounds the exact binary value half to even) or |k| > 22
/// (subnormal and huge magnitudes), the value goes to the C library's `snprintf` instead.
/// `%g` then writes `m` as fixed (-4 ≤ e < 6) or exponential notation (`d.ddddde±XX`, at
/// least two exponent digits), trailing zeros and a bare decimal point removed.
public enum DecimalWriter {
    /// 10^0 … 10^22, exact (each a product of exact values below 2^53 · 2^k).
    static let powers: [Double] = {
        var p: [Double] = [1]
        for _ in 1...22 { p.append(p[p.count - 1] * 10) }
        return p
    }()

    /// Appends `%.6g` of `Double(v)` (NaN and ±inf as printf writes them: `nan`, `inf`, `-inf`).
    public static func appendG6(_ v: Float, to out: inout [UInt8]) {
        let d = Double(v)
        guard d.isFinite else { appendLibC(d, to: &out); return }
        if d == 0 {
            if d.sign == .minus { out.append(UInt8(ascii: "-")) }
            out.append(UInt8(ascii: "0"))
            return
        }
        let a = abs(d)
        var e = Int((log10(a)).rounded(.down))
        var m = 0
        var found = false
        for _ in 0..<3 {
            let k = 5 - e
            guard k >= -22 && k <= 22 else { break }
            let scaled = k >= 0 ? a * powers[k] : a / powers[-k]
            if scaled < 100_000 { e -= 1; continue }
            if scaled >= 1_000_000 { e += 1; continue }
            let whole = scaled.rounded(.down)
            let fraction = scaled - whole
            if abs(fraction - 0.5) < 1e-7 { break }
            m = Int(whole) + (fraction > 0.5 ? 1 : 0)
            if m == 1_000_000 { m = 100_000; e += 1 }
            found = true
            break
        }
        guard found else { appendLibC(d, to: &out); return }
        if d < 0 { out.append(UInt8(ascii: "-")) }
        // The six digits, most significant first.
        var digits = [UInt8](repeating: 0, count: 6)
        var rest = m
        for i in stride(from: 5, through: 0, by: -1) { digits[i] = UInt8(truncatingIfNeeded: rest % 10); rest /= 10 }
        var last = 5                                        // the last non-zero digit
        while last > 0 && digits[last] == 0 { last -= 1 }
        let zero = UInt8(ascii: "0")
        if e < -4 || e >= 6 {
            out.append(zero + digits[0])
            if last > 0 {
                out.append(UInt8(ascii: "."))
                for i in 1...last { out.append(zero + digits[i]) }
            }
            out.append(UInt8(ascii: "e"))
            out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let x = abs(e)
            if x >= 100 { out.append(zero + UInt8(x / 100)) }
            out.append(zero + UInt8((x / 10) % 10))
            out.append(zero + UInt8(x % 10))
        } else if e >= 0 {
            for i in 0...e { out.append(zero + digits[i]) }  // integer part: e + 1 digits
            if last > e {
                out.append(UInt8(ascii: "."))
                for i in (e + 1)...last { out.append(zero + digits[i]) }
            }
        } else {
            out.append(zero)
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-e - 1) { out.append(zero) }
            for i in 0...last { out.append(zero + digits[i]) }
        }
    }

    /// `%.6g` of `v` as a String (see ``appendG6(_:to:)``).
    public static func g6(_ v: Float) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        appendG6(v, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The C library's `%.6g` (the rare values the fast path leaves: possible ties, |k| > 22).
    static func appendLibC(_ d: Double, to out: inout [UInt8]) {
        var buffer = [CChar](repeating: 0, count: 48)
        let n = buffer.withUnsafeMutableBufferPointer { b in
            withVaList([d]) { vsnprintf(b.baseAddress, 48, "%.6g", $0) }
        }
        for i in 0..<Int(max(0, min(n, 47))) { out.append(UInt8(bitPattern: buffer[i])) }
    }
}

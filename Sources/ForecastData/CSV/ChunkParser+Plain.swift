#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When the plain scanner may read a chunk instead of libcsv.
enum PlainScan {
    /// The delimiters the plain scanner knows: none of them can be part of a number, a space
    /// libcsv would trim, a line end or a quote.
    static let delimiters: Set<UInt8> = [0x2C, 0x3B, 0x09, 0x7C]   // , ; tab |

    /// Whether the plain scanner can read cells split by `delimiter` with these missing
    /// tokens (a token that is itself a number, like -999, must be checked before parsing).
    static func supports(delimiter: UInt8, missing: MissingMatcher) -> Bool {
        delimiters.contains(delimiter) && !missing.hasNumericTokens
    }
}

extension ChunkParser {
    /// Reads a chunk that holds no quote character in one pass: each cell is found and
    /// converted in the same scan, and a number cell is parsed while its bytes are read (the
    /// scanner then checks that a delimiter or line end follows).
    ///
    /// It produces exactly what the libcsv path produces for such a chunk, and handles only
    /// what it can do exactly that way: records with the header's field count, LF or CRLF
    /// line ends, blank lines, cells without spaces or tabs at either end. At anything else —
    /// a short or long record, a lone CR, spaces libcsv would trim, a value that does not
    /// convert — it returns false, and the caller parses the chunk again with libcsv, which
    /// then reports the problem (or reads what the scanner left to it).
    ///
    /// - Returns: true when the whole chunk was read.
    func parsePlain(_ bytes: UnsafeRawBufferPointer, delimiter d: UInt8) -> Bool {
        guard let raw = bytes.baseAddress, bytes.count > 0 else { return true }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = bytes.count
        let s = state
        let last = columnCount - 1
        var i = 0
        var line = 0
        var days = [DayCache](repeating: DayCache(), count: formats.count)
        while i < n {
            // A record starts at i, or a blank line.
            let first = p[i]
            if first == 0x0A { line += 1; i += 1; continue }
            if first == 0x0D {
                guard i + 1 < n, p[i + 1] == 0x0A else { return false }
                line += 1; i += 2; continue
            }
            if s.pointee.skipRecords > 0 {
                // The header: skip its line (a CR that does not end it goes to libcsv).
                let end = memchr(p + i, 0x0A, n - i).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - p } ?? n
                if let cr = memchr(p + i, 0x0D, end - i), UnsafePointer(cr.assumingMemoryBound(to: UInt8.self)) - p != end - 1 { return false }
                s.pointee.skipRecords -= 1
                if end < n { line += 1 }
                i = end + 1
                continue
            }
            let recordLine = line
            var field = 0
            var j = i
            while true {
                // The cell of `field` starts at i; j ends at its terminator.
                let kind = kinds[field]
                var done = false
                var value: Float = 0
                if kind == 1, case let used = NumberParser.parseSimpleFloat(p + i, n - i, delimiter: d, &value), used > 0 {
                    s.pointee.numbers[slots[field]].append(value)
                    j = i + used
                    done = true
                } else if kind == 1, let (decimal, used) = NumberParser.scanPrefix(p + i, n - i) {
                    let next = i + used
                    if next == n || NumberParser.endsCell(p[next], delimiter: d) {
                        guard case .value(let v) = NumberParser.float(decimal, text: p + i, used) else { return false }
                        s.pointee.numbers[slots[field]].append(v)
                        j = next
                        done = true
                    }
                }
                else if kind == 3, n - i >= 20 {
                    let next = p[i + 19]
                    if NumberParser.endsCell(next, delimiter: d),
                       let instant = plainDateTime(p + i, slot: slots[field], cache: &days[slots[field]]) {
                        s.pointee.times[slots[field]].append(instant)
                        j = i + 19
                        done = true
                    }
                }
                if !done {
                    j = i
                    while j < n {
                        if NumberParser.endsCell(p[j], delimiter: d) { break }
                        j += 1
                    }
                    if j > i && (p[i] == 0x20 || p[i] == 0x09 || p[j - 1] == 0x20 || p[j - 1] == 0x09) { return false }
                    if kind != 0 {
                        s.pointee.field = field + 1
                        store(field, p + i, j - i)
                        if s.pointee.problem != nil { return false }
                    }
                }
                if field == last { break }
                guard j < n, p[j] == d else { return false }   // too few fields
                i = j + 1
                field += 1
            }
            // The record's end: LF, CRLF or the end of the chunk.
            if j == n {
                i = n
            } else if p[j] == 0x0A {
                line += 1; i = j + 1
            } else if p[j] == 0x0D, j + 1 < n, p[j + 1] == 0x0A {
                line += 1; i = j + 2
            } else {
                return false   // too many fields, or a lone CR
            }
            s.pointee.rowLines.append(line: recordLine)
            s.pointee.rows += 1
        }
        s.pointee.field = 0
        s.pointee.line = line
        return true
    }

    /// A cell `YYYY-MM-DDThh:mm:ss` (or a space for T) of ISO time column `slot`: the same instant
    /// `TimeParser.parseISO` gives, with the date's start remembered, since sorted files repeat
    /// the date of the row before. nil for anything else (the general path then decides).
    @inline(__always)
    func plainDateTime(_ q: UnsafePointer<UInt8>, slot: Int, cache: inout DayCache) -> Int64? {
        let separator = q[10]
        guard separator == 0x54 || separator == 0x20, q[13] == 0x3A, q[16] == 0x3A else { return nil }
        let h1 = q[11] &- 0x30, h2 = q[12] &- 0x30, m1 = q[14] &- 0x30, m2 = q[15] &- 0x30, s1 = q[17] &- 0x30, s2 = q[18] &- 0x30
        guard h1 <= 9, h2 <= 9, m1 <= 9, m2 <= 9, s1 <= 9, s2 <= 9 else { return nil }
        let hour = Int64(h1) * 10 + Int64(h2), minute = Int64(m1) * 10 + Int64(m2), second = Int64(s1) * 10 + Int64(s2)
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let ofDay = ((hour * 60 + minute) * 60 + second) * 1000
        let raw = UnsafeRawPointer(q)
        let date = raw.loadUnaligned(as: UInt64.self), date2 = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        if cache.valid && cache.date == date && cache.date2 == date2 && cache.separator == separator {
            return cache.dayStart + ofDay
        }
        guard let parsed = TimeParser.parseISO(q, 19), TimeParser.compatible(parsed.format, formats[slot]) else { return nil }
        cache = DayCache(valid: true, date: date, date2: date2, separator: separator, dayStart: parsed.instant - ofDay)
        return parsed.instant
    }
}

/// The last date seen in an ISO time column by the plain scanner: its ten bytes and the instant
/// of its midnight.
struct DayCache {
    var valid = false
    var date: UInt64 = 0
    var date2: UInt16 = 0
    var separator: UInt8 = 0
    var dayStart: Int64 = 0
}

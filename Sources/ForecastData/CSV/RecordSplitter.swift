#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a buffer of CSV text into pieces that each hold whole records, so the pieces can be
/// parsed on separate threads. A record ends at a line feed outside quotes: quote parity is
/// tracked from the buffer start, which is always a record boundary (doubled quotes `""`
/// flip parity twice, so they need no special case).
enum RecordSplitter {
    /// Piece ends (exclusive offsets) for about `pieces` equal pieces of `buffer`; the last
    /// end is the end of the last complete record, or the buffer end when `atEnd`.
    /// Empty when no record is complete yet.
    static func cuts(_ buffer: UnsafeRawBufferPointer, pieces: Int, atEnd: Bool) -> [Int] {
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return [] }
        let targets = (1..<max(1, pieces)).map { n * $0 / max(1, pieces) }
        var cuts: [Int] = []
        if memchr(base, 0x22, n) == nil {
            for t in targets {
                let from = max(t, cuts.last ?? 0)
                guard from < n, let hit = memchr(base + from, 0x0A, n - from) else { break }
                cuts.append(UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1)
            }
            if atEnd {
                cuts.append(n)
            } else {
                var i = n - 1
                while i >= 0 && base[i] != 0x0A { i -= 1 }
                if i >= 0 { cuts.append(i + 1) }
            }
        } else {
            var inQuotes = false
            var lastEnd = 0
            var nextTarget = 0
            for i in 0..<n {
                let b = base[i]
                if b == 0x22 {
                    inQuotes.toggle()
                } else if b == 0x0A && !inQuotes {
                    lastEnd = i + 1
                    if nextTarget < targets.count && i + 1 >= targets[nextTarget] {
                        cuts.append(i + 1)
                        nextTarget += 1
                    }
                }
            }
            if atEnd {
                cuts.append(n)
            } else if lastEnd > 0 {
                cuts.append(lastEnd)
            }
        }
        // Keep strictly increasing, non-empty pieces.
        var out: [Int] = []
        for c in cuts where c > (out.last ?? 0) { out.append(c) }
        return out
    }

    /// Whether `buffer[from..<to]` contains a quote.
    static func hasQuote(_ buffer: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        guard to > from, let base = buffer.baseAddress else { return false }
        return memchr(base + from, 0x22, to - from) != nil
    }
}

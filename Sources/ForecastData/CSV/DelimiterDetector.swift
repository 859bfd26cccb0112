/// Detects the field delimiter from the first lines of a file.
enum DelimiterDetector {
    /// Counts each candidate outside quotes on up to 20 complete lines and picks the one that
    /// appears the same non-zero number of times on every line (most lines agreeing wins), then
    /// the most frequent; `,` when nothing fits (a one-column file).
    static func detect(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let candidates = CSVOptions.candidateDelimiters
        var perLine: [[Int]] = []
        var counts = [Int](repeating: 0, count: candidates.count)
        var inQuotes = false
        var lineHasContent = false
        for b in bytes {
            if b == 0x22 { inQuotes.toggle(); lineHasContent = true; continue }
            if inQuotes { continue }
            if b == 0x0A {
                if lineHasContent { perLine.append(counts) }
                counts = [Int](repeating: 0, count: candidates.count)
                lineHasContent = false
                if perLine.count >= 20 { break }
                continue
            }
            if b != 0x0D { lineHasContent = true }
            if let k = candidates.firstIndex(of: b) { counts[k] += 1 }
        }
        if lineHasContent && perLine.count < 20 { perLine.append(counts) }
        guard !perLine.isEmpty else { return 0x2C }
        var best: (index: Int, consistent: Int, total: Int)? = nil
        for k in candidates.indices {
            let first = perLine[0][k]
            guard first > 0 else { continue }
            let consistent = perLine.filter { $0[k] == first }.count
            let total = perLine.reduce(0) { $0 + $1[k] }
            if let b = best, (b.consistent, b.total) >= (consistent, total) { continue }
            best = (k, consistent, total)
        }
        return best.map { candidates[$0.index] } ?? 0x2C
    }
}

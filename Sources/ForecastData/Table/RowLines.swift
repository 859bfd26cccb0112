/// Maps data rows to the 1-based physical line they start on, compactly: most files have one
/// record per line, so only rows where the mapping jumps (after blank lines or records with
/// quoted newlines) are stored.
public struct RowLines: Sendable, Equatable {
    /// Line of row 0.
    public private(set) var firstLine: Int
    /// (row, extra): from `row` on, line = firstLine + row + extra.
    private var jumps: [(row: Int, extra: Int)] = []
    public private(set) var rows = 0

    public init(firstLine: Int) { self.firstLine = firstLine }

    public static func == (a: RowLines, b: RowLines) -> Bool {
        a.firstLine == b.firstLine && a.rows == b.rows && a.jumps.elementsEqual(b.jumps, by: { $0 == $1 })
    }

    private var currentExtra: Int { jumps.last?.extra ?? 0 }

    /// Records that the next row starts on `line`.
    public mutating func append(line: Int) {
        let extra = line - firstLine - rows
        if extra != currentExtra { jumps.append((rows, extra)) }
        rows += 1
    }

    /// Appends `count` rows on consecutive lines starting at `startLine`.
    mutating func appendRun(startLine: Int, count: Int) {
        guard count > 0 else { return }
        let extra = startLine - firstLine - rows
        if extra != currentExtra { jumps.append((rows, extra)) }
        rows += count
    }

    /// How many rows from `r` on share r's extra offset (consecutive lines).
    func runLength(from r: Int) -> Int {
        var lo = 0, hi = jumps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if jumps[mid].row <= r { lo = mid + 1 } else { hi = mid }
        }
        let end = lo < jumps.count ? jumps[lo].row : rows
        return end - r
    }

    /// The line row `r` starts on.
    public func line(of r: Int) -> Int {
        // binary search for the last jump with row <= r
        var lo = 0, hi = jumps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if jumps[mid].row <= r { lo = mid + 1 } else { hi = mid }
        }
        return firstLine + r + (lo == 0 ? 0 : jumps[lo - 1].extra)
    }
}

extension RowLines {
    /// Appends the rows of `other`, whose lines are relative: line = `lineOffset` + other's line.
    public mutating func append(contentsOf other: RowLines, lineOffset: Int) {
        guard other.rows > 0 else { return }
        // Walk other's constant-extra segments.
        var r = 0
        while r < other.rows {
            let line = other.line(of: r) + lineOffset
            appendRun(startLine: line, count: other.runLength(from: r))
            r += other.runLength(from: r)
        }
    }
}

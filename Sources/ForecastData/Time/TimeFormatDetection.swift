/// Finds how a column writes its times from sample cells (the first `sampleRows` non-missing
/// cells), or reads them the way the user said (`TimeFormatSpec`).
///
/// Detection order, first match wins:
/// 1. **ISO-8601** (`2012-01-01`, `2013-01-01T06:00:00+01:00`): at least half the cells in one style.
/// 2. **Numbers** in a column named like a time (`time`, `date`, `year`, `epoch`, …): integers are
///    epoch values by size (≥1e17 ns, ≥1e14 µs, ≥1e11 ms, ≥1e8 s); values in [1000, 3000) are
///    decimal years, whose R frequency is inferred from the spacing (`DecimalYearGrid.infer`).
///    Excel serials are never guessed.
/// 3. **Patterns** (`candidatePatterns`): the pattern that reads the most cells, at least half.
///    When it reads a numeric day and month (`01/02/1990`), the order is decided by a cell whose
///    day is above 12 in one order only. If every sample cell reads both ways the decision is left
///    to the whole column (`DayMonthEvidence`), and a column that never decides it is an error
///    naming the column and suggesting `--time-format`.
///
/// Whatever had to be resolved on the way (the day/month order, changing UTC offsets, R's daily
/// grid ignoring leap days, rounded decimal years) becomes a note that `forecast describe` prints.
enum TimeFormatDetection {
    /// A detected reading of a column.
    struct Detected {
        var format: TimeFormat
        /// Pattern columns whose day/month order the sample could not decide.
        var dayMonthUndecided = false
        var notes: [String] = []
    }

    /// Date parts tried, each combined with every time-of-day suffix (day/month orders in pairs).
    static let datePatterns = [
        "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m.%d.%Y", "%d-%m-%Y", "%m-%d-%Y",
        "%m/%d/%y", "%d/%m/%y", "%d.%m.%y", "%Y-%m-%d", "%Y.%m.%d",
    ]
    static let timeSuffixes = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I %p", " %H:%M:%S.%f", " %I:%M%p"]
    /// Month, quarter and week styles (no time of day).
    static let periodPatterns = [
        "%Y Q%q", "%Y-Q%q", "%YQ%q", "%Y/Q%q", "Q%q %Y", "Q%q-%Y",
        "%G-W%V", "%GW%V", "%G-W%V-%u",
        "%b %Y", "%Y-%b", "%B %Y", "%b-%Y", "%Y %b", "%b-%y", "%b %y", "%Y/%m", "%m/%Y", "%m.%Y",
    ]

    /// Every pattern detection tries, in order of preference for ties.
    static let candidatePatterns: [TimePattern] = {
        var out: [TimePattern] = []
        for d in datePatterns { for t in timeSuffixes { if let p = TimePattern(d + t) { out.append(p) } } }
        out += periodPatterns.compactMap { TimePattern($0) }
        return out
    }()

    // MARK: Detection

    /// ISO-8601: the most common style among the cells, when at least half have it.
    static func iso(_ cells: [[UInt8]]) -> Detected? {
        var groups: [(format: TimeFormat, count: Int)] = []
        var offsets: [Int] = []
        for c in cells {
            guard let t = c.withUnsafeBufferPointer({ TimeParser.parseISO($0.baseAddress, $0.count) }) else { continue }
            if case .offset(let m) = t.format.zone, !offsets.contains(m) { offsets.append(m) }
            if let g = groups.firstIndex(where: { TimeParser.compatible($0.format, t.format) }) {
                groups[g].count += 1
            } else {
                groups.append((t.format, 1))
            }
        }
        guard let best = groups.max(by: { $0.count < $1.count }), best.count * 2 >= cells.count, best.count > 0 else { return nil }
        var d = Detected(format: best.format)
        if offsets.count > 1 {
            let names = offsets.map { TimeFormat(kind: .dateTime, zone: .offset($0)).format(0).suffix(6) }
            d.notes.append("UTC offsets change within the column (\(names.joined(separator: ", ")), e.g. across a daylight-saving change): each cell is read at its own offset, so instants stay in order; times are written back at \(names[0]), the first row's offset")
        }
        return d
    }

    /// Numbers: epoch values or decimal years (`kind` nil guesses from the sizes).
    static func numeric(_ cells: [[UInt8]], _ doubles: [Double], kind wanted: TimeFormat.Kind? = nil) -> Detected? {
        guard let kind = wanted ?? TimeParser.numericKind(of: doubles) else { return nil }
        guard kind == .decimalYear else { return Detected(format: TimeFormat(kind: kind)) }
        let pointZero = cells.contains { $0.count >= 2 && $0[$0.count - 2] == 0x2E && $0[$0.count - 1] == 0x30 }
        guard let grid = DecimalYearGrid.infer(doubles, pointZero: pointZero) else {
            return Detected(format: TimeFormat(decimalYears: nil), notes: [
                "the decimal years are not on any regular R grid (1, 4, 12, 52, 365, 365.25, … steps a year): each is read as that fraction of its calendar year, to the second"])
        }
        var d = Detected(format: TimeFormat(decimalYears: grid))
        let f = grid.stepsPerYear, fText = DecimalYearGrid.significant15(f)
        let startDate = TimeFormat(kind: .date).format(grid.startInstant)
        switch f {
        case 52:
            d.notes.append("decimal years with R frequency 52: weekly steps from \(startDate); R's weeks ignore that a year is 52.18 weeks, so the decimals drift from calendar dates (the index stays regular, as in R)")
        case 365:
            d.notes.append("decimal years with R frequency 365: daily steps from \(startDate); R's daily series ignore leap days, so each leap year shifts the decimals a day against calendar dates (a leap year's 31 December is written as the next whole year); rows are read as the regular daily index R wrote")
        case _ where f > 365.25:
            d.notes.append("decimal years with R frequency \(fText): steps of \(grid.step) from \(startDate), a regular index as in R (\(f.truncatingRemainder(dividingBy: 365) == 0 ? "leap days ignored" : "365.25-day years"))")
        case 365.25:
            d.notes.append("decimal years with R frequency 365.25: daily steps from \(startDate) (a year of 365.25 days, as R's frequency 365.25)")
        default:
            break
        }
        var worst = 0.0
        for v in doubles { if let (_, r) = grid.index(of: v) { worst = max(worst, r) } }
        if worst > 1e-6 {
            d.notes.append("decimal years are rounded in the file (up to \(DecimalYearGrid.significant15((worst * 1000).rounded() / 1000)) of a step off R's grid start + i/\(fText)): each is read as its nearest step")
        }
        return d
    }

    /// Patterns: the candidate that reads the most cells (at least half of them).
    static func pattern(_ cells: [[UInt8]], candidates: [TimePattern] = candidatePatterns) -> Detected? {
        guard !cells.isEmpty else { return nil }
        var best: (pattern: TimePattern, count: Int)? = nil
        for p in candidates {
            let n = count(p, cells)
            if n > 0, n > (best?.count ?? 0) { best = (p, n) }
            if n == cells.count { break }
        }
        guard let (p, n) = best, n * 2 >= cells.count else { return nil }
        return decide(p, cells)
    }

    /// Settles the day/month order and the zero padding of a pattern that reads the cells.
    static func decide(_ p0: TimePattern, _ cells: [[UInt8]]) -> Detected {
        var p = p0
        var detected = Detected(format: TimeFormat(pattern: p))
        // Year-first dates (1990/01/31) are year-month-day everywhere; only day-month and month-day compete.
        if p.hasNumericDayAndMonth, !p.startsWithYear, let twin = p.dayMonthSwapped {
            let n = count(p, cells), m = count(twin, cells)
            if m > n { p = twin }
            let other = p == twin ? p0 : twin
            if m == n {
                // Both orders read every cell the same way or not: only cells with day != month matter.
                let differs = cells.contains { c in
                    c.withUnsafeBufferPointer { b in p.fields(b.baseAddress, b.count).map { $0.day != $0.month } ?? false }
                }
                detected.dayMonthUndecided = differs
            } else if let proof = cells.first(where: { c in
                c.withUnsafeBufferPointer { b in p.instant(b.baseAddress, b.count) != nil && other.instant(b.baseAddress, b.count) == nil }
            }) {
                detected.notes.append("day/month order: \(p.text), not \(other.text), because \(quoteForMessage(proof)) cannot be read the other way")
            }
        }
        // Zero padding and month names: write back the way the first cell is written
        // (`%b` reads full names too, `%d` reads one digit too).
        if let first = cells.first, let t = first.withUnsafeBufferPointer({ p.instant($0.baseAddress, $0.count) }) {
            let text = String(decoding: first, as: UTF8.self).trimmingSpaces()
            if p.format(t) != text {
                var unpadded = p.text
                for d in ["d", "m", "H", "I"] { unpadded = unpadded.replacingAll("%" + d, with: "%-" + d) }
                let variants = [p.text.replacingAll("%b", with: "%B"), unpadded, unpadded.replacingAll("%b", with: "%B")]
                if let v = variants.lazy.compactMap({ TimePattern($0) }).first(where: { $0.format(t) == text }) { p = v }
            }
        }
        detected.format = TimeFormat(pattern: p)
        return detected
    }

    static func count(_ p: TimePattern, _ cells: [[UInt8]]) -> Int {
        var n = 0
        for c in cells where c.withUnsafeBufferPointer({ p.instant($0.baseAddress, $0.count) != nil }) { n += 1 }
        return n
    }

    // MARK: Requested formats

    /// Reads the column as `spec` says; throws when most sample cells do not fit it.
    static func requested(_ spec: TimeFormatSpec, column: String, cells: [[UInt8]], doubles: [Double]) throws -> Detected {
        func refuse(_ what: String) -> DataError {
            let example = cells.first.map { " (e.g. \(quoteForMessage($0)))" } ?? ""
            return DataError.invalidArgument("column '\(column)' does not hold \(what) as --time-format \(spec) says\(example)")
        }
        let mostlyNumbers = doubles.count * 2 > cells.count || cells.isEmpty
        switch spec {
        case .iso:
            guard let d = iso(cells) ?? (cells.isEmpty ? Detected(format: TimeFormat(kind: .dateTime)) : nil) else { throw refuse("ISO-8601 times") }
            return d
        case .decimalYear:
            guard mostlyNumbers, let d = numeric(cells, doubles, kind: .decimalYear) else { throw refuse("decimal years") }
            return d
        case .excel:
            guard mostlyNumbers else { throw refuse("Excel serial day numbers") }
            return Detected(format: TimeFormat(kind: .excelSerial))
        case .epoch(let kind):
            guard mostlyNumbers else { throw refuse("epoch numbers") }
            return Detected(format: TimeFormat(kind: kind))
        case .pattern(let p):
            guard cells.isEmpty || count(p, cells) * 2 >= cells.count else { throw refuse("times in the pattern \(p.text)") }
            return Detected(format: TimeFormat(pattern: p))
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = "", rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

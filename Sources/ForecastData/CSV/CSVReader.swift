import Foundation
import ForecastCore

/// Reads CSV files into typed `Table`s through libcsv.
///
/// - Header row on by default; delimiter detected among `,` `;` tab `|` unless given.
/// - RFC 4180 quoting (embedded delimiters, doubled quotes, newlines), LF or CRLF line ends,
///   a UTF-8 byte-order mark, a last line with or without its newline, blank lines skipped.
/// - Missing cells (`CSVOptions.missingTokens`) become NaN / -1 / `Int64.min` and are counted.
/// - Column types are inferred from the first `sampleRows` rows (see `ColumnType`).
/// - The file is streamed in blocks; each block is cut at record boundaries and its pieces
///   parsed on all cores. Peak memory is the output columns plus about threads x blockBytes.
///
/// Every problem is a `DataError` naming file, line and column.
public enum CSVReader {
    /// Reads the CSV file at `path`.
    public static func read(path: String, options: CSVOptions = CSVOptions()) throws -> Table {
        let source = try ByteSource(path: path, name: options.displayName ?? path)
        return try read(source, options: options)
    }

    /// Reads CSV text held in memory (`name` is used in error messages).
    public static func read(bytes: [UInt8], name: String = "<memory>", options: CSVOptions = CSVOptions()) throws -> Table {
        try read(ByteSource(bytes: bytes, name: options.displayName ?? name), options: options)
    }

    /// Reads CSV text from a string.
    public static func read(text: String, name: String = "<memory>", options: CSVOptions = CSVOptions()) throws -> Table {
        try read(bytes: Array(text.utf8), name: name, options: options)
    }

    // MARK: - Implementation

    static func read(_ source: ByteSource, options: CSVOptions) throws -> Table {
        let file = source.name
        let threads = max(1, options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount)
        let blockBytes = max(1 << 12, options.blockBytes)

        // 1. The head of the file: BOM, delimiter, header and a type-inference sample.
        var buffer: [UInt8] = []
        let headBytes = 1 << 20
        _ = try source.read(into: &buffer, count: headBytes)
        var atEnd = buffer.count < headBytes
        if !atEnd { atEnd = try source.read(into: &buffer, count: 0) == 0 && source.size == buffer.count }
        var hadBOM = false
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3); hadBOM = true }
        if buffer.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09 }) && atEnd {
            let what = buffer.isEmpty ? (hadBOM ? "only a UTF-8 byte-order mark" : "no bytes at all") : "only blank lines"
            throw DataError.malformed(SourceLocation(file: file, line: 1), "empty file (\(what)): expected a header line and data rows")
        }
        let delimiter = options.delimiter ?? buffer.withUnsafeBufferPointer { DelimiterDetector.detect(UnsafeBufferPointer(rebasing: $0.prefix(1 << 16))) }
        if let nul = buffer.firstIndex(of: 0) {
            let before = buffer[..<nul]
            let line = 1 + before.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let column = 1 + buffer[lineStart..<nul].reduce(0) { $0 + ($1 == delimiter ? 1 : 0) }
            throw DataError.malformed(SourceLocation(file: file, line: line, column: column), "binary data (a NUL byte); expected a text CSV file")
        }
        let sample = SampleCollector(limit: options.sampleRows + (options.hasHeader ? 1 : 0))
        buffer.withUnsafeBytes { sample.collect($0, delimiter: delimiter, atEnd: atEnd) }
        if let p = sample.problem { throw error(p, file: file, firstLine: 1) }
        guard let first = sample.records.first else {
            if !atEnd {
                throw DataError.malformed(SourceLocation(file: file, line: 1), "the first line is longer than \(headBytes) bytes (1 MiB), the longest header or row supported")
            }
            throw DataError.malformed(SourceLocation(file: file, line: 1), "empty file: expected a header line and data rows")
        }

        // 2. Column names and the plan.
        let names = try headerNames(first, hasHeader: options.hasHeader, file: file)
        let dataSample = Array(sample.records.dropFirst(options.hasHeader ? 1 : 0))
        if options.hasHeader && dataSample.isEmpty && sample.complete {
            throw DataError.malformed(SourceLocation(file: file, line: (sample.recordLines.first ?? 0) + 2),
                                      "no data rows: the file has a header line but no data below it")
        }
        let plan = try makePlan(names: names, sample: dataSample, options: options, file: file)
        let missing = MissingMatcher(options.missingTokens)

        // 3. Stream the rest: cut, parse pieces in parallel, append in order.
        let estimate = estimateRows(buffer: buffer, size: source.size)
        let merged = OutputColumns(plan: plan, reserve: estimate)
        merged.notes = plan.notes
        var nextLine = 1
        var firstRound = true
        var wanted = threads * blockBytes
        while true {
            if !atEnd && buffer.count < wanted {
                let got = try source.read(into: &buffer, count: wanted - buffer.count)
                if got == 0 { atEnd = true }
                continue
            }
            let pieces = buffer.count < (1 << 18) ? 1 : (threads > 1 ? 2 * threads : 1)   // two per thread: they finish together
            let cuts = buffer.withUnsafeBytes { RecordSplitter.cuts($0, pieces: pieces, atEnd: atEnd) }
            if cuts.isEmpty {
                if atEnd { break }
                if buffer.count >= options.maxRecordBytes {
                    throw DataError.malformed(SourceLocation(file: file, line: nextLine),
                                              "a record longer than \(options.maxRecordBytes) bytes starts here (probably an unterminated quoted field)")
                }
                wanted = buffer.count * 2
                continue
            }
            wanted = threads * blockBytes
            var starts = [0] + cuts.dropLast()
            let parsers: [ChunkParser] = buffer.withUnsafeBytes { raw in
                (0..<cuts.count).map { j in
                    let hasQuotes = RecordSplitter.hasQuote(raw, starts[j], cuts[j])
                    return ChunkParser(plan: plan, missing: missing, hasQuotes: hasQuotes,
                                plain: options.plainScanner && !hasQuotes && PlainScan.supports(delimiter: delimiter, missing: missing),
                                expectedRows: max(16, (cuts[j] - starts[j]) / max(1, estimate.bytesPerRow)))
                }
            }
            if firstRound && options.hasHeader { parsers[0].skipRecords = 1 }
            firstRound = false
            buffer.withUnsafeBytes { raw in
                WorkerPool.forEach(parsers.count, threads: threads) { j in
                    parsers[j].parse(UnsafeRawBufferPointer(rebasing: raw[starts[j]..<cuts[j]]), delimiter: delimiter)
                }
            }
            for p in parsers {
                if let problem = p.problem { throw error(problem, file: file, firstLine: nextLine) }
                merged.append(p, firstLine: nextLine)
                nextLine += p.line
            }
            let consumed = cuts.last ?? 0
            buffer.removeFirst(consumed)
            starts.removeAll()
            if atEnd && buffer.isEmpty { break }
        }
        if merged.rows == 0 {
            throw DataError.malformed(SourceLocation(file: file, line: nextLine),
                                      options.hasHeader ? "no data rows: the file has a header line but no data below it" : "empty file: no data rows")
        }
        try merged.resolveDayMonth(names: names, file: file)
        return merged.table(source: file, names: names, byteCount: source.bytesRead, delimiter: delimiter)
    }

    static func error(_ p: ChunkProblem, file: String, firstLine: Int) -> DataError {
        let loc = SourceLocation(file: file, line: firstLine + p.relativeLine, column: p.column)
        switch p.kind {
        case .malformed: return .malformed(loc, p.message)
        case .badValue: return .badValue(loc, p.message)
        case .badTime: return .badTime(loc, p.message)
        }
    }

    static func headerNames(_ record: [[UInt8]], hasHeader: Bool, file: String) throws -> [String] {
        guard hasHeader else { return (1...record.count).map { "column_\($0)" } }
        var names: [String] = []
        var seen: [String: Int] = [:]
        for (j, bytes) in record.enumerated() {
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw DataError.malformed(SourceLocation(file: file, line: 1, column: j + 1),
                                          "the header is not valid UTF-8 text: \(quoteForMessage(bytes))")
            }
            var name = decoded.trimmingSpaces()
            if name.isEmpty { name = "column_\(j + 1)" }
            if let other = seen[name] {
                throw DataError.malformed(SourceLocation(file: file, line: 1, column: j + 1),
                                          "duplicate column name '\(name)' in the header (also column \(other + 1)); names must be unique")
            }
            seen[name] = j
            names.append(name)
        }
        return names
    }

    static func makePlan(names: [String], sample: [[[UInt8]]], options: CSVOptions, file: String) throws -> ColumnPlan {
        var selected: [Int]
        if let refs = options.columns {
            selected = []
            for ref in refs {
                let index: Int?
                switch ref {
                case .name(let n): index = names.firstIndex(of: n)
                case .index(let i): index = (0..<names.count).contains(i) ? i : nil
                }
                guard let i = index else {
                    throw DataError.invalidArgument("\(file): no column \(ref); the columns are \(names.map { "'\($0)'" }.joined(separator: ", "))")
                }
                if selected.contains(i) { throw DataError.invalidArgument("\(file): column \(ref) is selected twice") }
                selected.append(i)
            }
        } else {
            selected = Array(names.indices)
        }
        for name in options.types.keys where !names.contains(name) {
            throw DataError.invalidArgument("\(file): a type is given for column '\(name)', which is not in the header")
        }
        let missing = MissingMatcher(options.missingTokens)
        var actions = [CellAction](repeating: .skip, count: names.count)
        var outputs: [(Int, ColumnType)] = []
        var slots = (number: 0, text: 0, time: 0)
        var columnNotes: [Int: [String]] = [:]
        let requestedColumn = try timeFormatColumn(names: names, selected: selected, sample: sample, options: options, missing: missing, file: file)
        for i in selected {
            let cells: [[UInt8]] = sample.compactMap { row in
                guard i < row.count else { return nil }
                let cell = row[i]
                let isMissing = cell.withUnsafeBufferPointer { missing.isMissing($0.baseAddress, $0.count) }
                return isMissing ? nil : cell
            }
            var notes: [String] = []
            let requested = options.timeFormat.flatMap { spec in requestedColumn == i ? spec : nil }
            let (action, type) = try TypeInference.action(name: names[i], cells: cells, forced: options.types[names[i]], requested: requested,
                                                          slots: &slots, notes: &notes)
            actions[i] = action
            if !notes.isEmpty { columnNotes[i] = notes }
            outputs.append((i, type))
        }
        var plan = ColumnPlan(names: names, actions: actions, outputs: outputs)
        plan.numberSlots = slots.number; plan.textSlots = slots.text; plan.timeSlots = slots.time
        plan.notes = columnNotes
        return plan
    }

    /// The file column `options.timeFormat` applies to: `options.timeFormatColumn` when named;
    /// else, for a pattern or `iso`, the first selected column most of whose sample cells read
    /// that way; for a numeric format (decimal years, epoch, Excel), the first selected column
    /// named like a time (`time`, `date`, …) holding numbers — any number column would fit, so
    /// another one must be named. nil without a requested format.
    static func timeFormatColumn(names: [String], selected: [Int], sample: [[[UInt8]]], options: CSVOptions,
                                 missing: MissingMatcher, file: String) throws -> Int? {
        guard let spec = options.timeFormat else { return nil }
        if let name = options.timeFormatColumn {
            guard let i = names.firstIndex(of: name), selected.contains(i) else {
                throw DataError.invalidArgument("\(file): the time format \(spec) is given for column '\(name)', which is not among the columns read")
            }
            return i
        }
        var numericSpec = true
        switch spec {
        case .pattern, .iso: numericSpec = false
        default: break
        }
        for i in selected where options.types[names[i]] != .number && options.types[names[i]] != .text {
            if numericSpec && !TypeInference.timeNames.contains(names[i].lowercased()) { continue }
            let cells: [[UInt8]] = sample.compactMap { row in
                guard i < row.count else { return nil }
                let cell = row[i]
                return cell.withUnsafeBufferPointer { missing.isMissing($0.baseAddress, $0.count) } ? nil : cell
            }
            let doubles = TypeInference.numericValues(cells)
            if !cells.isEmpty, (try? TimeFormatDetection.requested(spec, column: names[i], cells: cells, doubles: doubles)) != nil { return i }
        }
        throw DataError.invalidArgument("\(file): no column reads as the time format \(spec)\(numericSpec ? " among the columns named like a time" : ""); name the time column with --time (the columns are \(names.map { "'\($0)'" }.joined(separator: ", ")))")
    }

    /// Rows expected in the whole file (from the head's line lengths) and bytes per row.
    static func estimateRows(buffer: [UInt8], size: Int?) -> (rows: Int, bytesPerRow: Int) {
        let newlines = buffer.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let perRow = max(1, buffer.count / max(1, newlines))
        guard let size else { return (newlines + 16, perRow) }
        return (Int(Double(size) / Double(perRow) * 1.03) + 16, perRow)
    }
}

/// The table being assembled from parsed chunks, in order.
final class OutputColumns {
    var plan: ColumnPlan
    var numbers: [[Float]]
    var numberMissing: [Int]
    var textCodes: [[Int32]]
    var textLevels: [[String]]
    var textIndex: [[String: Int32]]
    var textMissing: [Int]
    var times: [[Int64]]
    var timeMissing: [Int]
    var dayMonth: [DayMonthEvidence]
    var lines = RowLines(firstLine: 1)
    var rows = 0
    var linesStarted = false

    init(plan: ColumnPlan, reserve: (rows: Int, bytesPerRow: Int)) {
        self.plan = plan
        let r = reserve.rows
        numbers = (0..<plan.numberSlots).map { _ in var a = [Float](); a.reserveCapacity(r); return a }
        numberMissing = [Int](repeating: 0, count: plan.numberSlots)
        textCodes = (0..<plan.textSlots).map { _ in var a = [Int32](); a.reserveCapacity(r); return a }
        textLevels = [[String]](repeating: [], count: plan.textSlots)
        textIndex = [[String: Int32]](repeating: [:], count: plan.textSlots)
        textMissing = [Int](repeating: 0, count: plan.textSlots)
        times = (0..<plan.timeSlots).map { _ in var a = [Int64](); a.reserveCapacity(r); return a }
        timeMissing = [Int](repeating: 0, count: plan.timeSlots)
        dayMonth = [DayMonthEvidence](repeating: DayMonthEvidence(), count: plan.timeSlots)
    }

    func append(_ p: ChunkParser, firstLine: Int) {
        for s in 0..<plan.numberSlots {
            numbers[s].append(contentsOf: p.numbers[s]); numberMissing[s] += p.numberMissing[s]
        }
        for s in 0..<plan.timeSlots {
            times[s].append(contentsOf: p.times[s]); timeMissing[s] += p.timeMissing[s]
            dayMonth[s].merge(p.dayMonth[s], offset: rows)
        }
        for s in 0..<plan.textSlots {
            // Remap the chunk's codes into the table's dictionary.
            let remap: [Int32] = p.textLevels[s].map { level in
                if let code = textIndex[s][level] { return code }
                let code = Int32(textLevels[s].count)
                textIndex[s][level] = code
                textLevels[s].append(level)
                return code
            }
            textCodes[s].append(contentsOf: p.textCodes[s].lazy.map { $0 < 0 ? -1 : remap[Int($0)] })
            textMissing[s] += p.textMissing[s]
        }
        if p.rows > 0 {
            if !linesStarted { lines = RowLines(firstLine: firstLine + p.rowLines.line(of: 0)); linesStarted = true }
            lines.append(contentsOf: p.rowLines, lineOffset: firstLine)
        }
        rows += p.rows
    }

    /// Decides the day/month order of pattern columns the sample left undecided, from the
    /// evidence of the whole column: rows that read only one way decide it; rows reading only
    /// one way and rows reading only the other are an error, and so is a column whose every
    /// cell reads both ways (unless day and month are always equal, when the order is moot).
    /// Cells were stored as written where they could be, else swapped; so when the swapped
    /// order wins, the cells stored as written (their day is at most 12) are swapped now.
    func resolveDayMonth(names: [String], file: String) throws {
        for (fileIndex, action) in plan.actions.enumerated() {
            guard case .patternTime(let s, let format, true) = action, let written = format.pattern, let swapped = written.dayMonthSwapped else { continue }
            let e = dayMonth[s]
            let name = names[fileIndex]
            func line(_ row: Int) -> Int { lines.line(of: row) }
            switch (e.asWrittenRow, e.swappedRow) {
            case let (a?, b?):
                throw DataError.badTime(SourceLocation(file: file, line: line(max(a, b)), column: fileIndex + 1),
                                        "column '\(name)' mixes day/month orders: line \(line(a)) reads only as \(written.text), line \(line(b)) only as \(swapped.text); make the column consistent")
            case let (a?, nil):
                notes[fileIndex, default: []].append("day/month order: \(written.text), decided from the whole column (line \(line(a)) reads only that way; the first rows read either way)")
            case let (nil, b?):
                for r in times[s].indices where times[s][r] != Int64.min {
                    var c = CivilTime(instant: times[s][r])
                    if c.day <= 12 { (c.day, c.month) = (c.month, c.day); times[s][r] = c.instant() }
                }
                if let i = plan.actions.indices.first(where: { $0 == fileIndex }) {
                    plan.actions[i] = .patternTime(slot: s, format: TimeFormat(pattern: swapped), dayMonthUndecided: false)
                }
                notes[fileIndex, default: []].append("day/month order: \(swapped.text), decided from the whole column (line \(line(b)) reads only that way; the first rows read either way)")
            case (nil, nil):
                guard e.differs else { continue }
                throw DataError.badTime(SourceLocation(file: file, column: fileIndex + 1),
                                        "cannot tell day from month in column '\(name)': every value reads both as \(written.text) and as \(swapped.text); say which with --time-format '\(written.text)' or --time-format '\(swapped.text)'")
            }
        }
    }

    /// Notes from type detection and day/month resolution, by file column.
    var notes: [Int: [String]] = [:]

    func table(source: String, names: [String], byteCount: Int, delimiter: UInt8) -> Table {
        var columns: [Column] = []
        for (fileIndex, _) in plan.outputs {
            let name = names[fileIndex]
            switch plan.actions[fileIndex] {
            case .number(let s):
                columns.append(Column(name: name, fileIndex: fileIndex, values: .numbers(numbers[s]), missing: numberMissing[s]))
            case .text(let s):
                columns.append(Column(name: name, fileIndex: fileIndex, values: .text(codes: textCodes[s], levels: textLevels[s]), missing: textMissing[s]))
            case .isoTime(let s, let format):
                var column = Column(name: name, fileIndex: fileIndex, values: .times(times[s], format), missing: timeMissing[s])
                column.notes = notes[fileIndex] ?? []
                columns.append(column)
            case .numericTime(let s, let format), .patternTime(let s, let format, _):
                var column = Column(name: name, fileIndex: fileIndex, values: .times(times[s], format), missing: timeMissing[s])
                column.notes = notes[fileIndex] ?? []
                columns.append(column)
            case .skip:
                break
            }
        }
        return Table(source: source, columns: columns, rowCount: rows, lines: lines, fileColumnNames: names, byteCount: byteCount, delimiter: delimiter)
    }
}

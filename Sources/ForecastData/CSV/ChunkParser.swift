import CCSV

/// A problem found while parsing a chunk, with the line relative to the chunk start (0-based);
/// the reader turns it into a `DataError` once it knows the chunk's first line.
struct ChunkProblem: Sendable {
    enum Kind: Sendable { case malformed, badValue, badTime }
    var kind: Kind
    var relativeLine: Int
    var column: Int?
    var message: String
}

/// The mutable state and output of one chunk parse. It lives behind a pointer so the libcsv
/// callbacks reach it without reference counting or dynamic exclusivity checks (both are
/// costly per cell, and reference counts shared between threads stall the parallel parse).
struct ChunkState {
    // Output, by slot.
    var numbers: [[Float]]
    var numberMissing: [Int]
    var textCodes: [[Int32]]
    var textLevels: [[String]]
    var textIndex: [[String: Int32]]
    var textMissing: [Int]
    var times: [[Int64]]
    var timeMissing: [Int]
    /// Per time slot: the day/month evidence of a pattern column the sample left undecided.
    var dayMonth: [DayMonthEvidence]
    var rowLines = RowLines(firstLine: 0)
    var rows = 0
    // Parse state.
    /// LF characters passed so far (relative line of the current position).
    var line = 0
    var recordLine = 0
    var newlinesInRecord = 0
    var field = 0
    var pendingCR = false
    var problem: ChunkProblem?
    /// Records to skip at the start (the header, in the first chunk).
    var skipRecords = 0
}

/// What the cells of a pattern column with an undecided day/month order showed: the first row
/// (0-based, in the chunk, then in the table) that reads only as written (its day is above 12),
/// the first that reads only with day and month swapped, and whether any cell has day != month.
struct DayMonthEvidence: Sendable, Equatable {
    var asWrittenRow: Int? = nil
    var swappedRow: Int? = nil
    var differs = false

    /// Combines with the evidence of the rows after (their row numbers shifted by `offset`).
    mutating func merge(_ o: DayMonthEvidence, offset: Int) {
        if asWrittenRow == nil { asWrittenRow = o.asWrittenRow.map { $0 + offset } }
        if swappedRow == nil { swappedRow = o.swappedRow.map { $0 + offset } }
        differs = differs || o.differs
    }
}

/// Parses one chunk of complete records with libcsv into typed column buffers.
///
/// A chunk starts at a record boundary; the reader cuts chunks at newlines outside quotes so
/// chunks can be parsed independently on several threads. Lines are counted per chunk
/// (relative) and shifted afterwards.
final class ChunkParser {
    /// Per file column: 0 skip, 1 number, 2 text, 3 ISO time, 4 numeric time, 5 pattern time.
    let kinds: UnsafeMutableBufferPointer<UInt8>
    let slots: UnsafeMutableBufferPointer<Int>
    private let names: [String]
    /// Per time slot: the format of ISO, numeric and pattern columns.
    let formats: [TimeFormat]
    /// Per time slot: the pattern of pattern columns, and whether its day/month order is undecided.
    private let patterns: [TimePattern?]
    private let undecided: [Bool]
    /// Per time slot: the kind and decimal-year grid of numeric columns (read per cell without
    /// copying the whole format).
    private let numericKinds: [TimeFormat.Kind]
    private let grids: [DecimalYearGrid?]
    let columnCount: Int
    let missing: MissingMatcher
    /// Whether the chunk contains a quote (then fields are scanned for embedded newlines).
    let hasQuotes: Bool
    /// Whether the plain scanner reads the chunk first (no quotes, a delimiter it knows).
    let plain: Bool
    let state: UnsafeMutablePointer<ChunkState>

    init(plan: ColumnPlan, missing: MissingMatcher, hasQuotes: Bool, plain: Bool, expectedRows: Int) {
        columnCount = plan.actions.count
        kinds = .allocate(capacity: max(1, columnCount))
        slots = .allocate(capacity: max(1, columnCount))
        var formats = [TimeFormat](repeating: TimeFormat(kind: .dateTime), count: plan.timeSlots)
        var patterns = [TimePattern?](repeating: nil, count: plan.timeSlots)
        var undecided = [Bool](repeating: false, count: plan.timeSlots)
        for (i, a) in plan.actions.enumerated() {
            switch a {
            case .skip: kinds[i] = 0; slots[i] = 0
            case .number(let s): kinds[i] = 1; slots[i] = s
            case .text(let s): kinds[i] = 2; slots[i] = s
            case .isoTime(let s, let f): kinds[i] = 3; slots[i] = s; formats[s] = f
            case .numericTime(let s, let f): kinds[i] = 4; slots[i] = s; formats[s] = f
            case .patternTime(let s, let f, let u): kinds[i] = 5; slots[i] = s; formats[s] = f; patterns[s] = f.pattern; undecided[s] = u
            }
        }
        self.formats = formats
        self.numericKinds = formats.map(\.kind)
        self.grids = formats.map(\.decimalGrid)
        self.patterns = patterns
        self.undecided = undecided
        names = plan.names
        self.missing = missing
        self.hasQuotes = hasQuotes
        self.plain = plain && !hasQuotes
        state = .allocate(capacity: 1)
        state.initialize(to: ChunkState(
            numbers: (0..<plan.numberSlots).map { _ in var a = [Float](); a.reserveCapacity(expectedRows); return a },
            numberMissing: [Int](repeating: 0, count: plan.numberSlots),
            textCodes: (0..<plan.textSlots).map { _ in var a = [Int32](); a.reserveCapacity(expectedRows); return a },
            textLevels: [[String]](repeating: [], count: plan.textSlots),
            textIndex: [[String: Int32]](repeating: [:], count: plan.textSlots),
            textMissing: [Int](repeating: 0, count: plan.textSlots),
            times: (0..<plan.timeSlots).map { _ in var a = [Int64](); a.reserveCapacity(expectedRows); return a },
            timeMissing: [Int](repeating: 0, count: plan.timeSlots),
            dayMonth: [DayMonthEvidence](repeating: DayMonthEvidence(), count: plan.timeSlots)))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
        kinds.deallocate()
        slots.deallocate()
    }

    // Results, read by the reader after parsing.
    var numbers: [[Float]] { state.pointee.numbers }
    var numberMissing: [Int] { state.pointee.numberMissing }
    var textCodes: [[Int32]] { state.pointee.textCodes }
    var textLevels: [[String]] { state.pointee.textLevels }
    var textMissing: [Int] { state.pointee.textMissing }
    var times: [[Int64]] { state.pointee.times }
    var timeMissing: [Int] { state.pointee.timeMissing }
    var dayMonth: [DayMonthEvidence] { state.pointee.dayMonth }
    var rowLines: RowLines { state.pointee.rowLines }
    var rows: Int { state.pointee.rows }
    var line: Int { state.pointee.line }
    var problem: ChunkProblem? { state.pointee.problem }
    var skipRecords: Int {
        get { state.pointee.skipRecords }
        set { state.pointee.skipRecords = newValue }
    }

    /// Parses `bytes` (complete records; the last may lack its newline).
    ///
    /// A chunk without quotes is first read by the plain scanner (ChunkParser+Plain.swift);
    /// when that meets anything it does not handle itself (a short or long record, spaces
    /// around a cell, a lone CR, a bad value) the chunk is parsed again from its start by
    /// libcsv, which is the parser of record: every error message comes from that path.
    func parse(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8) {
        if !plain {
            parseWithLibcsv(bytes, delimiter: delimiter)
            return
        }
        let skip = state.pointee.skipRecords
        if parsePlain(bytes, delimiter: delimiter) { return }
        reset(skipRecords: skip)
        parseWithLibcsv(bytes, delimiter: delimiter)
    }

    /// Forgets everything parsed so far (before parsing the chunk again).
    func reset(skipRecords: Int) {
        let s = state
        for i in s.pointee.numbers.indices { s.pointee.numbers[i].removeAll(keepingCapacity: true) }
        for i in s.pointee.textCodes.indices { s.pointee.textCodes[i].removeAll(keepingCapacity: true) }
        for i in s.pointee.times.indices { s.pointee.times[i].removeAll(keepingCapacity: true) }
        for i in s.pointee.numberMissing.indices { s.pointee.numberMissing[i] = 0 }
        for i in s.pointee.textMissing.indices { s.pointee.textMissing[i] = 0 }
        for i in s.pointee.timeMissing.indices { s.pointee.timeMissing[i] = 0 }
        for i in s.pointee.dayMonth.indices { s.pointee.dayMonth[i] = DayMonthEvidence() }
        for i in s.pointee.textLevels.indices { s.pointee.textLevels[i] = []; s.pointee.textIndex[i] = [:] }
        s.pointee.rowLines = RowLines(firstLine: 0)
        s.pointee.rows = 0
        s.pointee.line = 0
        s.pointee.recordLine = 0
        s.pointee.newlinesInRecord = 0
        s.pointee.field = 0
        s.pointee.pendingCR = false
        s.pointee.problem = nil
        s.pointee.skipRecords = skipRecords
    }

    /// Parses `bytes` with libcsv, one callback per field and per line end.
    func parseWithLibcsv(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8) {
        let parser = UnsafeMutablePointer<csv_parser>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard csv_init(parser, UInt8(CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI)) == 0 else {
            state.pointee.problem = ChunkProblem(kind: .malformed, relativeLine: 0, column: nil, message: "cannot initialise the CSV parser")
            return
        }
        defer { csv_free(parser) }
        csv_set_delim(parser, delimiter)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { p, n, ctx in
            guard let ctx else { return }
            Unmanaged<ChunkParser>.fromOpaque(ctx)._withUnsafeGuaranteedRef {
                $0.onField(p.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }, n)
            }
        }
        let onRecord: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { c, ctx in
            guard let ctx else { return }
            Unmanaged<ChunkParser>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.onRecord(c) }
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let used = csv_parse(parser, base, bytes.count, onField, onRecord, context)
        if state.pointee.problem != nil { return }
        if used != bytes.count {
            reportSyntax(at: base.assumingMemoryBound(to: UInt8.self), offset: used, count: bytes.count)
            return
        }
        if csv_fini(parser, onField, onRecord, context) != 0 && state.pointee.problem == nil {
            state.pointee.problem = ChunkProblem(kind: .malformed, relativeLine: state.pointee.recordLine, column: state.pointee.field + 1,
                                                 message: "unterminated quoted field: a field opened with a quote is never closed")
        }
    }

    /// Explains a libcsv strict-mode failure at byte `offset`.
    private func reportSyntax(at p: UnsafePointer<UInt8>, offset: Int, count: Int) {
        let at = min(offset, count - 1)
        let c = p[at]
        let message: String
        if c == 0x22 {
            message = "unexpected quote character inside an unquoted field (quote the whole field and double inner quotes: \"a\"\"b\")"
        } else {
            message = "unexpected character \(quoteForMessage([c])) after a closing quote; expected a delimiter or the end of the line"
        }
        fail(.malformed, message)
    }

    private func fail(_ kind: ChunkProblem.Kind, _ message: String, line l: Int? = nil, column: Int? = nil) {
        let s = state
        if s.pointee.problem == nil {
            s.pointee.problem = ChunkProblem(kind: kind, relativeLine: l ?? (s.pointee.line + s.pointee.newlinesInRecord),
                                             column: column ?? (s.pointee.field + 1), message: message)
        }
    }

    private func cellText(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
        quoteForMessage(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n))
    }

    @inline(__always)
    func onField(_ p: UnsafePointer<UInt8>?, _ n: Int) {
        let s = state
        if s.pointee.problem != nil { return }
        if s.pointee.pendingCR {
            fail(.malformed, "a carriage return (CR) without a line feed ends the previous line; lines must end with LF or CRLF", column: 1)
            return
        }
        let field = s.pointee.field
        if field == 0 { s.pointee.recordLine = s.pointee.line }
        s.pointee.field = field + 1
        if hasQuotes, let p, n > 0 {
            var k = 0
            for i in 0..<n where p[i] == 0x0A { k += 1 }
            s.pointee.newlinesInRecord += k
        }
        guard field < columnCount, s.pointee.skipRecords == 0 else { return }   // extra fields are reported at the end of the record
        store(field, p, n)
    }

    /// Converts cell `p[0..<n]` of file column `field` and appends it to its output column
    /// (or records the problem). The cell is already unquoted and trimmed.
    @inline(__always)
    func store(_ field: Int, _ p: UnsafePointer<UInt8>?, _ n: Int) {
        let s = state
        let slot = slots[field]
        switch kinds[field] {
        case 1:
            if missing.hasNumericTokens && missing.isMissing(p, n) {
                s.pointee.numbers[slot].append(.nan); s.pointee.numberMissing[slot] += 1
                return
            }
            switch NumberParser.parseFloat(p, n) {
            case .value(let v):
                s.pointee.numbers[slot].append(v)
            case .invalid:
                if missing.isMissing(p, n) {
                    s.pointee.numbers[slot].append(.nan); s.pointee.numberMissing[slot] += 1
                } else {
                    failCell(.badValue, "expected a number in column '\(names[field])', found \(cellText(p, n))")
                }
            case .outOfRange:
                failCell(.badValue, "number out of range for Float32 (largest is about 3.4e38) in column '\(names[field])': \(cellText(p, n))")
            }
        case 2:
            if missing.isMissing(p, n) {
                s.pointee.textCodes[slot].append(-1); s.pointee.textMissing[slot] += 1
                return
            }
            let text = p.map { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) } ?? ""
            if let code = s.pointee.textIndex[slot][text] {
                s.pointee.textCodes[slot].append(code)
            } else {
                let code = Int32(s.pointee.textLevels[slot].count)
                s.pointee.textIndex[slot][text] = code
                s.pointee.textLevels[slot].append(text)
                s.pointee.textCodes[slot].append(code)
            }
        case 3:
            if let t = TimeParser.parseISO(p, n) {
                let format = formats[slot]
                if TimeParser.compatible(t.format, format) {
                    s.pointee.times[slot].append(t.instant)
                } else {
                    failCell(.badTime, "mixed time formats in column '\(names[field])': expected \(format) like the rows before, found \(cellText(p, n)) (\(t.format))")
                }
            } else if missing.isMissing(p, n) {
                s.pointee.times[slot].append(Int64.min); s.pointee.timeMissing[slot] += 1
            } else {
                failCell(.badTime, "expected a time (\(formats[slot])) in column '\(names[field])', found \(cellText(p, n))")
            }
        case 4:
            if let t = TimeParser.instant(p, n, kind: numericKinds[slot], grid: grids[slot]) {
                s.pointee.times[slot].append(t)
            } else if missing.isMissing(p, n) {
                s.pointee.times[slot].append(Int64.min); s.pointee.timeMissing[slot] += 1
            } else if numericKinds[slot] != .decimalYear && numericKinds[slot] != .excelSerial, TimeParser.integer(p, n) != nil {
                failCell(.badTime, "\(formats[slot]) \(cellText(p, n)) in column '\(names[field])' is out of range (years 1 to 9999): is the unit right? (--time-format epoch-s, epoch-ms, epoch-us or epoch-ns)")
            } else if grids[slot] != nil, NumberParser.parseDouble(p, n) != nil {
                failCell(.badTime, "decimal year \(cellText(p, n)) in column '\(names[field])' is not on the column's grid (\(formats[slot]), inferred from the first rows); the column must keep one R frequency and start")
            } else {
                failCell(.badTime, "expected a time (\(formats[slot])) in column '\(names[field])', found \(cellText(p, n))")
            }
        case 5:
            storePattern(field, slot, p, n)
        default:
            return
        }
    }

    /// A pattern cell. With the day/month order undecided, a cell is read as written when it
    /// can be, else with day and month swapped, and the rows that read only one way are noted.
    private func storePattern(_ field: Int, _ slot: Int, _ p: UnsafePointer<UInt8>?, _ n: Int) {
        let s = state
        guard let pattern = patterns[slot], let f = pattern.fields(p, n) else {
            if missing.isMissing(p, n) {
                s.pointee.times[slot].append(Int64.min); s.pointee.timeMissing[slot] += 1
            } else {
                failCell(.badTime, "expected a time (\(formats[slot])) in column '\(names[field])', found \(cellText(p, n))")
            }
            return
        }
        if let t = f.instant() {
            s.pointee.times[slot].append(t)
            if undecided[slot] {
                if f.day != f.month { s.pointee.dayMonth[slot].differs = true }
                if f.day > 12, s.pointee.dayMonth[slot].asWrittenRow == nil { s.pointee.dayMonth[slot].asWrittenRow = s.pointee.rows }
            }
        } else if undecided[slot], let t = f.swapped.instant() {
            s.pointee.times[slot].append(t)
            s.pointee.dayMonth[slot].differs = true
            if s.pointee.dayMonth[slot].swappedRow == nil { s.pointee.dayMonth[slot].swappedRow = s.pointee.rows }
        } else {
            failCell(.badTime, "impossible time \(cellText(p, n)) in column '\(names[field])' (read as \(pattern.text))")
        }
    }

    /// Fails for the cell just counted (field was already advanced).
    private func failCell(_ kind: ChunkProblem.Kind, _ message: String) {
        fail(kind, message, column: state.pointee.field)
    }

    @inline(__always)
    func onRecord(_ c: Int32) {
        let s = state
        if s.pointee.problem != nil { return }
        switch c {
        case 0x0D:
            if s.pointee.pendingCR {
                fail(.malformed, "a carriage return (CR) without a line feed ends the previous line; lines must end with LF or CRLF", column: 1)
                return
            }
            finishRecord()
            s.pointee.pendingCR = true
        case 0x0A:
            if s.pointee.field > 0 { finishRecord() }
            s.pointee.pendingCR = false
            s.pointee.line += 1
        default:   // end of input
            if s.pointee.field > 0 { finishRecord() }
        }
    }

    private func finishRecord() {
        let s = state
        let found = s.pointee.field
        guard found > 0 else { return }
        if s.pointee.skipRecords > 0 {
            s.pointee.skipRecords -= 1
        } else if found != columnCount {
            let col = found < columnCount ? found + 1 : columnCount + 1
            fail(.malformed, "expected \(columnCount) fields as in the header, found \(found)", line: s.pointee.recordLine, column: col)
            return
        } else {
            s.pointee.rowLines.append(line: s.pointee.recordLine)
            s.pointee.rows += 1
        }
        s.pointee.line += s.pointee.newlinesInRecord
        s.pointee.newlinesInRecord = 0
        s.pointee.field = 0
    }
}

import CCSV

/// Reads the first records of a file with libcsv, keeping every cell's bytes, for header
/// names and type inference.
final class SampleCollector {
    var records: [[[UInt8]]] = []
    var recordLines: [Int] = []
    var current: [[UInt8]] = []
    let limit: Int
    var line = 0
    var newlinesInRecord = 0
    var recordLine = 0
    var pendingCR = false
    var problem: ChunkProblem?
    var complete = false

    init(limit: Int) { self.limit = limit }

    /// Collects up to `limit` complete records from `bytes`; `atEnd` says the bytes are the whole input.
    func collect(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8, atEnd: Bool) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { complete = atEnd; return }
        let parser = UnsafeMutablePointer<csv_parser>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard csv_init(parser, UInt8(CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI)) == 0 else { return }
        defer { csv_free(parser) }
        csv_set_delim(parser, delimiter)
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { p, n, ctx in
            guard let ctx else { return }
            let me = Unmanaged<SampleCollector>.fromOpaque(ctx).takeUnretainedValue()
            me.onField(p.map { UnsafeRawBufferPointer(start: $0, count: n) } ?? UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let onRecord: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { c, ctx in
            guard let ctx else { return }
            Unmanaged<SampleCollector>.fromOpaque(ctx).takeUnretainedValue().onRecord(c)
        }
        let used = csv_parse(parser, base, bytes.count, onField, onRecord, ctx)
        if problem != nil || records.count >= limit { return }
        if used != bytes.count {
            let c = base.load(fromByteOffset: min(used, bytes.count - 1), as: UInt8.self)
            problem = ChunkProblem(kind: .malformed, relativeLine: line + newlinesInRecord, column: current.count + 1,
                                   message: c == 0x22 ? "unexpected quote character inside an unquoted field (quote the whole field and double inner quotes: \"a\"\"b\")"
                                                      : "unexpected character \(quoteForMessage([c])) after a closing quote; expected a delimiter or the end of the line")
            return
        }
        if atEnd {
            if csv_fini(parser, onField, onRecord, ctx) != 0 && problem == nil {
                problem = ChunkProblem(kind: .malformed, relativeLine: recordLine, column: current.count + 1,
                                       message: "unterminated quoted field: a field opened with a quote is never closed")
            }
            complete = true
        }
    }

    func onField(_ cell: UnsafeRawBufferPointer) {
        if problem != nil || records.count >= limit { return }
        if pendingCR {
            problem = ChunkProblem(kind: .malformed, relativeLine: line, column: 1,
                                   message: "a carriage return (CR) without a line feed ends the previous line; lines must end with LF or CRLF")
            return
        }
        if current.isEmpty { recordLine = line }
        let bytes = [UInt8](cell)
        if bytes.contains(0) {
            problem = ChunkProblem(kind: .malformed, relativeLine: line + newlinesInRecord, column: current.count + 1,
                                   message: "binary data (a NUL byte); expected a text CSV file")
            return
        }
        for b in bytes where b == 0x0A { newlinesInRecord += 1 }
        current.append(bytes)
    }

    func onRecord(_ c: Int32) {
        if problem != nil || records.count >= limit { return }
        if c == 0x0D {
            if pendingCR {
                problem = ChunkProblem(kind: .malformed, relativeLine: line, column: 1,
                                       message: "a carriage return (CR) without a line feed ends the previous line; lines must end with LF or CRLF")
                return
            }
            finish(); pendingCR = true
        } else if c == 0x0A {
            finish(); pendingCR = false; line += 1
        } else {
            finish()
        }
    }

    private func finish() {
        guard !current.isEmpty else { return }
        records.append(current)
        recordLines.append(recordLine)
        current = []
        line += newlinesInRecord
        newlinesInRecord = 0
    }
}

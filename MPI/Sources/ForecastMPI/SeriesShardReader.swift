import Foundation
import Forecast

/// Reads only this rank's series of a long-format CSV file (`forecast-mpi train --shard-series`).
///
/// The file is streamed once in 4 MB blocks; every line's series key is looked up (the key
/// column found in the header). Series are numbered in order of first appearance (the order of
/// a ``TimeSeriesSet`` built from the whole file), and series g belongs to rank `g % ranks`:
/// deterministic, balanced within one series, and known to every rank without communication.
/// Lines of other ranks' series are replaced by empty lines (one byte each), which the CSV reader
/// skips, so error messages still name the file's own line numbers. Memory: this rank's lines
/// plus the key of every series, never the whole file.
///
/// Limits: one record per line (a quoted field may hold the delimiter, not a line break).
struct SeriesShardReader {
    let path: String
    let keyColumn: String
    let rank: Int
    let ranks: Int

    struct Result {
        var table: Table
        /// Global series number of each key (every series of the file).
        var globalIndex: [String: Int]
        var seriesCount: Int
    }

    func read() throws -> Result {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataError.invalidArgument("\(path): cannot open the file")
        }
        defer { try? handle.close() }
        var kept: [UInt8] = []
        var globalIndex: [String: Int] = [:]
        var pending: [UInt8] = []
        var lineNumber = 0
        var keyField: Int? = nil
        var delimiter: UInt8 = 0x2C
        func take(line: ArraySlice<UInt8>) throws {
            lineNumber += 1
            if keyField == nil {
                var header = Array(line)
                if lineNumber == 1, header.starts(with: [0xEF, 0xBB, 0xBF]) { header.removeFirst(3) }
                let text = String(decoding: header, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { kept.append(0x0A); return }
                for d: UInt8 in [0x2C, 0x3B, 0x09, 0x7C] {
                    let names = SeriesShardReader.fields(ArraySlice(header), delimiter: d).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                    if let k = names.firstIndex(of: keyColumn) { keyField = k; delimiter = d; break }
                }
                guard keyField != nil else {
                    throw DataError.malformed(SourceLocation(file: path, line: lineNumber), "no series key column '\(keyColumn)' in the header")
                }
                kept.append(contentsOf: line); kept.append(0x0A)
                return
            }
            let fields = SeriesShardReader.fields(line, delimiter: delimiter)
            if fields.allSatisfy({ $0.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 } }) && fields.count <= 1 {
                kept.append(0x0A); return   // blank line
            }
            guard let k = keyField, k < fields.count else {
                throw DataError.malformed(SourceLocation(file: path, line: lineNumber), "\(fields.count) fields; the series key '\(keyColumn)' is field \((keyField ?? 0) + 1)")
            }
            let key = SeriesShardReader.keyText(String(decoding: fields[k], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            let g: Int
            if let known = globalIndex[key] { g = known } else { g = globalIndex.count; globalIndex[key] = g }
            if g % ranks == rank { kept.append(contentsOf: line) }
            kept.append(0x0A)
        }
        while true {
            let block = try handle.read(upToCount: 4 << 20) ?? Data()
            if block.isEmpty { break }
            pending.append(contentsOf: block)
            var start = pending.startIndex
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                try take(line: pending[start..<nl])
                start = nl + 1
            }
            pending.removeSubrange(pending.startIndex..<start)
        }
        if !pending.isEmpty { try take(line: pending[...]) }
        var options = CSVOptions()
        options.displayName = path
        let table = try CSVReader.read(bytes: kept, name: path, options: options)
        return Result(table: table, globalIndex: globalIndex, seriesCount: globalIndex.count)
    }

    /// The fields of one line: split at `delimiter` outside double quotes, quotes removed.
    static func fields(_ line: ArraySlice<UInt8>, delimiter: UInt8) -> [[UInt8]] {
        var out: [[UInt8]] = [], field: [UInt8] = []
        var quoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == 0x22 {
                if quoted, i + 1 < line.endIndex, line[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted.toggle() }
            } else if c == delimiter && !quoted {
                out.append(field); field = []
            } else {
                field.append(c)
            }
            i += 1
        }
        out.append(field)
        return out
    }

    /// A key as ``TimeSeriesSet`` names it: integral numbers without a decimal part.
    static func keyText(_ s: String) -> String {
        if let v = Float(s), v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return s
    }
}

/// Infers a column's type from sample cells (missing cells already removed):
/// mostly numbers (more than half) -> `number` (or `time` when the header names a time and the
/// values look like decimal years or epoch seconds/milliseconds); at least half ISO-8601 times
/// in one style -> `time`; anything else -> `text`. A column with no sample values is a
/// number column. A minority of odd cells does not change the type: those cells fail later
/// with an error naming their line and column, rather than silently turning a numeric column
/// into text.
enum TypeInference {
    /// Header names that mark a numeric column as time.
    static let timeNames: Set<String> = ["time", "timestamp", "date", "datetime", "ds", "epoch", "index_time", "time_hour", "unix_time", "epoch_ms", "epoch_s"]

    static func action(name: String, cells: [[UInt8]], forced: ColumnType?, slots: inout (number: Int, text: Int, time: Int)) throws -> (CellAction, ColumnType) {
        func number() -> (CellAction, ColumnType) { defer { slots.number += 1 }; return (.number(slot: slots.number), .number) }
        func text() -> (CellAction, ColumnType) { defer { slots.text += 1 }; return (.text(slot: slots.text), .text) }
        func time(_ a: (Int) -> CellAction) -> (CellAction, ColumnType) { defer { slots.time += 1 }; return (a(slots.time), .time) }

        let iso = isoStyle(cells)
        let doubles = numericValues(cells)
        let mostlyNumbers = doubles.count * 2 > cells.count
        let mostlyISO = iso.count * 2 >= cells.count && iso.count > 0
        switch forced {
        case .number?: return number()
        case .text?: return text()
        case .time?:
            if let f = iso.format, mostlyISO { return time { .isoTime(slot: $0, format: f) } }
            if mostlyNumbers, let kind = TimeParser.numericKind(of: doubles) { return time { .numericTime(slot: $0, kind: kind) } }
            if cells.isEmpty { return time { .isoTime(slot: $0, format: TimeFormat(kind: .dateTime)) } }
            throw DataError.invalidArgument("column '\(name)' was given the type time, but its values are neither ISO-8601 times, decimal years nor epoch seconds/milliseconds")
        case nil:
            if cells.isEmpty { return number() }
            if mostlyNumbers {
                if timeNames.contains(name.lowercased()), let kind = TimeParser.numericKind(of: doubles) {
                    return time { .numericTime(slot: $0, kind: kind) }
                }
                return number()
            }
            if mostlyISO, let f = iso.format { return time { .isoTime(slot: $0, format: f) } }
            return text()
        }
    }

    /// The most common ISO style among the cells (its first format) and how many cells have it.
    static func isoStyle(_ cells: [[UInt8]]) -> (format: TimeFormat?, count: Int) {
        var groups: [(format: TimeFormat, count: Int)] = []
        for c in cells {
            guard let t = c.withUnsafeBufferPointer({ TimeParser.parseISO($0.baseAddress, $0.count) }) else { continue }
            if let g = groups.firstIndex(where: { TimeParser.compatible($0.format, t.format) }) {
                groups[g].count += 1
            } else {
                groups.append((t.format, 1))
            }
        }
        guard let best = groups.max(by: { $0.count < $1.count }) else { return (nil, 0) }
        return (best.format, best.count)
    }

    /// The cells that are numbers, as Doubles (syntactically valid numbers beyond Double's
    /// range count as infinity; they fail later with a clear error).
    static func numericValues(_ cells: [[UInt8]]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(cells.count)
        for c in cells {
            let d: Double?? = c.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress, NumberParser.scan(base, b.count) != nil else { return nil }
                return .some(NumberParser.parseDouble(base, b.count))
            }
            guard let syntaxOK = d else { continue }
            out.append(syntaxOK ?? .infinity)
        }
        return out
    }
}

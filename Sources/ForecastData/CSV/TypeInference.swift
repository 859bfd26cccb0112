/// Infers a column's type from sample cells (missing cells already removed):
/// mostly numbers (more than half) -> `number` (or `time` when the header names a time and the
/// values look like decimal years or epoch values); at least half ISO-8601 times in one style,
/// or at least half in one of the known patterns (`TimeFormatDetection`) -> `time`; anything
/// else -> `text`. A column with no sample values is a number column. A minority of odd cells
/// does not change the type: those cells fail later with an error naming their line and
/// column, rather than silently turning a numeric column into text.
enum TypeInference {
    /// Header names that mark a numeric column as time.
    static let timeNames: Set<String> = ["time", "timestamp", "date", "datetime", "ds", "epoch", "index_time", "time_hour", "unix_time",
                                         "epoch_ms", "epoch_s", "epoch_us", "epoch_ns", "decimal_year", "date_decimal"]

    /// The action for one column. `requested` is the user's time format for this column (then
    /// the column is time whatever its name); `notes` receives what detection had to resolve.
    static func action(name: String, cells: [[UInt8]], forced: ColumnType?, requested: TimeFormatSpec? = nil,
                       slots: inout (number: Int, text: Int, time: Int), notes: inout [String]) throws -> (CellAction, ColumnType) {
        func number() -> (CellAction, ColumnType) { defer { slots.number += 1 }; return (.number(slot: slots.number), .number) }
        func text() -> (CellAction, ColumnType) { defer { slots.text += 1 }; return (.text(slot: slots.text), .text) }
        func time(_ d: TimeFormatDetection.Detected) -> (CellAction, ColumnType) {
            defer { slots.time += 1 }
            notes += d.notes
            switch d.format.kind {
            case .date, .yearMonth, .dateTime: return (.isoTime(slot: slots.time, format: d.format), .time)
            case .pattern: return (.patternTime(slot: slots.time, format: d.format, dayMonthUndecided: d.dayMonthUndecided), .time)
            default: return (.numericTime(slot: slots.time, format: d.format), .time)
            }
        }

        let doubles = numericValues(cells)
        let mostlyNumbers = doubles.count * 2 > cells.count
        if let requested, forced != .number, forced != .text {
            return time(try TimeFormatDetection.requested(requested, column: name, cells: cells, doubles: doubles))
        }
        switch forced {
        case .number?: return number()
        case .text?: return text()
        case .time?:
            if let d = TimeFormatDetection.iso(cells) { return time(d) }
            if mostlyNumbers, let d = TimeFormatDetection.numeric(cells, doubles) { return time(d) }
            if let d = TimeFormatDetection.pattern(cells) { return time(d) }
            if cells.isEmpty { return time(.init(format: TimeFormat(kind: .dateTime))) }
            throw DataError.invalidArgument("column '\(name)' was given the type time, but its values are neither ISO-8601 times, a known date pattern, decimal years nor epoch numbers; name the format with --time-format (\(TimeFormatSpec.acceptedForms))")
        case nil:
            if cells.isEmpty { return number() }
            if mostlyNumbers {
                if timeNames.contains(name.lowercased()), let d = TimeFormatDetection.numeric(cells, doubles) { return time(d) }
                return number()
            }
            if let d = TimeFormatDetection.iso(cells) { return time(d) }
            if let d = TimeFormatDetection.pattern(cells) { return time(d) }
            return text()
        }
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

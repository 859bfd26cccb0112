/// What the parser does with each cell of a file column.
enum CellAction: Sendable, Equatable {
    case skip
    /// Parse a Float32 into number slot `slot`.
    case number(slot: Int)
    /// Dictionary-encode into text slot `slot`.
    case text(slot: Int)
    /// Parse an ISO-8601 time compatible with `format` into time slot `slot`.
    case isoTime(slot: Int, format: TimeFormat)
    /// Parse a number and convert it to an instant in `format` (decimal year, epoch value, Excel
    /// serial) into time slot `slot`.
    case numericTime(slot: Int, format: TimeFormat)
    /// Parse a cell written in `format`'s pattern into time slot `slot`. When the sample could
    /// not decide the day/month order, cells are read in either order and the evidence is
    /// collected (`DayMonthEvidence`) for the reader to decide on the whole column.
    case patternTime(slot: Int, format: TimeFormat, dayMonthUndecided: Bool)
}

/// The per-file plan: header names, one action per file column, and for each output column
/// (in output order) where it comes from.
struct ColumnPlan: Sendable {
    var names: [String]
    var actions: [CellAction]
    /// Output columns: (file index, type) in the order the table will list them.
    var outputs: [(fileIndex: Int, type: ColumnType)]
    var numberSlots = 0
    var textSlots = 0
    var timeSlots = 0
    /// What type detection had to resolve, by file column.
    var notes: [Int: [String]] = [:]
}

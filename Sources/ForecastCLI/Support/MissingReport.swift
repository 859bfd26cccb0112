import Forecast

/// A one-line account of the missing values a policy will fill or skip, so nothing is
/// changed silently.
enum MissingReport {
    static func describe(_ set: TimeSeriesSet, columns: [String], policy: MissingPolicy) -> String? {
        guard policy != .error else { return nil }
        var parts: [String] = []
        var firstLine: Int? = nil
        for name in columns {
            guard let c = set.columnIndex(name) else { continue }
            var count = 0
            for s in set.series {
                for (r, v) in s.values[c].enumerated() where v.isNaN {
                    count += 1
                    if firstLine == nil, s.lines[r] > 0 { firstLine = s.lines[r] }
                }
            }
            if count > 0 { parts.append("\(count) in '\(name)'") }
        }
        guard !parts.isEmpty else { return nil }
        let action: String
        switch policy {
        case .interpolate: action = "filled by linear interpolation"
        case .ffill: action = "filled with the previous value"
        case .drop: action = "windows touching them are skipped"
        case .error: action = ""
        }
        return "missing values: \(parts.joined(separator: ", "))\(firstLine.map { " (first at line \($0))" } ?? ""); \(action) (--missing error to refuse them)"
    }
}

/// What to do with missing values (NaN) in the columns a model uses.
public enum MissingPolicy: String, Sendable, Codable, CaseIterable {
    /// Stop with an error naming the first missing cell's line and column (default).
    case error
    /// Skip every window that touches a missing value (inputs or targets).
    case drop
    /// Carry the last value forward (leading gaps take the first value).
    case ffill
    /// Linear interpolation in time (by timestamp, or by row without one); leading and
    /// trailing gaps take the nearest value.
    case interpolate

    /// Fills `values` in place for `.ffill` and `.interpolate`; nothing for the others.
    /// Returns false when the column has no value at all to fill from.
    @discardableResult
    public func fill(_ values: inout [Float], times: [Int64]?) -> Bool {
        guard self == .ffill || self == .interpolate else { return true }
        guard let firstValid = values.firstIndex(where: { !$0.isNaN }) else { return values.isEmpty }
        for i in 0..<firstValid { values[i] = values[firstValid] }
        if self == .ffill {
            var last = values[firstValid]
            for i in firstValid..<values.count {
                if values[i].isNaN { values[i] = last } else { last = values[i] }
            }
            return true
        }
        var prev = firstValid
        var i = firstValid + 1
        while i < values.count {
            if !values[i].isNaN { prev = i; i += 1; continue }
            var next = i
            while next < values.count && values[next].isNaN { next += 1 }
            if next == values.count {
                for j in i..<values.count { values[j] = values[prev] }
                break
            }
            let a = Double(values[prev]), b = Double(values[next])
            for j in i..<next {
                let w: Double
                if let t = times, t[next] != t[prev] {
                    w = Double(t[j] - t[prev]) / Double(t[next] - t[prev])
                } else {
                    w = Double(j - prev) / Double(next - prev)
                }
                values[j] = Float(a + (b - a) * w)
            }
            prev = next
            i = next + 1
        }
        return true
    }
}

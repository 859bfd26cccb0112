/// A chronological train / validation / test split by fractions of each series' rows.
///
/// Each series is cut at `round(n * (1 - validation - test))` and `round(n * (1 - test))`.
/// A window belongs to the part holding its target rows, and all of its target rows must lie
/// in that one part, so no window's targets cross a boundary and no training window sees
/// validation or test values. With `boundary: .targets` (default) a validation or test
/// window's inputs may reach back into earlier parts (they are the past, as at forecast
/// time); with `.whole` the entire window must lie inside its part.
public struct SplitSpec: Sendable, Equatable, Codable {
    public enum Boundary: String, Sendable, Codable, CaseIterable { case targets, whole }

    public var validation: Double
    public var test: Double
    public var boundary: Boundary

    public init(validation: Double = 0.1, test: Double = 0.1, boundary: Boundary = .targets) {
        self.validation = validation; self.test = test; self.boundary = boundary
    }

    /// No validation or test part.
    public static let none = SplitSpec(validation: 0, test: 0)

    func validate() throws {
        guard validation >= 0, test >= 0, validation + test < 1 else {
            throw DataError.invalidArgument("split fractions must be non-negative and leave rows for training (validation \(validation), test \(test))")
        }
    }

    /// The first validation row and the first test row of a series of `n` rows.
    public func boundaries(rows n: Int) -> (validationStart: Int, testStart: Int) {
        let v = Int((Double(n) * (1 - validation - test)).rounded())
        let t = Int((Double(n) * (1 - test)).rounded())
        return (min(v, n), min(max(t, v), n))
    }
}

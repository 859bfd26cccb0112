/// What a model file's `conformal` section could get wrong (``ConformalCalibration``).
extension ConformalCalibration {
    /// Checks a calibration read from a file for a model of `M` forecast elements
    /// (steps × targets) and `P` targets: one sorted list of finite scores per element (non-negative
    /// unless signed; an empty list, an element never observed, gives NaN bounds), and local and step scales of the right counts, finite and
    /// positive; a refit count (``folds``) in 0...``ConformalFolds/maximumCount``, with interpolated quantiles. Throws a message naming the field (`conformal.<field>`).
    public func check(elements M: Int, targets P: Int) throws {
        func bad(_ field: String, _ why: String) -> DataError { DataError.invalidArgument("conformal.\(field): \(why)") }
        guard residuals.count == M else { throw bad("residuals", "holds \(residuals.count) score lists for \(M) forecast elements") }
        for (m, r) in residuals.enumerated() {
            guard r.allSatisfy({ $0.isFinite && (signed == true || $0 >= 0) }) else {
                throw bad("residuals[\(m)]", signed == true ? "a score is not finite" : "a score is negative or not finite")
            }
            guard zip(r, r.dropFirst()).allSatisfy({ $0 <= $1 }) else { throw bad("residuals[\(m)]", "not sorted ascending") }
        }
        guard windows >= 0 else { throw bad("windows", "\(windows) is negative") }
        if let rows = scaleRows, !(2...100_000).contains(rows) { throw bad("scaleRows", "\(rows) is not in 2...100000") }
        if (scaleRows == nil) != (scaleFloor == nil) { throw bad("scaleFloor", "scaleRows and scaleFloor come together") }
        if let floor = scaleFloor {
            guard floor.count == P else { throw bad("scaleFloor", "holds \(floor.count) values for \(P) targets") }
            guard floor.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw bad("scaleFloor", "a value is not finite and positive") }
        }
        if let k = folds {
            guard (0...ConformalFolds.maximumCount).contains(k) else { throw bad("folds", "\(k) is not in 0...\(ConformalFolds.maximumCount)") }
            guard interpolated == true else { throw bad("folds", "refits (the cross rule) need interpolated quantiles") }
        }
        if let ratios = foldErrorRatios {
            guard let k = folds, ratios.count >= k, ratios.count <= ConformalFolds.maximumCount else {
                throw bad("foldErrorRatios", "holds \(ratios.count) ratios for \(folds.map(String.init) ?? "no") refits")
            }
        }
        if let sigma = stepScales {
            guard sigma.count == M else { throw bad("stepScales", "holds \(sigma.count) values for \(M) forecast elements") }
            guard sigma.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw bad("stepScales", "a value is not finite and positive") }
        }
    }
}

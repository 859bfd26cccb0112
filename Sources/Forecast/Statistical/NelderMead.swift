/// Derivative-free minimisation of `f: R^d -> R` by the Nelder–Mead simplex method (reflection
/// 1, expansion 2, contraction 1/2, shrink 1/2), as used to fit the smoothing parameters of
/// ``ExponentialSmoothing`` and ``ThetaMethod``. Deterministic: the same start gives the same
/// result. Non-finite objective values count as +infinity.
enum NelderMead {
    /// Minimises `f` from `start` with initial simplex steps `step` (one per coordinate).
    /// Stops after `maxEvaluations` calls or when the simplex's values differ by less than
    /// `tolerance` (relative). Returns the best point and its value.
    static func minimize(_ f: ([Double]) -> Double, start: [Double], step: [Double], maxEvaluations: Int = 1000,
                         tolerance: Double = 1e-8) -> (x: [Double], value: Double) {
        let d = start.count
        func eval(_ x: [Double]) -> Double { let v = f(x); return v.isFinite ? v : .infinity }
        var simplex = [start]
        for i in 0..<d { var p = start; p[i] += step[i]; simplex.append(p) }
        var values = simplex.map(eval)
        var evaluations = d + 1
        while evaluations < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let best = values[0], worst = values[d]
            if worst.isFinite, abs(worst - best) <= tolerance * (abs(best) + 1e-12) { break }
            var centroid = [Double](repeating: 0, count: d)
            for p in simplex[0..<d] { for i in 0..<d { centroid[i] += p[i] / Double(d) } }
            func along(_ t: Double) -> [Double] { (0..<d).map { centroid[$0] + t * (simplex[d][$0] - centroid[$0]) } }
            let reflected = along(-1), fr = eval(reflected); evaluations += 1
            if fr < values[0] {
                let expanded = along(-2), fe = eval(expanded); evaluations += 1
                if fe < fr { simplex[d] = expanded; values[d] = fe } else { simplex[d] = reflected; values[d] = fr }
            } else if fr < values[d - 1] {
                simplex[d] = reflected; values[d] = fr
            } else {
                let contracted = fr < values[d] ? along(-0.5) : along(0.5)
                let fc = eval(contracted); evaluations += 1
                if fc < min(fr, values[d]) {
                    simplex[d] = contracted; values[d] = fc
                } else {
                    for j in 1...d {
                        simplex[j] = (0..<d).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                        values[j] = eval(simplex[j])
                    }
                    evaluations += d
                }
            }
        }
        let i = values.indices.min { values[$0] < values[$1] } ?? 0
        return (simplex[i], values[i])
    }

    /// Maps an unconstrained value into `(lower, upper)` (logistic).
    static func bounded(_ z: Double, _ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) / (1 + exp(-z))
    }

    /// The inverse of ``bounded(_:_:_:)``.
    static func unbounded(_ x: Double, _ lower: Double, _ upper: Double) -> Double {
        let t = min(max((x - lower) / (upper - lower), 1e-6), 1 - 1e-6)
        return log(t / (1 - t))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

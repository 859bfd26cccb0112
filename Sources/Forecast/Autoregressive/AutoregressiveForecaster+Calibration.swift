import Foundation

/// Spread calibration of the sample paths on the validation split.
///
/// Paths drawn step by step from a teacher-forced network are calibrated one step ahead but
/// often too narrow further out (hourly NYC temperature: 89% inside the 80% interval at step 1,
/// 53% at step 24): the one-step noise the network learned does not carry the errors of a day
/// ahead (weather fronts, a test period livelier than the training rows). After training, the
/// model forecasts every validation origin (every `horizon` rows, rows the weights were never
/// fitted on) and chooses per step h a factor κ_h that stretches each step's draws about their
/// median, y′ = m_h + κ_h (y − m_h): the κ on a grid (0.5 … 5, geometric) whose central
/// 50/80/90/95% intervals cover the validation actuals best, Σ_L |coverage_L(κ) − L|, the κ
/// nearest 1 on ties. Steps are pooled with their neighbours h − w … h + w so that at least 100
/// points decide each κ_h. Fewer than 4 validation origins: no calibration.
///
/// The map is monotone, so quantiles and the median of the stretched paths are the stretched
/// quantiles and the same median; paths stay seeded and identical for any thread count. Counts
/// (negative binomial) are not stretched (their draws are integers).
extension AutoregressiveForecaster {
    /// Levels whose coverage the factors fit.
    static let calibrationLevels: [Float] = [0.5, 0.8, 0.9, 0.95]
    /// The κ grid: 0.5 · 10^(k/64), k = 0 … 64 (0.5 to 5).
    static let calibrationGrid: [Float] = (0...64).map { 0.5 * Float(pow(10, Double($0) / 64)) }

    /// Stretches every step of `paths` about its median by `factors[h]`.
    static func stretch(_ paths: inout [[Float]], factors: [Float]) {
        guard let H = paths.first?.count, H == factors.count else { return }
        let m = SamplePaths.median(paths)
        for p in paths.indices { for h in 0..<H { paths[p][h] = m[h] + factors[h] * (paths[p][h] - m[h]) } }
    }

    /// The factors κ_h for this model on the validation rows of `set`, or nil (too few origins,
    /// or counts).
    func spreadFactors(_ set: TimeSeriesSet, workers: Int) throws -> [Float]? {
        guard spec.likelihood != .negativeBinomial, let col = set.columnIndex(spec.target) else { return nil }
        let H = spec.horizon, levels = Self.calibrationLevels
        let bounds = levels.flatMap { l -> [Float] in [(1 - l) / 2, (1 + l) / 2] }
        // Per step: (y − m, q_lo − m, q_hi − m per level) of every validation origin.
        var points = [[[Float]]](repeating: [], count: H)
        let columns = try covariateColumns(set)
        var origins = 0
        for (s, series) in set.series.enumerated() {
            let values = series.values[col]
            let (v, t) = spec.split.boundaries(rows: series.count)
            var origin = max(v, historyNeeded)
            while origin + H <= t {
                defer { origin += H }
                let history = values[0..<origin]
                guard history.suffix(historyNeeded).allSatisfy(\.isFinite), values[origin..<(origin + H)].allSatisfy(\.isFinite) else { continue }
                let known = knownFromSeries(set, series: series, origin: origin, columns: columns)
                guard known.allSatisfy(\.isFinite) else { continue }
                let paths = try rawSamplePaths(history: history, known: known, origin: origin, paths: spec.samples, seed: spec.seed,
                                               stream: 1 << 63 | UInt64(s) << 32 | UInt64(origin), workers: workers)
                let q = SamplePaths.quantiles(paths, levels: [0.5] + bounds)
                for h in 0..<H {
                    let m = q[h][0]
                    points[h].append([values[origin + h] - m] + q[h].dropFirst().map { $0 - m })
                }
                origins += 1
            }
        }
        guard origins >= 4 else { return nil }
        let w = max(0, (100 / origins + 1) / 2)
        return (0..<H).map { h in
            let pool = (max(0, h - w)...min(H - 1, h + w)).flatMap { points[$0] }
            var best: Float = 1, bestLoss = Float.infinity
            for k in Self.calibrationGrid {
                var loss: Float = 0
                for (i, l) in levels.enumerated() {
                    let inside = pool.filter { k * $0[1 + 2 * i] <= $0[0] && $0[0] <= k * $0[2 + 2 * i] }.count
                    loss += abs(Float(inside) / Float(pool.count) - l)
                }
                if loss < bestLoss - 1e-6 || (abs(loss - bestLoss) <= 1e-6 && abs(log(k)) < abs(log(best))) { best = k; bestLoss = loss }
            }
            return best
        }
    }
}

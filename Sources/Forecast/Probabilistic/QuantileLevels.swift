#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Quantile levels τ ∈ (0, 1) and the central prediction intervals they bound.
///
/// A predictive distribution is handed around as its quantiles at a sorted list of levels
/// (`[K]` values per forecast element). The central interval of level L (e.g. 80%) is bounded
/// by the quantiles at τ = ½ − L/2 and τ = ½ + L/2 (0.1 and 0.9).
public enum QuantileLevels {
    /// The levels every distribution that can give any quantile (Gaussian heads, conformal
    /// intervals, sample paths, the seasonal-naive reference) is scored on:
    /// 0.025, 0.05, 0.10, …, 0.90, 0.95, 0.975 (21 levels; intervals 10%, 20%, …, 90% and 95%).
    public static let standard: [Float] = [0.025] + (1...19).map { Float($0) / 20 } + [0.975]

    /// The quantile levels bounding the central interval of `percent` (0 < percent < 100).
    public static func bounds(percent: Double) -> (lower: Float, upper: Float) {
        (Float(0.5 - percent / 200), Float(0.5 + percent / 200))
    }

    /// The central intervals a sorted level list bounds: every pair (τ, 1 − τ) with τ < ½, as
    /// (nominal percent, index of τ, index of 1 − τ), widest first.
    public static func intervals(in levels: [Float]) -> [(percent: Double, lower: Int, upper: Int)] {
        var out: [(Double, Int, Int)] = []
        for (i, t) in levels.enumerated() where t < 0.5 {
            if let j = levels.firstIndex(where: { abs($0 - (1 - t)) < 1e-5 }) {
                out.append(((Double(1 - 2 * t) * 1000).rounded() / 10, i, j))
            }
        }
        return out.sorted { $0.0 > $1.0 }
    }

    /// A coverage key: "80", "95", "97.5".
    public static func key(percent: Double) -> String {
        percent == percent.rounded() ? String(Int(percent)) : String(percent)
    }

    /// The standard normal quantile Φ⁻¹(τ), by bisection on Φ(z) = ½ erfc(−z/√2) (absolute error
    /// below 1e-9 for τ in [1e-12, 1 − 1e-12]).
    public static func normalQuantile(_ tau: Double) -> Double {
        guard tau > 0, tau < 1 else { return tau <= 0 ? -.infinity : .infinity }
        var lo = -40.0, hi = 40.0
        for _ in 0..<100 {
            let mid = 0.5 * (lo + hi)
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < tau { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The empirical quantile of sorted values at level τ with linear interpolation between
    /// order statistics (Hyndman–Fan type 7, numpy's default); NaN for no values.
    public static func empirical(sorted v: [Float], _ tau: Float) -> Float {
        guard !v.isEmpty else { return .nan }
        let h = Double(v.count - 1) * Double(tau)
        let i = Int(h.rounded(.down)), f = Float(h - Double(i))
        return i + 1 < v.count ? v[i] + f * (v[i + 1] - v[i]) : v[v.count - 1]
    }
}

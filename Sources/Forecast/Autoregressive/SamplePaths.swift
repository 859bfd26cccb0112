/// Sample paths `[N][H]` of one series and target, and what is read from them.
public enum SamplePaths {
    /// Empirical quantiles (type 7) per step at `levels`: `[H][K]`.
    public static func quantiles(_ paths: [[Float]], levels: [Float]) -> [[Float]] {
        guard let H = paths.first?.count else { return [] }
        return (0..<H).map { h in
            let sorted = paths.map { $0[h] }.sorted()
            return levels.map { QuantileLevels.empirical(sorted: sorted, $0) }
        }
    }

    /// The per-step median (the point forecast of a sampling model).
    public static func median(_ paths: [[Float]]) -> [Float] {
        quantiles(paths, levels: [0.5]).map { $0[0] }
    }
}

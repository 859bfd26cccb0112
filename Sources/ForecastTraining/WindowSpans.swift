/// Span samples: `span` consecutive windows of one series read as one sample, so that one
/// recurrent pass over `lookback + span - 1` rows produces every one of their forecasts
/// (``SpanRegressor``).
///
///     sample k = windows w, w + 1, ..., w + S - 1      (S = span; one run of stride-1 windows)
///     input    [L + S - 1, F]      rows e_w - L + 1 ... e_w + S - 1 of the window's series
///     target   [S, M]              window w + t's target (M = `targetLength`), t = 0 ..< S
///
/// A windowed model reads L rows per window, so an epoch over N windows runs N·L recurrent
/// steps; span samples cover the same windows with (L + S - 1)/S steps each. The forecasts
/// at positions after the first have a longer context than L rows (the state carries on from
/// the earlier rows), which is what the model sees at `predict` time in streaming use and
/// close to it in windowed use (the cells forget).
///
/// `step` chooses the samples' first windows within each run: 1 for training (every start,
/// so an epoch of sampled spans sees the windows at random offsets), `S` for validation (the
/// windows tiled once each; a run's last `count mod S` windows are left out).
public struct WindowSpans: TrainingSamples {
    public let windows: WindowViews
    public let span: Int
    public let step: Int
    /// Level normalisation of spans: the first window's level (its last row's value of each
    /// target column) is subtracted from every row's target columns and from every target.
    public let levelNormalized: Bool

    /// First window index, samples and sample index of the first sample of each run.
    struct Run: Sendable { var first: Int; var samples: Int }
    let runs: [Run]
    let runStarts: [Int]

    /// - Precondition: `windows` are many-to-one with stride 1 (consecutive windows end on
    ///   consecutive rows), `span >= 1`, `step >= 1`.
    public init(_ windows: WindowViews, span: Int, step: Int, levelNormalized: Bool = false) {
        precondition(windows.mode == .manyToOne && windows.stride == 1, "WindowSpans needs many-to-one windows of stride 1")
        precondition(span >= 1 && step >= 1, "WindowSpans: span and step must be at least 1")
        self.windows = windows; self.span = span; self.step = step; self.levelNormalized = levelNormalized
        var runs: [Run] = [], starts = [0]
        for r in windows.consecutiveRuns where r.count >= span {
            let n = (r.count - span) / step + 1
            runs.append(Run(first: r.first, samples: n))
            starts.append(starts[starts.count - 1] + n)
        }
        self.runs = runs; self.runStarts = starts
    }

    public var count: Int { runStarts[runStarts.count - 1] }
    /// Rows read per sample: lookback + span - 1.
    public var length: Int { windows.lookback + span - 1 }
    public var inputCount: Int { length * windows.features }
    public var targetCount: Int { span * windows.targetLength }

    /// The first window of sample `k`.
    public func firstWindow(_ k: Int) -> Int {
        precondition(k >= 0 && k < count, "span sample \(k) out of range 0..<\(count)")
        var lo = 0, hi = runs.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if runStarts[mid] <= k { lo = mid } else { hi = mid - 1 }
        }
        return runs[lo].first + (k - runStarts[lo]) * step
    }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let rows = windows.rows
        let F = rows.features, L = windows.lookback, H = windows.horizon
        let columns = windows.targetColumns
        let xs = inputCount, ys = targetCount
        rows.values.withUnsafeBufferPointer { v in
            guard let p = v.baseAddress else { return }
            for (k, i) in indices.enumerated() {
                let (s, e) = windows.origin(firstWindow(i))
                let base = rows.offsets[s]
                let x = input + k * xs
                x.update(from: p + (base + e - L + 1) * F, count: xs)
                let levelRow = p + (base + e) * F
                if levelNormalized {
                    for r in 0..<length { for c in columns { x[r * F + c] -= levelRow[c] } }
                }
                // Window e + t's target: rows e + t + 1 ... e + t + H, step-major [H, P].
                var out = target + k * ys
                for t in 0..<span {
                    for r in (e + t + 1)...(e + t + H) {
                        let row = p + (base + r) * F
                        for c in columns { out.pointee = levelNormalized ? row[c] - levelRow[c] : row[c]; out += 1 }
                    }
                }
            }
        }
    }
}

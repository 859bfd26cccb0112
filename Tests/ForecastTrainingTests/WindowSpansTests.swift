import XCTest
import ForecastData
import ForecastTraining
import _TestSupport

/// ``WindowSpans``: S consecutive windows as one sample, read from the shared rows.
final class WindowSpansTests: XCTestCase {
    let F = 2, L = 3, H = 2, S = 3

    /// Two series (10 and 8 rows, 2 features, target column 0); series 0's windows have a gap
    /// (end rows 2...4 and 6...7: two runs), series 1's end rows 2...5.
    func makeWindows() -> WindowViews {
        var rng = SeededGenerator(seed: 5)
        let rows = ScaledRows(features: F, values: randomArray(18 * F, &rng), offsets: [0, 10, 18])
        var w = WindowViews(rows: rows, lookback: L, horizon: H, stride: 1, mode: .manyToOne, targetColumns: [0])
        for e in [2, 3, 4, 6, 7] { w.append(series: 0, end: e) }
        for e in 2...5 { w.append(series: 1, end: e) }
        return w
    }

    func window(_ w: WindowViews, _ i: Int) -> (x: [Float], y: [Float]) {
        var x = [Float](repeating: 0, count: w.inputCount), y = [Float](repeating: 0, count: w.targetCount)
        x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in w.copy(i, input: xp.baseAddress!, target: yp.baseAddress!) } }
        return (x, y)
    }

    /// Every span holds its S windows: window t's input is rows t ..< t + L of the span and its
    /// target is block t; spans never cross a run (the gap, the series boundary).
    func testSpansAreTheirWindows() {
        let w = makeWindows()
        let spans = WindowSpans(w, span: S, step: 1)
        // Runs of 3, 2 and 4 windows: 1 + 0 + 2 spans.
        XCTAssertEqual(spans.count, 3)
        XCTAssertEqual((0..<spans.count).map { spans.firstWindow($0) }, [0, 5, 6])
        XCTAssertEqual(spans.inputCount, (L + S - 1) * F)
        XCTAssertEqual(spans.targetCount, S * H)
        var x = [Float](repeating: 0, count: 3 * spans.inputCount), y = [Float](repeating: 0, count: 3 * spans.targetCount)
        x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            spans.gather([2, 0, 1], input: xp.baseAddress!, target: yp.baseAddress!)
        } }
        for (k, sample) in [2, 0, 1].enumerated() {
            let first = spans.firstWindow(sample)
            for t in 0..<S {
                let (wx, wy) = window(w, first + t)
                let xs = k * spans.inputCount + t * F
                XCTAssertEqual(Array(x[xs..<(xs + L * F)]), wx, "sample \(sample) window \(t) input")
                let ys = k * spans.targetCount + t * H
                XCTAssertEqual(Array(y[ys..<(ys + H)]), wy, "sample \(sample) window \(t) target")
            }
        }
    }

    /// Validation spans tile each run (step S); level normalisation subtracts the first
    /// window's level (its last input row's target value) from the target column and targets.
    func testTilingAndLevelNormalisation() {
        let w = makeWindows()
        XCTAssertEqual(WindowSpans(w, span: 2, step: 2).count, 1 + 1 + 2)
        XCTAssertEqual(WindowSpans(w, span: 5, step: 1).count, 0)
        let plain = WindowSpans(w, span: S, step: 1), level = WindowSpans(w, span: S, step: 1, levelNormalized: true)
        func sample(_ s: WindowSpans, _ i: Int) -> ([Float], [Float]) {
            var x = [Float](repeating: 0, count: s.inputCount), y = [Float](repeating: 0, count: s.targetCount)
            x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in s.gather([i], input: xp.baseAddress!, target: yp.baseAddress!) } }
            return (x, y)
        }
        let (px, py) = sample(plain, 1), (lx, ly) = sample(level, 1)
        let levelValue = px[(L - 1) * F]
        for r in 0..<(L + S - 1) {
            XCTAssertEqual(lx[r * F], px[r * F] - levelValue)
            XCTAssertEqual(lx[r * F + 1], px[r * F + 1], "other columns unchanged")
        }
        XCTAssertEqual(ly, py.map { $0 - levelValue })
        XCTAssertEqual(lx[(L - 1) * F], 0, "the first window ends at level 0")
    }
}

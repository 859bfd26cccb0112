import XCTest
import ForecastTraining
import _TestSupport

/// Every loss: value on a hand-checked case and gradient against central differences.
final class LossTests: XCTestCase {
    func testValues() {
        let y: [Float] = [1, 2]
        func value(_ l: LossKind, _ p: [Float]) -> Double { l.evaluate(pred: p, target: y, rows: 1, targets: 2, normalizer: 2, dPred: nil) }
        XCTAssertEqual(value(.mse, [2, 0]), (1 + 4) / 2, accuracy: 1e-9)
        XCTAssertEqual(value(.mae, [2, 0]), (1 + 2) / 2, accuracy: 1e-9)
        XCTAssertEqual(value(.huber(delta: 1), [2, 0]), (0.5 + 1.5) / 2, accuracy: 1e-9)
        XCTAssertEqual(value(.gaussian, [1, 2, 0, 0]), 0.5 * (0 + 0) / 1, accuracy: 1e-9)
        XCTAssertEqual(value(.quantile([0.9]), [0, 3]), (0.9 * 1 + 0.1 * 1) / 2, accuracy: 1e-6)
    }

    func testGradientsMatchFiniteDifferences() {
        var rng = SeededGenerator(seed: 4)
        let kinds: [LossKind] = [.mse, .mae, .huber(delta: 0.5), .gaussian, .quantile([0.1, 0.5, 0.9])]
        for kind in kinds {
            let rows = 3, M = 2, K = kind.outputsPerTarget
            var pred = randomArray(rows * M * K, &rng, scale: 2)
            let target = randomArray(rows * M, &rng, scale: 2)
            var d = [Float](repeating: 0, count: pred.count)
            _ = kind.evaluate(pred: pred, target: target, rows: rows, targets: M, normalizer: rows * M, dPred: &d)
            for i in 0..<pred.count {
                let num = numericGradient(&pred, i, eps: 1e-3) { p in kind.evaluate(pred: p, target: target, rows: rows, targets: M, normalizer: rows * M, dPred: nil) }
                XCTAssertEqual(Double(d[i]), num, accuracy: 2e-3 + 1e-2 * abs(num), "\(kind) index \(i)")
            }
        }
    }
}

import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// The autoregressive probabilistic family (DeepAR): gradients of the whole model, training
/// bit-identical for any worker count, seeded sampling identical for any thread count, files.
final class AutoregressiveTests: XCTestCase {
    func smallModel(_ l: Likelihood, cell: CellKind = .lstm) -> AutoregressiveRegressor {
        AutoregressiveRegressor(.init(regressor: .init(recurrent: RecurrentConfig(cell: cell, inputSize: 1, hiddenSize: 5, numLayers: 2),
                                                       outputs: l.parameterCount, readout: .everyStep), length: 6))
    }

    /// Every parameter's gradient (model backward through the likelihood loss) against central
    /// differences, for each likelihood.
    func testModelGradientsMatchFiniteDifferences() {
        for l in Likelihood.allCases {
            let model = smallModel(l)
            var rng = SeededGenerator(seed: 8)
            let params = model.makeParameters(rng: &rng)
            let B = 2, T = 6
            var input = [Float](), target = [Float]()
            for _ in 0..<B {
                let nu: Float = 3
                let ys = (0...T).map { _ in l == .negativeBinomial ? Float(Int(rng.nextUnitFloat() * 6)) : rng.nextFloat(in: 0, 5) }
                input += ys[0..<T].map { $0 / nu } + [nu]
                target += ys[1...T]
            }
            let loss = LossKind.likelihood(l)
            let ws = model.makeWorkspace(batch: B)
            func value() -> Double {
                var r = SeededGenerator(seed: 0)
                let p = model.forward(input, target: target, workspace: ws, params: params, pass: .inference, rng: &r)
                return loss.evaluate(pred: p, target: target, rows: B, targets: T, normalizer: B * T, dPred: nil)
            }
            var r = SeededGenerator(seed: 0)
            let p = model.forward(input, target: target, workspace: ws, params: params, pass: .inference, rng: &r)
            var d = [Float](repeating: 0, count: B * model.predictionCount)
            _ = loss.evaluate(pred: p, target: target, rows: B, targets: T, normalizer: B * T, dPred: &d)
            let grads = ParameterStore(layout: model.layout)
            model.backward(d, workspace: ws, params: params, grads: grads)
            for e in model.layout.entries {
                for j in Swift.stride(from: 0, to: e.shape.count, by: max(1, e.shape.count / 7)) {
                    let v = params.view(e.name)!
                    let old = v[j], h: Float = 1e-2
                    v[j] = old + h; params.markModified(); let up = value()
                    v[j] = old - h; params.markModified(); let dn = value()
                    v[j] = old; params.markModified()
                    let num = (up - dn) / Double(2 * h)
                    let got = Double(grads.view(e.name)![j])
                    XCTAssertEqual(got, num, accuracy: 3e-3 + 3e-2 * abs(num), "\(l) \(e.name)[\(j)]")
                }
            }
        }
    }

    func countSeries(rows: Int = 260) throws -> TimeSeriesSet {
        // Sunspot numbers rounded to counts.
        let table = try CSVReader.read(path: fixturePath("sunspots_monthly.csv"))
        var set = try TimeSeriesSet(table: table)
        let c = try XCTUnwrap(set.columnIndex("value"))
        let start = set.series[0].count - rows
        var s = set.series[0]
        s = TimeSeries(key: s.key, times: s.times.map { Array($0[start...]) }, values: s.values.map { Array($0[start...]) },
                       lines: Array(s.lines[start...]), segmentStarts: [0])
        s.values[c] = s.values[c].map { $0.rounded() }
        set.series[0] = s
        return set
    }

    func options(_ l: Likelihood, workers: Int) -> AutoregressiveOptions {
        var o = AutoregressiveOptions()
        o.likelihood = l
        o.hidden = 8; o.layers = 1; o.context = 12; o.horizon = 6; o.samples = 60
        o.training.epochs = 2; o.training.workers = workers; o.training.batchSize = 32
        return o
    }

    /// Training through the one Trainer is bit-identical for 1, 2 and 3 workers; sampling is
    /// identical for 1, 2 and 3 threads, depends on the seed, and path p does not depend on how
    /// many paths are drawn.
    func testTrainingAndSamplingDoNotDependOnWorkers() throws {
        let set = try countSeries()
        let models = try [1, 2, 3].map { try AutoregressiveForecaster.fit(set, target: "value", options: options(.negativeBinomial, workers: $0)) }
        XCTAssertEqual(models[0].params.tensorBytes(), models[1].params.tensorBytes())
        XCTAssertEqual(models[0].params.tensorBytes(), models[2].params.tensorBytes())
        let m = models[0]
        let history = set.series[0].values[set.columnIndex("value")!][...]
        let paths = try [1, 2, 3].map { try m.samplePaths(history: history, paths: 600, seed: 9, workers: $0) }
        XCTAssertEqual(paths[0], paths[1]); XCTAssertEqual(paths[0], paths[2])
        XCTAssertEqual(paths[0].count, 600); XCTAssertEqual(paths[0][0].count, 6)
        XCTAssert(paths[0].allSatisfy { $0.allSatisfy { $0 >= 0 && $0 == $0.rounded() } }, "negative-binomial paths are counts")
        XCTAssertEqual(Array(paths[0].prefix(100)), try m.samplePaths(history: history, paths: 100, seed: 9, workers: 2))
        XCTAssertNotEqual(paths[0], try m.samplePaths(history: history, paths: 600, seed: 10, workers: 1))
    }

    /// Save/load keeps weights and forecasts; the test report has distribution scores next to
    /// seasonal naive's; non-count data is refused for the negative binomial with its line.
    func testFilesScoresAndCountCheck() throws {
        let set = try countSeries()
        let m = try AutoregressiveForecaster.fit(set, target: "value", options: options(.studentT, workers: 2))
        let report = try XCTUnwrap(m.provenance?.testMetrics)
        XCTAssertNotNil(report.model.distribution?.msis)
        XCTAssertNotNil(report.seasonalNaive.distribution)
        let path = NSTemporaryDirectory() + "deepar-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        XCTAssertEqual(try ModelFamily.of(path: path), .autoregressive)
        guard case .autoregressive(let loaded) = try AnyModel.load(from: path) else { return XCTFail("wrong family") }
        XCTAssertEqual(loaded.params.tensorBytes(), m.params.tensorBytes())
        XCTAssertEqual(try loaded.predict(set), try m.predict(set))

        var bad = set
        bad.series[0].values[set.columnIndex("value")!][5] = 2.5
        XCTAssertThrowsError(try AutoregressiveForecaster.fit(bad, target: "value", options: options(.negativeBinomial, workers: 1))) {
            XCTAssert("\($0)".contains("line \(bad.series[0].lines[5])") && "\($0)".contains("counts"), "\($0)")
        }
    }
}

import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// The autoregressive probabilistic family (DeepAR): gradients of the whole model, training
/// bit-identical for any worker count, seeded sampling identical for any thread count, files.
final class AutoregressiveTests: XCTestCase {
    func smallModel(_ l: Likelihood, cell: CellKind = .lstm, features: Int = 1) -> AutoregressiveRegressor {
        AutoregressiveRegressor(.init(regressor: .init(recurrent: RecurrentConfig(cell: cell, inputSize: features, hiddenSize: 5, numLayers: 2),
                                                       outputs: l.parameterCount, readout: .everyStep), length: 6))
    }

    /// Central differences of the mean likelihood loss against the model's backward pass, for
    /// every tensor (a spread of entries), on the given windows `input [B, T*F + 1]`, `target [B, T]`.
    func checkGradients(_ model: AutoregressiveRegressor, _ l: Likelihood, input: [Float], target: [Float], batch B: Int,
                        file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: 8)
        let params = model.makeParameters(rng: &rng)
        let T = model.config.length
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
                XCTAssertEqual(got, num, accuracy: 3e-3 + 3e-2 * abs(num), "\(l) \(e.name)[\(j)]", file: file, line: line)
            }
        }
    }

    /// Every parameter's gradient (model backward through the likelihood loss) against central
    /// differences, for each likelihood.
    func testModelGradientsMatchFiniteDifferences() {
        for l in Likelihood.allCases {
            let model = smallModel(l)
            var rng = SeededGenerator(seed: 8)
            let B = 2, T = 6
            var input = [Float](), target = [Float]()
            for _ in 0..<B {
                let nu: Float = 3
                let ys = (0...T).map { _ in l == .negativeBinomial ? Float(Int(rng.nextUnitFloat() * 6)) : rng.nextFloat(in: 0, 5) }
                input += ys[0..<T].map { $0 / nu } + [nu]
                target += ys[1...T]
            }
            checkGradients(model, l, input: input, target: target, batch: B)
        }
    }

    /// A series with timestamps and a covariate: rows `range` of Seattle's daily weather
    /// (target temp_max, covariate temp_min).
    func weatherSeries(rows: Int = 300) throws -> TimeSeriesSet {
        let table = try CSVReader.read(path: fixturePath("seattle_weather_daily.csv"))
        var set = try TimeSeriesSet(table: table)
        let s = set.series[0]
        set.series[0] = TimeSeries(key: s.key, times: s.times.map { Array($0[..<rows]) }, values: s.values.map { Array($0[..<rows]) },
                                   lines: Array(s.lines[..<rows]), segmentStarts: [0])
        return set
    }

    /// The new input paths end to end: windows cut by `AutoregressiveSamples` with two lags, a
    /// standardised covariate, calendar sin/cos and the season phase (F = 10), through the whole
    /// model and the loss, against central differences, for each likelihood.
    func testGradientsWithLagsCovariatesAndTimeInputs() throws {
        let set = try weatherSeries(rows: 80)
        let col = try XCTUnwrap(set.columnIndex("temp_max")), cov = try XCTUnwrap(set.columnIndex("temp_min"))
        let inputs = AutoregressiveInputs(lags: [2, 7], covariates: ["temp_min"], covariateMean: [6], covariateScale: [4],
                                          calendar: [.dayOfWeek, .dayOfYear], phasePeriod: 7)
        XCTAssertEqual(inputs.featureCount, 10)
        for l in Likelihood.allCases {
            var samples = AutoregressiveSamples(context: 4, horizon: 2, inputs: inputs)
            var values = set.series[0].values[col]
            if l == .negativeBinomial { values = values.map { max(0, $0.rounded()) } }
            let known = inputs.known(set.series[0], columns: [cov], rows: 0..<values.count, offsetMinutes: 0)
            samples.append(values, known: known, rows: 0..<values.count, stride: 17)
            XCTAssertEqual(samples.inputCount, 6 * 10 + 1)
            let B = min(3, samples.count)
            var x = [Float](repeating: 0, count: B * samples.inputCount), y = [Float](repeating: 0, count: B * 6)
            samples.gather(0..<B, input: &x, target: &y)
            // Step 0 of window 0 (first target row s = 7): y_6/ν, y_5/ν, y_0/ν, then the known inputs of row 7.
            let nu = x[samples.inputCount - 1]
            XCTAssertEqual(nu, AutoregressiveSamples.scale(values[7..<11]))
            XCTAssertEqual(Array(x[0..<3]), [values[6] / nu, values[5] / nu, values[0] / nu])
            XCTAssertEqual(Array(x[3..<10]), Array(known[(7 * 7)..<(8 * 7)]))
            XCTAssertEqual(Array(y[0..<6]), Array(values[7..<13]))
            checkGradients(smallModel(l, features: 10), l, input: x, target: y, batch: B)
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
        o.epochs = 2; o.training.workers = workers; o.batchSize = 32
        o.timeFeatures = false
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
    /// With lags, a covariate and calendar inputs (and sampled epochs): training bit-identical
    /// for 1, 2 and 3 workers; forecasts and test scores identical for 1, 2 and 3 threads.
    func testInputsTrainAndSampleIndependentlyOfWorkers() throws {
        let set = try weatherSeries()
        func opts(_ w: Int) -> AutoregressiveOptions {
            var o = options(.studentT, workers: w)
            o.timeFeatures = true
            o.lags = [2, 7]
            o.covariates = ["temp_min"]
            o.windowsPerEpoch = 100
            return o
        }
        let models = try [1, 2, 3].map { try AutoregressiveForecaster.fit(set, target: "temp_max", options: opts($0)) }
        XCTAssertEqual(models[0].params.tensorBytes(), models[1].params.tensorBytes())
        XCTAssertEqual(models[0].params.tensorBytes(), models[2].params.tensorBytes())
        let m = models[0]
        XCTAssertEqual(m.spec.inputs, AutoregressiveInputs(lags: [2, 7], covariates: ["temp_min"], covariateMean: m.spec.inputs?.covariateMean ?? [],
                                                           covariateScale: m.spec.inputs?.covariateScale ?? [], calendar: [.dayOfWeek, .dayOfYear], scaling: .standard))
        XCTAssertEqual(m.features, 8)
        let f = try [1, 2, 3].map { try m.predict(set, samples: 300, workers: $0) }
        XCTAssertEqual(f[0], f[1]); XCTAssertEqual(f[0], f[2])
        let r = try [1, 3].map { try m.evaluate(set, workers: $0) }
        XCTAssertEqual(r[0].model.distribution?.crps, r[1].model.distribution?.crps)
        XCTAssertThrowsError(try m.samplePaths(history: set.series[0].values[0][...], paths: 10, seed: 1)) {
            XCTAssert("\($0)".contains("covariates or time features"), "\($0)")
        }
        // Files keep the inputs.
        let path = NSTemporaryDirectory() + "deepar-inputs-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(to: path)
        let loaded = try AutoregressiveForecaster.load(from: path)
        XCTAssertEqual(loaded.spec, m.spec)
        XCTAssertEqual(try loaded.predict(set, samples: 50), try m.predict(set, samples: 50))
    }

    /// Sampling feeds exactly the inputs training builds: a sampled path (lag 2 < horizon 6, so
    /// lags read the path's own draws; covariate and calendar inputs of the forecast rows),
    /// appended to its history and cut as a training window, gives through the teacher-forced
    /// model the distribution parameters each draw came from (redrawn with the same streams).
    func testSamplingFeedsTheTrainingInputs() throws {
        let set = try weatherSeries()
        var o = options(.gaussian, workers: 1)
        o.timeFeatures = true; o.lags = [2, 7]; o.covariates = ["temp_min"]
        let m = try AutoregressiveForecaster.fit(set, target: "temp_max", options: o)
        let inputs = try XCTUnwrap(m.spec.inputs)
        let series = set.series[0], col = set.columnIndex("temp_max")!, cov = set.columnIndex("temp_min")!
        let C = m.spec.context, H = m.spec.horizon, T = C + H, origin = 250
        let known = m.knownFromSeries(set, series: series, origin: origin, columns: [cov])
        let paths = try m.rawSamplePaths(history: series.values[col][0..<origin], known: known, origin: origin, paths: 5, seed: 3, stream: 2, workers: 1)
        let allKnown = inputs.known(series, columns: [cov], rows: 0..<series.count, offsetMinutes: 0)
        let root = SeededGenerator(seed: 3).fork(2)
        for (p, path) in paths.enumerated() {
            var values = Array(series.values[col][0..<origin]) + path
            values += [Float](repeating: 0, count: series.count - values.count)
            var w = AutoregressiveSamples(context: C, horizon: H, inputs: inputs)
            w.append(values, known: allKnown, rows: (origin - C)..<(origin + H), stride: 1)
            XCTAssertEqual(w.count, 1)
            var x = [Float](repeating: 0, count: w.inputCount), y = [Float](repeating: 0, count: T)
            w.gather([0], input: &x, target: &y)
            let ws = m.model.makeWorkspace(batch: 1)
            var r0 = SeededGenerator(seed: 0)
            let pred = m.model.forward(x, target: y, workspace: ws, params: m.params, pass: .inference, rng: &r0)
            var rng = root.fork(UInt64(p))
            let loc = inputs.scaling.location(series.values[col][(origin - C)..<origin]).location
            XCTAssertEqual(inputs.scaling, .standard)
            for h in 0..<H {
                let u = [pred[C + h], pred[T + C + h]]
                let redrawn = m.spec.likelihood.sample(u, scale: x[w.inputCount - 1], rng: &rng) + loc
                XCTAssertEqual(redrawn, path[h], accuracy: 1e-3 * max(1, abs(path[h])), "path \(p) step \(h)")
            }
        }
    }

    /// Training size by data size: small sets get small batches and many epochs, large ones
    /// sampled epochs of 2,000 windows; explicit settings win.
    func testSizedTrainingDefaults() {
        var o = AutoregressiveOptions()
        let small = o.sized(windows: 67)
        XCTAssertEqual(small.batchSize, 16); XCTAssertNil(small.windowsPerEpoch)
        XCTAssertEqual(small.epochs, 400); XCTAssertEqual(small.patience, 40)
        let large = o.sized(windows: 20_000)
        XCTAssertEqual(large.batchSize, 64); XCTAssertEqual(large.windowsPerEpoch, 2_000)
        XCTAssertEqual(large.epochs, 63); XCTAssertEqual(large.patience, 8)
        o.epochs = 5; o.batchSize = 8; o.windowsPerEpoch = 10; o.patience = 2
        let fixed = o.sized(windows: 20_000)
        XCTAssertEqual([fixed.epochs, fixed.batchSize, fixed.windowsPerEpoch, fixed.patience], [5, 8, 10, 2])
    }
    /// Spread calibration: one factor per step from the grid, fitted on the validation origins;
    /// forecasts are the drawn paths stretched about their per-step median (same median), the
    /// factors survive a save/load, and no factors are fitted for counts.
    func testSpreadCalibrationStretchesAboutTheMedian() throws {
        let set = try weatherSeries()
        var o = options(.gaussian, workers: 2)
        o.timeFeatures = true; o.covariates = ["temp_min"]
        let m = try AutoregressiveForecaster.fit(set, target: "temp_max", options: o)
        let factors = try XCTUnwrap(m.spec.spread)
        XCTAssertEqual(factors.count, m.spec.horizon)
        XCTAssert(factors.allSatisfy { AutoregressiveForecaster.calibrationGrid.contains($0) }, "\(factors)")
        XCTAssertEqual(try m.spreadFactors(set, workers: 1), factors, "the fit does not depend on threads")
        let series = set.series[0], col = set.columnIndex("temp_max")!, origin = 280
        let known = m.knownFromSeries(set, series: series, origin: origin, columns: [set.columnIndex("temp_min")!])
        let raw = try m.rawSamplePaths(history: series.values[col][0..<origin], known: known, origin: origin, paths: 101, seed: 4, stream: 0, workers: 1)
        let paths = try m.samplePaths(history: series.values[col][0..<origin], known: known, origin: origin, paths: 101, seed: 4, workers: 2)
        let med = SamplePaths.median(raw)
        XCTAssertEqual(SamplePaths.median(paths), med)
        for p in [0, 50, 100] { for h in 0..<m.spec.horizon {
            XCTAssertEqual(paths[p][h], med[h] + factors[h] * (raw[p][h] - med[h]), accuracy: 1e-4)
        } }
        var counts = options(.negativeBinomial, workers: 1)
        counts.timeFeatures = false
        XCTAssertNil(try AutoregressiveForecaster.fit(try countSeries(), target: "value", options: counts).spec.spread)
    }
    /// `predict` with covariates: the forecast steps' values come from trailing rows with an
    /// empty target (exactly `horizon` of them), else the last `horizon` rows repeat with a note;
    /// calendar inputs from the future timestamps.
    func testPredictReadsFutureCovariatesFromTrailingRows() throws {
        let set = try weatherSeries()
        var o = options(.gaussian, workers: 1)
        o.timeFeatures = true; o.covariates = ["temp_min"]; o.calibrateSpread = false
        let m = try AutoregressiveForecaster.fit(set, target: "temp_max", options: o)
        let col = set.columnIndex("temp_max")!, cov = set.columnIndex("temp_min")!, H = m.spec.horizon, n = set.series[0].count - H
        var future = set
        for r in n..<set.series[0].count { future.series[0].values[col][r] = .nan }
        let f = try XCTUnwrap(try m.predict(future, samples: 40).first)
        let series = set.series[0]
        let known = m.knownFromSeries(set, series: series, origin: n, columns: [cov])
        let expected = try m.samplePaths(history: series.values[col][0..<n], known: known, origin: n, paths: 40, seed: m.spec.seed, stream: 0)
        XCTAssertEqual(f.samples?.map { $0.map { $0[0] } }, expected)
        XCTAssertEqual(f.times, Array(series.times![n...]))
        // Without future rows: the last horizon rows' covariates, and a note.
        var notes: [String] = []
        _ = try m.predict(set, samples: 10, onNote: { notes.append($0) })
        XCTAssertEqual(notes.count, 1); XCTAssert(notes[0].contains("temp_min"), "\(notes)")
        var untimed = set
        untimed.series[0].times = nil
        XCTAssertThrowsError(try m.evaluate(untimed)) { XCTAssert("\($0)".contains("need timestamps"), "\($0)") }
        var short = future
        short.series[0].values[col][n] = 1
        XCTAssertThrowsError(try m.predict(short, samples: 10)) { XCTAssert("\($0)".contains("rows without target values"), "\($0)") }
    }
    /// A Student-t model file of the family's first form (no inputs, no spread; written by the
    /// release before lags and covariates, on dated monthly data) forecasts byte for byte as it
    /// did: quantile levels and sample paths.
    func testFirstFormStudentTFileForecastsAsBefore() throws {
        let path = fixturePath("models/legacy-autoregressive-student-t.safetensors")
        let m = try AutoregressiveForecaster.load(from: path)
        XCTAssertNil(m.spec.inputs); XCTAssertNil(m.spec.spread)
        XCTAssertEqual(m.features, 1)
        for (args, file) in [(["--level", "80,95"], "predict"), (["--samples", "5"], "samples")] {
            let run = try ForecastBinary.run(["predict", "--model", path, "--data", fixturePath("sunspots_monthly.csv")] + args)
            XCTAssertEqual(run.status, 0, run.stderr)
            let expected = try String(contentsOfFile: fixturePath("models/legacy-autoregressive-student-t.\(file).csv"), encoding: .utf8)
            XCTAssertEqual(run.stdout, expected, "\(args): forecasts of a first-form file changed")
        }
    }
}

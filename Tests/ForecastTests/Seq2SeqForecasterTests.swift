import Foundation
import XCTest
import Forecast
import _TestSupport

/// The high-level seq2seq API on small slices of real data (fast), plus the accuracy
/// experiment of docs/accuracy-seq2seq.md, which runs only with FORECAST_S2S_ACCURACY=1.
final class Seq2SeqForecasterTests: XCTestCase {
    /// elecdemand_halfhourly.csv (rows are half-hours from 2014-01-01), optionally the first `rows`.
    func elecdemand(rows: Int? = nil) throws -> TimeSeriesSet {
        let table = try CSVReader.read(path: fixturePath("elecdemand_halfhourly.csv"))
        var set = try TimeSeriesSet(table: table, time: .rowOrder(start: "2014-01-01T00:00", step: .halfHourly))
        if let rows { set.series[0] = prefix(set.series[0], rows) }
        return set
    }

    func prefix(_ s: TimeSeries, _ n: Int) -> TimeSeries {
        TimeSeries(key: s.key, times: s.times.map { Array($0.prefix(n)) }, values: s.values.map { Array($0.prefix(n)) },
                   lines: Array(s.lines.prefix(n)))
    }

    func smallOptions(epochs: Int = 2) -> Seq2SeqOptions {
        var o = Seq2SeqOptions()
        o.base.hidden = 8
        o.base.lookback = 24
        o.base.horizon = 12
        o.base.knownFuture = ["Temperature", "WorkDay"]
        o.base.calendar = [.hourOfDay]
        o.base.training.epochs = epochs
        o.base.training.batchSize = 32
        o.base.training.workers = 1
        o.teacherForcing = .linear(maximum: 0.5, epochs: 2)
        return o
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "s2s-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testFitPredictEvaluateSaveLoad() throws {
        let set = try elecdemand(rows: 1500)
        let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: smallOptions())
        XCTAssertEqual(model.spec.futureInputNames, ["Temperature", "WorkDay", "hourOfDay_sin", "hourOfDay_cos"])
        XCTAssertEqual(model.spec.model.futureInputs, 4)
        XCTAssertEqual(model.spec.model.encoder.inputSize, 5)
        let report = try XCTUnwrap(model.provenance?.testMetrics)
        XCTAssertGreaterThan(report.windows, 0)
        XCTAssert(report.model.mase.isFinite && report.seasonalNaive.mase.isFinite)
        XCTAssertEqual(model.provenance?.samplingProbabilities, [0, 0.25])

        let prediction = try model.predict(set)
        XCTAssertEqual(prediction.forecasts.count, 1)
        XCTAssertEqual(prediction.forecasts[0].values.count, 12)
        XCTAssert(prediction.forecasts[0].values.allSatisfy { $0[0].isFinite })
        XCTAssertEqual(prediction.forecasts[0].labels.first, "2014-02-01T06:00")
        XCTAssertEqual(prediction.attention.count, 1)
        XCTAssertEqual(prediction.attention[0].count, 12)
        for row in prediction.attention[0] {
            XCTAssertEqual(row.count, 24)
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
        }
        XCTAssertEqual(prediction.inputLabels[0].count, 24)
        XCTAssertEqual(prediction.notes.count, 1, "no future rows: Temperature and WorkDay repeat the last day")

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/s2s.safetensors"
        try model.save(to: path)
        XCTAssertTrue(Seq2SeqForecaster.isSeq2SeqModel(path: path))
        let loaded = try Seq2SeqForecaster.load(from: path)
        XCTAssertEqual(loaded.spec, model.spec)
        XCTAssertEqual(loaded.params.tensorBytes(), model.params.tensorBytes())
        XCTAssertEqual(try loaded.predict(set).forecasts, prediction.forecasts)
        XCTAssertEqual(try loaded.evaluate(set), report)
        // Tensor names are PyTorch's.
        let names = try SafeTensorsFile.read(path: path).names
        for n in ["encoder.weight_ih_l0", "decoder.weight_hh_l0", "attention.W_q.weight", "attention.v.weight", "head.bias"] {
            XCTAssert(names.contains(n), "no tensor \(n) in \(names)")
        }

        // A direct model's file is not a seq2seq model and is refused by Seq2SeqForecaster.load.
        var direct = ForecasterOptions()
        direct.training.epochs = 1
        direct.lookback = 24; direct.horizon = 12; direct.hidden = 4
        let d = try Forecaster.fit(set, targets: ["Demand"], options: direct)
        try d.save(to: dir + "/direct.safetensors")
        XCTAssertFalse(Seq2SeqForecaster.isSeq2SeqModel(path: dir + "/direct.safetensors"))
        XCTAssertFalse(Seq2SeqForecaster.isSeq2SeqModel(path: dir + "/missing.safetensors"))
        XCTAssertThrowsError(try Seq2SeqForecaster.load(from: dir + "/direct.safetensors")) { XCTAssert("\($0)".contains("not a seq2seq model"), "\($0)") }
    }

    /// Rows after the history with empty targets carry the forecast steps' known-future values.
    /// Warm start keeps the spec, continues the history, changes the weights, leaves the
    /// original alone, and is deterministic.
    func testFineTuneContinuesTraining() throws {
        let set = try elecdemand(rows: 1500)
        let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: smallOptions())
        let before = model.params.tensorBytes()
        var cfg = smallOptions().base.training
        cfg.epochs = 2
        let tuned = try model.fineTuned(on: set, training: cfg)
        let again = try model.fineTuned(on: set, training: cfg)
        XCTAssertEqual(model.params.tensorBytes(), before, "fine-tuning must not change the original")
        XCTAssertNotEqual(tuned.params.tensorBytes(), before)
        XCTAssertEqual(tuned.params.tensorBytes(), again.params.tensorBytes())
        XCTAssertEqual(tuned.spec, model.spec)
        XCTAssertEqual(tuned.provenance?.history.count, (model.provenance?.history.count ?? 0) + 2)
        XCTAssertNotNil(tuned.provenance?.testMetrics)
        XCTAssert(try tuned.predict(set).forecasts[0].values.allSatisfy { $0[0].isFinite })
    }

    func testFutureRowsFeedTheDecoder() throws {
        let set = try elecdemand(rows: 1500)
        let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: smallOptions(epochs: 1))
        let col = try XCTUnwrap(set.columnIndex("Demand")), work = try XCTUnwrap(set.columnIndex("WorkDay"))
        // The last 12 rows become "future" rows: targets emptied.
        var withFuture = set
        for r in 1488..<1500 { withFuture.series[0].values[col][r] = .nan }
        let a = try model.predict(withFuture)
        XCTAssertTrue(a.notes.isEmpty, "\(a.notes)")
        XCTAssertEqual(a.forecasts[0].labels.first, "2014-02-01T00:00")
        var flipped = withFuture
        for r in 1488..<1500 { flipped.series[0].values[work][r] = 1 - flipped.series[0].values[work][r] }
        let b = try model.predict(flipped)
        XCTAssertNotEqual(a.forecasts[0].values, b.forecasts[0].values, "the working-day flag of the future rows must matter")
        // A wrong number of future rows is a clear error.
        var wrong = withFuture
        wrong.series[0].values[col][1487] = .nan
        XCTAssertThrowsError(try model.predict(wrong)) { XCTAssert("\($0)".contains("without target values"), "\($0)") }
    }

    func testBitIdenticalForAnyWorkerCount() throws {
        let set = try elecdemand(rows: 900)
        var weights: [[UInt8]] = []
        for workers in [1, 2, 3] {
            var o = smallOptions(epochs: 2)
            o.base.training.workers = workers
            o.teacherForcing = .constant(probability: 0.5)
            weights.append(try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: o).params.tensorBytes())
        }
        XCTAssertEqual(weights[0], weights[1])
        XCTAssertEqual(weights[0], weights[2])
    }

    func testProbabilisticHeads() throws {
        let set = try elecdemand(rows: 900)
        for loss in [LossKind.gaussian, .quantile([0.1, 0.5, 0.9])] {
            var o = smallOptions(epochs: 1)
            o.base.training.loss = loss
            o.attention = loss == .gaussian ? .luong : .additive
            o.base.cell = .gru
            let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: o)
            XCTAssertEqual(model.spec.model.outputsPerTarget, loss.outputsPerTarget)
            let f = try model.predict(set).forecasts[0]
            let lo = try XCTUnwrap(f.lower), hi = try XCTUnwrap(f.upper)
            for h in 0..<12 { XCTAssertLessThanOrEqual(lo[h][0], hi[h][0]) }
            let report = try model.evaluate(set)
            XCTAssertNotNil(report.model.coverage)
        }
    }

    // MARK: Accuracy experiment (docs/accuracy-seq2seq.md)

    /// FORECAST_S2S_ACCURACY=1 runs seq2seq (settings from FORECAST_S2S_SETTINGS, e.g.
    /// "hidden=64,epochs=40,attention=additive,tf=linear:0.5:10") and, with
    /// FORECAST_S2S_BASELINE=1, the direct LSTM with the same window and covariates, on the whole
    /// elecdemand file, horizon 48, and prints test MASE of both and of seasonal naive.
    func testElecdemandAccuracy() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["FORECAST_S2S_ACCURACY"] == "1" else { throw XCTSkip("set FORECAST_S2S_ACCURACY=1 to run the accuracy experiment") }
        var settings: [String: String] = [:]
        for kv in (env["FORECAST_S2S_SETTINGS"] ?? "").split(separator: ",") {
            let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
            if p.count == 2 { settings[p[0]] = p[1] }
        }
        func int(_ k: String, _ d: Int) -> Int { settings[k].flatMap { Int($0) } ?? d }
        let set = try elecdemand()
        var base = ForecasterOptions()
        base.horizon = 48
        base.lookback = int("lookback", 96)
        base.hidden = int("hidden", 64)
        base.knownFuture = ["Temperature", "WorkDay"]
        base.calendar = (settings["calendar"] ?? "").split(separator: "+").compactMap { CalendarFeature(rawValue: String($0)) }
        base.training.epochs = int("epochs", 40)
        base.training.patience = int("patience", 8)
        base.training.batchSize = int("batch", 32)
        base.training.seed = UInt64(int("seed", 42))
        if let lr = settings["lr"].flatMap(Float.init) { base.training.learningRate = lr }
        base.training.workers = int("workers", 2)
        if let c = settings["cell"].flatMap(CellKind.init(name:)) { base.cell = c }
        if env["FORECAST_S2S_BASELINE"] == "1" {
            let start = Date()
            let lstm = try Forecaster.fit(set, targets: ["Demand"], options: base)
            let r = try XCTUnwrap(lstm.provenance?.testMetrics)
            print(String(format: "RESULT direct-lstm mase %.4f seasonal-naive %.4f naive %.4f epochs %d best %d seconds %.0f",
                         r.model.mase, r.seasonalNaive.mase, r.naive.mase, lstm.provenance?.history.count ?? 0, lstm.provenance?.bestEpoch ?? 0,
                         Date().timeIntervalSince(start)))
        }
        guard env["FORECAST_S2S_SKIP_SEQ2SEQ"] != "1" else { return }
        var o = Seq2SeqOptions(base: base)
        o.attention = settings["attention"].flatMap(AttentionKind.init(name:)) ?? .additive
        o.attentionSize = settings["attsize"].flatMap { Int($0) }
        if let tf = settings["tf"] { o.teacherForcing = try XCTUnwrap(TeacherForcingSchedule(parsing: tf)) }
        let start = Date()
        let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: o) { event in
            if case let .epoch(r, _, improved, _, _) = event {
                print(String(format: "epoch %d loss %.4f val %.4f %@ %.0fs", r.epoch, r.trainLoss, r.validationLoss ?? .nan, improved ? "*" : "", r.seconds))
            }
        }
        let r = try XCTUnwrap(model.provenance?.testMetrics)
        print(String(format: "RESULT seq2seq-%@ mase %.4f seasonal-naive %.4f naive %.4f epochs %d best %d seconds %.0f settings %@",
                     o.attention.rawValue, r.model.mase, r.seasonalNaive.mase, r.naive.mase, model.provenance?.history.count ?? 0,
                     model.provenance?.bestEpoch ?? 0, Date().timeIntervalSince(start), env["FORECAST_S2S_SETTINGS"] ?? ""))
        if let out = env["FORECAST_S2S_SAVE"] { try model.save(to: out) }
    }
}

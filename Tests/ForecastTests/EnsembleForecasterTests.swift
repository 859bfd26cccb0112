import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// `--model auto` (``EnsembleForecaster``): the choice is made on the validation split, the
/// model file round-trips every member, and results do not depend on the worker count.
final class EnsembleForecasterTests: XCTestCase {
    func airSet() throws -> TimeSeriesSet {
        try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
    }

    func options(workers: Int) -> ForecasterOptions {
        var o = ForecasterOptions()
        o.training.workers = workers
        o.training.epochs = 15
        o.hidden = 16
        o.missing = .interpolate
        return o
    }

    func testAirPassengersEnsembleRoundTripsAndBeatsSeasonalNaive() throws {
        let set = try airSet()
        let model = try EnsembleForecaster.fit(set, targets: ["value"], options: options(workers: 2))
        XCTAssertEqual(model.networks.count, 3, "a 144-row series gets three LSTM members")
        XCTAssertEqual(Set(model.networks.map(\.spec.window.lookback)).count, 3, "lookbacks of 1, 2 and 3 seasons")
        XCTAssertNotNil(model.hybrid, "a single 144-row series gets an ES-hybrid member")
        XCTAssertEqual(model.spec.eshybrid, model.hybrid?.spec)
        XCTAssertEqual(model.spec.validation.count, EnsembleComponent.candidates.count, "every candidate is scored, the hybrid's too")
        let best = try XCTUnwrap(model.spec.validation.min { $0.mase < $1.mase })
        XCTAssertEqual(best.components, model.spec.combination, "the combination is the validation winner")
        let report = try model.evaluate(set)
        XCTAssertEqual(report.model.mase, model.provenance?.testMetrics?.model.mase)
        XCTAssertLessThan(report.model.mase, report.seasonalNaive.mase)

        let dir = try ForecastBinary.temporaryDirectory("ensemble")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/air.safetensors"
        try model.save(to: path)
        XCTAssertEqual(try ModelFamily.of(path: path), .ensemble)
        guard case .ensemble(let loaded) = try AnyModel.load(from: path) else { return XCTFail("not an ensemble") }
        XCTAssertEqual(loaded.spec, model.spec)
        XCTAssertEqual(loaded.hybrid?.params.namedTensors().map(\.tensor.scalars), model.hybrid?.params.namedTensors().map(\.tensor.scalars))
        XCTAssertEqual(try loaded.evaluate(set), report)
        XCTAssertEqual(try loaded.predict(set), try model.predict(set))
        let names = try SafeTensorsFile.read(path: path).metadata
        XCTAssertEqual(names["family"]?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")), "ensemble")
    }

    /// Also with `--intervals conformal`: the calibration and the forecasts' quantiles too.
    func testEnsembleIsBitIdenticalForAnyWorkerCount() throws {
        let set = try airSet()
        var forecasts: [[SeriesForecast]] = []
        var tensors: [[[Float]]] = []
        var calibrations: [ConformalCalibration?] = []
        for w in [1, 2, 3] {
            var o = options(workers: w)
            o.conformal = true
            let m = try EnsembleForecaster.fit(set, targets: ["value"], options: o)
            forecasts.append(try m.predict(set, levels: [0.025, 0.1, 0.9, 0.975]))
            tensors.append(m.networks.flatMap { $0.params.namedTensors().map { $0.tensor.scalars } }
                           + (m.hybrid?.params.namedTensors().map(\.tensor.scalars) ?? []))
            calibrations.append(m.conformal)
            XCTAssertNotNil(m.hybrid)
        }
        XCTAssertNotNil(calibrations[0])
        XCTAssertNotNil(forecasts[0][0].quantiles)
        XCTAssertEqual(forecasts[0], forecasts[1])
        XCTAssertEqual(forecasts[0], forecasts[2])
        XCTAssertEqual(tensors[0], tensors[1])
        XCTAssertEqual(tensors[0], tensors[2])
        XCTAssertEqual(calibrations[0], calibrations[1])
        XCTAssertEqual(calibrations[0], calibrations[2])
    }

    /// `--intervals conformal` on the ensemble: the calibration of the chosen combination reads
    /// validation rows as actuals and never a test row; it round-trips through the model file,
    /// gives nested quantiles around the point forecast and is scored by `evaluate`; the point
    /// forecasts are those of the same ensemble without it.
    func testConformalEnsembleCalibratesOnValidationRowsOnly() throws {
        let set = try airSet()
        var o = options(workers: 2)
        o.training.epochs = 5
        o.conformal = true
        let model = try EnsembleForecaster.fit(set, targets: ["value"], options: o)
        let c = try XCTUnwrap(model.conformal)
        XCTAssertEqual(c.rule, .rolling)
        XCTAssertEqual(c.residuals.count, 12)
        XCTAssert(c.pooled, "15 validation rows: fewer than 19 scores per step")
        XCTAssertEqual(c.residuals[0].count, 12 * 15, "each of the 15 validation rows is step h of one origin for every h; pooled over 12 steps")

        // Recomputed from the training-row statistical fits on edited copies of the data.
        var spec = model.spec
        spec.statistical = EnsembleForecaster.fitStatistical(EnsembleForecaster.filledTargets(set, targets: ["value"]),
                                                             season: spec.seasonLength, split: spec.split, throughValidation: false)
        let untrained = EnsembleForecaster(spec: spec, networks: model.networks, hybrid: model.hybrid, provenance: nil)
        let column = try XCTUnwrap(set.columnIndex("value"))
        func calibration(_ edit: (inout [Float], Int, Int) -> Void) throws -> ConformalCalibration {
            var s = set
            let (v, t) = spec.split.boundaries(rows: s.series[0].count)
            edit(&s.series[0].values[column], v, t)
            return try untrained.calibrate(s, filled: EnsembleForecaster.filledTargets(s, targets: ["value"]), score: c.score, rule: c.rule)
        }
        XCTAssert(try calibration { _, _, _ in } == c, "the same calibration from the same rows")
        XCTAssert(try calibration { y, _, t in for i in t..<y.count { y[i] *= 10 } } == c, "test rows are never read")
        XCTAssert(try calibration { y, v, _ in y[v + 3] *= 10 } != c, "validation rows are the actuals")

        let plain = try EnsembleForecaster.fit(set, targets: ["value"], options: { var p = o; p.conformal = false; return p }())
        XCTAssertNil(plain.conformal)
        XCTAssertEqual(plain.spec, model.spec, "calibrating changes no member and not the choice")
        let levels: [Float] = [0.025, 0.1, 0.9, 0.975]
        let f = try model.predict(set, levels: levels)
        XCTAssertEqual(f[0].values, try plain.predict(set)[0].values)
        let q = try XCTUnwrap(f[0].quantiles)
        XCTAssertEqual(f[0].quantileLevels, levels)
        for h in 0..<12 {
            let v = f[0].values[h][0], b = q[h][0]
            XCTAssert(b[0] < b[1] && b[1] < v && v < b[2] && b[2] < b[3], "step \(h): \(b) around \(v)")
        }

        let report = try model.evaluate(set)
        let d = try XCTUnwrap(report.model.distribution)
        XCTAssertNotNil(d.coverage["80"])
        XCTAssertNotNil(d.coverage["95"])
        XCTAssert(d.crps.isFinite && (d.msis ?? .nan).isFinite)
        XCTAssertEqual(report.model.mase, try plain.evaluate(set).model.mase)
        XCTAssertNil(try plain.evaluate(set).model.distribution)

        let dir = try ForecastBinary.temporaryDirectory("ensemble-conformal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(to: dir + "/m.safetensors")
        guard case .ensemble(let loaded) = try AnyModel.load(from: dir + "/m.safetensors") else { return XCTFail("not an ensemble") }
        XCTAssertEqual(loaded.conformal, c)
        XCTAssertEqual(try loaded.predict(set, levels: levels), f)
        XCTAssertEqual(try loaded.evaluate(set), report)
    }

    func testSeasonalNaiveWinsOnAPureSeasonalPattern() throws {
        // A repeated pattern with a small level shift: seasonal naive is exact on validation,
        // so the ensemble must not pick anything worse.
        let pattern: [Float] = [3, 7, 4, 9, 12, 5, 1, 8, 6, 2, 10, 11]
        var csv = "t,y\n"
        for i in 0..<120 { csv += "\(i),\(pattern[i % 12])\n" }
        let dir = try ForecastBinary.temporaryDirectory("ensemble-snaive")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try csv.write(toFile: dir + "/p.csv", atomically: true, encoding: .utf8)
        let set = try TimeSeriesSet(table: CSVReader.read(path: dir + "/p.csv"))
        var o = options(workers: 2)
        o.training.epochs = 3
        let m = try EnsembleForecaster.fit(set, targets: ["y"], options: o, networkMembers: 1)
        let r = try m.evaluate(set)
        XCTAssertLessThanOrEqual(r.model.mase, r.seasonalNaive.mase + 1e-6, "chose \(m.spec.combination)")
    }

    /// The hybrid member is trained only where it applies: one target, no covariates, at most
    /// 5,000 rows; candidates naming it are then not scored.
    func testNoHybridMemberWithCovariatesOrLongFiles() throws {
        let set = try airSet()
        var o = options(workers: 1)
        XCTAssertTrue(EnsembleForecaster.trainsHybrid(set, targets: ["value"], options: o))
        o.calendar = [.dayOfYear]
        XCTAssertFalse(EnsembleForecaster.trainsHybrid(set, targets: ["value"], options: o))
        let elec = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("elecdemand_halfhourly.csv")))
        XCTAssertFalse(EnsembleForecaster.trainsHybrid(elec, targets: ["Demand"], options: options(workers: 1)), "17,520 rows")

        var short = options(workers: 1)
        short.training.epochs = 2
        short.calendar = [.dayOfYear]
        let m = try EnsembleForecaster.fit(set, targets: ["value"], options: short, networkMembers: 1)
        XCTAssertNil(m.hybrid)
        XCTAssertNil(m.spec.eshybrid)
        XCTAssertFalse(m.spec.validation.contains { $0.components.contains(.eshybrid) })
        XCTAssertEqual(m.spec.validation.count, EnsembleComponent.candidates.filter { !$0.contains(.eshybrid) }.count)
    }

    /// The choice: the most-combined candidate within 5% of the validation winner, else the winner.
    func testChoicePrefersCombinationsWithinTheMargin() {
        func c(_ parts: [EnsembleComponent], _ mase: Double) -> EnsembleSpec.CandidateScore { .init(components: parts, mase: mase) }
        // Air passengers' validation scores of this session: ETS alone 0.4247 wins, the median of
        // lstm, eshybrid and ets (0.4386) is within 5% and kept.
        let air = [c([.lstm, .ets, .theta], 0.6431), c([.lstm, .eshybrid, .ets], 0.4386), c([.eshybrid, .ets, .theta], 0.4614),
                   c([.lstm, .ets], 0.5596), c([.ets], 0.4247), c([.snaive], 1.1147)]
        XCTAssertEqual(EnsembleForecaster.choose(air)?.components, [.lstm, .eshybrid, .ets])
        // Nothing combined within 5%: the winner.
        XCTAssertEqual(EnsembleForecaster.choose([c([.lstm, .ets, .theta], 1.2), c([.lstm, .ets], 1.06), c([.snaive], 1.0)])?.components, [.snaive])
        // Pairs count when no triple is near; the lower of two pairs.
        XCTAssertEqual(EnsembleForecaster.choose([c([.lstm, .ets, .theta], 2), c([.lstm, .ets], 1.04), c([.ets, .theta], 1.03), c([.lstm], 1)])?.components, [.ets, .theta])
        // Non-finite scores never win; none finite: no choice.
        XCTAssertEqual(EnsembleForecaster.choose([c([.lstm, .ets, .theta], .nan), c([.theta], 1)])?.components, [.theta])
        XCTAssertNil(EnsembleForecaster.choose([c([.lstm], .infinity)]))
    }
}

/// ``LongSeriesDefaults``: when `auto` trains two members on spans.
final class LongSeriesDefaultsTests: XCTestCase {
    func testAppliesFromTenThousandTrainingWindows() throws {
        let elec = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("elecdemand_halfhourly.csv")))
        var o = ForecasterOptions()
        o.features = ["Temperature", "WorkDay"]
        // 17,520 rows: 14,016 training rows, lookback 96 and horizon 48 (the season).
        XCTAssertEqual(LongSeriesDefaults.trainingWindows(elec, lookback: 96, horizon: 48, split: o.split), 14_016 - 96 - 48 + 1)
        XCTAssertTrue(LongSeriesDefaults.applies(elec, targets: ["Demand"], options: o))
        var windowed = o
        windowed.training.span = 1
        XCTAssertFalse(LongSeriesDefaults.applies(elec, targets: ["Demand"], options: windowed), "an explicit span is kept")
        var scaled = o
        scaled.windowScaling = .robust
        XCTAssertFalse(LongSeriesDefaults.applies(elec, targets: ["Demand"], options: scaled))
        let air = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        XCTAssertFalse(LongSeriesDefaults.applies(air, targets: ["value"], options: ForecasterOptions()))
    }
}

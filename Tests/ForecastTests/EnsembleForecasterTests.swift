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

    func testEnsembleIsBitIdenticalForAnyWorkerCount() throws {
        let set = try airSet()
        var forecasts: [[SeriesForecast]] = []
        var tensors: [[[Float]]] = []
        for w in [1, 2, 3] {
            let m = try EnsembleForecaster.fit(set, targets: ["value"], options: options(workers: w))
            forecasts.append(try m.predict(set))
            tensors.append(m.networks.flatMap { $0.params.namedTensors().map { $0.tensor.scalars } }
                           + (m.hybrid?.params.namedTensors().map(\.tensor.scalars) ?? []))
            XCTAssertNotNil(m.hybrid)
        }
        XCTAssertEqual(forecasts[0], forecasts[1])
        XCTAssertEqual(forecasts[0], forecasts[2])
        XCTAssertEqual(tensors[0], tensors[1])
        XCTAssertEqual(tensors[0], tensors[2])
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

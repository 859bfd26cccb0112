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
        XCTAssertEqual(model.spec.validation.count, EnsembleComponent.candidates.count)
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
            tensors.append(m.networks.flatMap { $0.params.namedTensors().map { $0.tensor.scalars } })
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
}

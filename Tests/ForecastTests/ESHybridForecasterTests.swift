import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// `--model eshybrid` (``ESHybridForecaster``): the form rule, one and many series, the model
/// file round trip, refusal of bad files, and bit-identical results for any worker count.
final class ESHybridForecasterTests: XCTestCase {
    func airSet() throws -> TimeSeriesSet {
        try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
    }

    func options(workers: Int, epochs: Int = 20) -> ESHybridOptions {
        var o = ESHybridOptions()
        o.base.training.workers = workers
        o.base.training.epochs = epochs
        o.base.missing = .interpolate
        o.hidden = 8
        return o
    }

    /// Three series in long format: growing multiplicative seasonality at different scales.
    func manySeries() throws -> TimeSeriesSet {
        var csv = "date,store,sales\n"
        for (k, scale) in [("a", 10.0), ("b", 200.0), ("c", 3.0)] {
            for t in 0..<144 {
                let month = t % 12 + 1, year = 2000 + t / 12
                let level = scale * (1 + 0.02 * Double(t))
                let v = level * (1 + 0.3 * sin(2 * Double.pi * Double(t) / 12)) + scale * 0.01 * Double((t * 7) % 5)
                csv += "\(year)-\(month < 10 ? "0" : "")\(month)-01,\(k),\(v)\n"
            }
        }
        let dir = try ForecastBinary.temporaryDirectory("eshybrid-many")
        let path = dir + "/many.csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return try TimeSeriesSet(table: CSVReader.read(path: path), seriesKey: "store")
    }

    func testFormRule() {
        let m = 4
        // Amplitude proportional to the level → multiplicative.
        let mult = (0..<40).map { t in (10 + Double(t)) * (1 + 0.3 * [1, -1, 0.5, -0.5][t % m]) }
        XCTAssertTrue(ESHybridForecaster.chooseForm([mult[...]], season: m).multiplicative)
        // Constant amplitude on a rising level → additive.
        let add = (0..<40).map { t in 10 + Double(t) + 3 * [1, -1, 0.5, -0.5][t % m] }
        XCTAssertFalse(ESHybridForecaster.chooseForm([add[...]], season: m).multiplicative)
        // A value ≤ 0 → additive, whatever the shape.
        XCTAssertFalse(ESHybridForecaster.chooseForm([(mult.map { $0 - 15 })[...]], season: m).multiplicative)
        // No seasonality, positive → multiplicative.
        XCTAssertTrue(ESHybridForecaster.chooseForm([add[...]], season: 1).multiplicative)
    }

    func testAirPassengersRoundTripsAndBeatsSeasonalNaive() throws {
        let set = try airSet()
        let model = try ESHybridForecaster.fit(set, target: "value", options: options(workers: 2, epochs: 40))
        XCTAssertTrue(model.spec.model.multiplicative, model.spec.formReason)
        XCTAssertEqual(model.spec.model.season, 12)
        let report = try model.evaluate(set)
        XCTAssertEqual(report.model.mase, model.provenance?.testMetrics?.model.mase)
        XCTAssertLessThan(report.model.mase, report.seasonalNaive.mase)

        let dir = try ForecastBinary.temporaryDirectory("eshybrid")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/air.safetensors"
        try model.save(to: path)
        XCTAssertEqual(try ModelFamily.of(path: path), .eshybrid)
        guard case .eshybrid(let loaded) = try AnyModel.load(from: path) else { return XCTFail("not an ES-hybrid model") }
        XCTAssertEqual(loaded.spec, model.spec)
        XCTAssertEqual(try loaded.evaluate(set), report)
        let forecasts = try loaded.predict(set)
        XCTAssertEqual(forecasts, try model.predict(set))
        XCTAssertEqual(forecasts.count, 1)
        XCTAssertEqual(forecasts[0].values.count, 12)
        XCTAssert(forecasts[0].values.allSatisfy { $0[0].isFinite && $0[0] > 0 })
    }

    func testManySeriesShareTheLSTMWithOwnSmoothing() throws {
        let set = try manySeries()
        let model = try ESHybridForecaster.fit(set, target: "sales", options: options(workers: 1, epochs: 15))
        XCTAssertEqual(model.spec.model.series, 3)
        XCTAssertEqual(model.params.view("es.season0")!.count, 3 * 12)
        XCTAssertEqual(model.spec.scales.count, 3)
        XCTAssertTrue(model.spec.model.multiplicative, model.spec.formReason)
        let f = try model.predict(set)
        XCTAssertEqual(f.map(\.key), ["a", "b", "c"])
        // Scales differ by 70x; forecasts follow each series' own level.
        XCTAssertGreaterThan(f[1].values[0][0], 10 * f[0].values[0][0])
        XCTAssertLessThan(try model.evaluate(set).model.mase, 2)
    }

    func testBitIdenticalForAnyWorkerCount() throws {
        let set = try manySeries()
        var tensors: [[Float]] = [], forecasts: [[SeriesForecast]] = []
        for w in [1, 2, 3] {
            let m = try ESHybridForecaster.fit(set, target: "sales", options: options(workers: w, epochs: 4))
            tensors.append(m.params.namedTensors().flatMap { $0.tensor.scalars })
            forecasts.append(try m.predict(set))
        }
        XCTAssertEqual(tensors[0], tensors[1])
        XCTAssertEqual(tensors[0], tensors[2])
        XCTAssertEqual(forecasts[0], forecasts[1])
        XCTAssertEqual(forecasts[0], forecasts[2])
    }

    func testBadFilesAreRefusedWithTheField() throws {
        let set = try airSet()
        let model = try ESHybridForecaster.fit(set, target: "value", options: options(workers: 1, epochs: 1))
        let dir = try ForecastBinary.temporaryDirectory("eshybrid-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func attempt(_ edit: (inout ESHybridSpec) -> Void, tensors: ((ParameterStore) -> Void)? = nil, expect fragment: String) throws {
            var spec = model.spec
            edit(&spec)
            let params = model.params.clone()
            tensors?(params)
            let path = dir + "/bad.safetensors"
            try ESHybridForecaster(spec: spec, params: params, provenance: nil).save(to: path)
            XCTAssertThrowsError(try AnyModel.load(from: path)) { XCTAssert("\($0)".contains(fragment), "\($0)") }
        }
        try attempt({ $0.scales = [-1] }, expect: "scales[0]")
        try attempt({ $0.seriesKeys = ["a", "b"] }, expect: "config.scales")
        try attempt({ $0.model.horizon = 13 }, expect: "horizon")
        try attempt({ $0.model.lookback = 0 }, expect: "config.model.lookback")
        try attempt({ $0.model.history = 3 }, expect: "config.model.history")
        try attempt({ $0.model.recurrent.hiddenSize = 0 }, expect: "hiddenSize")
        try attempt({ $0.loss = .gaussian }, expect: "config.loss")
        try attempt({ _ in }, tensors: { $0.view("es.alpha")![0] = .nan }, expect: "es.alpha")
    }
}

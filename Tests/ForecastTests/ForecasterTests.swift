import Foundation
import XCTest
import Forecast
import _TestSupport

final class ForecasterTests: XCTestCase {
    /// A default LSTM trained through the library API beats seasonal naive (MASE) on the last
    /// 12 months of air_passengers, the classic hold-out, with a fixed seed.
    func testAirPassengersBeatsSeasonalNaiveOnLastYear() throws {
        let table = try CSVReader.read(path: fixturePath("air_passengers.csv"))
        let full = try TimeSeriesSet(table: table)
        XCTAssertEqual(full.rowCount, 144)
        var history = full
        let col = try XCTUnwrap(full.columnIndex("value"))
        history.series[0] = truncated(full.series[0], to: 132)
        let model = try Forecaster.fit(history, targets: ["value"])
        let forecast = try model.predict(history)
        XCTAssertEqual(forecast.count, 1)
        XCTAssertEqual(forecast[0].values.count, 12)
        let actual = Array(full.series[0].values[col][132..<144])
        let past = history.series[0].values[col][0..<132]
        let snaive = Baseline.seasonalNaive.forecast(history: past, horizon: 12, season: 12)
        let scale = Metrics.maseScale(past, season: 12)
        let denom = scale.sum / Double(scale.count)
        func mase(_ f: [Float]) -> Double { zip(actual, f).map { Double(abs($0 - $1)) }.reduce(0, +) / 12 / denom }
        let modelMASE = mase(forecast[0].values.map { $0[0] }), naiveMASE = mase(snaive)
        print("air_passengers last 12 months: model MASE \(modelMASE), seasonal naive MASE \(naiveMASE)")
        XCTAssertLessThan(modelMASE, naiveMASE)
    }

    /// Save and load keep every weight and setting; a corrupted file is refused.
    func testSaveLoadRoundTripAndThreadSafePrediction() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        var options = ForecasterOptions()
        options.training.epochs = 3
        let model = try Forecaster.fit(set, targets: ["value"], options: options)
        let dir = NSTemporaryDirectory() + "fc-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/m.safetensors"
        try model.save(to: path)
        let loaded = try Forecaster.load(from: path)
        XCTAssertEqual(loaded.params.tensorBytes(), model.params.tensorBytes())
        XCTAssertEqual(loaded.spec, model.spec)
        let expected = try model.predict(set)
        XCTAssertEqual(try loaded.predict(set), expected)

        // Many threads predicting with one loaded model at once get identical answers.
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 16)
        defer { results.deallocate() }
        results.initialize(repeating: false)
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            results[i] = (try? loaded.predict(set)) == expected
        }
        XCTAssert(results.allSatisfy { $0 }, "concurrent predictions differ")

        var bytes = try AtomicFile.read(path)
        bytes[bytes.count - 1] ^= 1
        try AtomicFile.write(bytes, to: dir + "/bad.safetensors")
        XCTAssertThrowsError(try Forecaster.load(from: dir + "/bad.safetensors")) { XCTAssert("\($0)".contains("checksum"), "\($0)") }
    }
}

/// The first `n` rows of a series.
func truncated(_ s: TimeSeries, to n: Int) -> TimeSeries {
    TimeSeries(key: s.key, times: s.times.map { Array($0.prefix(n)) }, values: s.values.map { Array($0.prefix(n)) },
               lines: Array(s.lines.prefix(n)), segmentStarts: s.segmentStarts.filter { $0 < n })
}

final class ForecasterResumeTests: XCTestCase {
    /// fit(4 epochs) == fit(2 epochs, checkpoint) + fit(resume, 4 epochs), bit for bit; and a
    /// fine-tune keeps the spec and changes the weights.
    func testResumeAndFineTune() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        let dir = NSTemporaryDirectory() + "fcr-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = ForecasterOptions()
        options.training.epochs = 4
        options.training.patience = nil
        let straight = try Forecaster.fit(set, targets: ["value"], options: options)
        var half = options
        half.training.epochs = 2
        let ck = dir + "/ck.safetensors"
        _ = try Forecaster.fit(set, targets: ["value"], options: half, checkpointPath: ck)
        let resumed = try Forecaster.fit(set, targets: ["value"], options: options, checkpointPath: ck, resume: true)
        XCTAssertEqual(resumed.params.tensorBytes(), straight.params.tensorBytes())

        var tune = options.training
        tune.epochs = 2
        let tuned = try straight.fineTuned(on: set, training: tune)
        XCTAssertEqual(tuned.spec, straight.spec)
        XCTAssertNotEqual(tuned.params.tensorBytes(), straight.params.tensorBytes())
        XCTAssertEqual(tuned.provenance?.history.count, 6)
    }
}

final class SeasonDetectionTests: XCTestCase {
    func testDetectsDailyCycleOfHalfHourlyDemandWithoutTimeColumn() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("elecdemand_halfhourly.csv")))
        XCTAssertNil(set.frequency)
        let c = try XCTUnwrap(set.columnIndex("Demand"))
        XCTAssertEqual(SeasonDetection.detect(set.series[0].values[c][0..<5000]), 48)
        var rng = SeededGenerator(seed: 1)
        let noise = (0..<500).map { _ in rng.nextNormal() }
        XCTAssertNil(SeasonDetection.detect(noise[...]))
        let seasonal = (0..<600).map { i in Float(sin(Double(i) * 2 * .pi / 12)) + 0.1 * noise[i % 500] }
        XCTAssertEqual(SeasonDetection.detect(seasonal[...]), 12)
    }
}

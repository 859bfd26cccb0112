import Foundation
import XCTest
import Forecast
import _TestSupport

/// ``ForecastStream``: one observation at a time, against ``Forecaster/predict(_:)`` on the same
/// rows (air_passengers).
final class ForecastStreamTests: XCTestCase {
    static func fit(levelNormalization: Bool, cell: CellKind = .lstm) throws -> (Forecaster, TimeSeriesSet) {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        var o = ForecasterOptions()
        o.cell = cell
        o.hidden = 16
        o.layers = 2
        o.lookback = 12
        o.horizon = 3
        o.levelNormalization = levelNormalization
        o.training.epochs = 3
        o.training.seed = 5
        return (try Forecaster.fit(set, targets: ["value"], options: o), set)
    }

    /// Streams rows `0..<n` of the single series of `set`.
    static func streamed(_ model: Forecaster, _ set: TimeSeriesSet, rows n: Int) throws -> ForecastStream {
        let stream = model.stream()
        let c = set.columnIndex("value")!
        for r in 0..<n { try stream.update(columns: ["value": set.series[0].values[c][r]], time: set.series[0].times?[r]) }
        return stream
    }

    static func prefix(_ set: TimeSeriesSet, _ n: Int) -> TimeSeriesSet {
        var s = set
        s.series[0] = truncated(set.series[0], to: n)
        return s
    }

    /// Carried state (no level normalisation): after exactly `lookback` observations the
    /// stream's forecast is bit-identical to predict on those rows; after more, to the network
    /// run over every row seen (a forecaster whose lookback is the whole history). The
    /// difference to the windowed predict, which forgets older rows, is printed.
    func testCarriedStateEqualsTheNetworkOverTheSameHistory() throws {
        for cell in [CellKind.lstm, .gru] {
            let (model, set) = try Self.fit(levelNormalization: false, cell: cell)
            let T = model.spec.window.lookback
            let warm = try Self.streamed(model, set, rows: T)
            XCTAssertTrue(warm.isIncremental)
            let direct = try model.predict(Self.prefix(set, T))[0].values
            XCTAssertEqual(try warm.forecast().values, direct, "\(cell): stream after lookback rows vs predict")

            for n in [T + 1, 60, set.rowCount] {
                let stream = try Self.streamed(model, set, rows: n)
                var spec = model.spec
                spec.window.lookback = n
                let whole = Forecaster(spec: spec, params: model.params, provenance: nil)
                let history = try whole.predict(Self.prefix(set, n))[0].values
                XCTAssertEqual(try stream.forecast().values, history, "\(cell): stream after \(n) rows vs the network over all \(n) rows")
                let windowed = try model.predict(Self.prefix(set, n))[0].values
                let diff = zip(history.joined(), windowed.joined()).map { abs($0 - $1) }.max() ?? 0
                print("\(cell) stream after \(n) rows: carried state vs windowed predict (last \(T) rows) differ by up to \(diff) passengers")
            }
        }
    }

    /// Level-normalised models (what `forecast train` makes) keep a window ring: the forecast is
    /// bit-identical to predict on the same rows, at every point after warm-up.
    func testLevelNormalizedStreamEqualsPredict() throws {
        let (model, set) = try Self.fit(levelNormalization: true)
        let stream = model.stream()
        XCTAssertFalse(stream.isIncremental)
        let c = set.columnIndex("value")!
        let T = model.spec.window.lookback
        for r in 0..<set.rowCount {
            try stream.update(columns: ["value": set.series[0].values[c][r]], time: set.series[0].times?[r])
            if r + 1 >= T, (r + 1) % 17 == 0 || r + 1 == set.rowCount || r + 1 == T {
                XCTAssertEqual(try stream.forecast().values, try model.predict(Self.prefix(set, r + 1))[0].values, "after \(r + 1) rows")
            }
        }
    }

    func testBadObservationsAreRefused() throws {
        let (model, _) = try Self.fit(levelNormalization: false)
        let stream = model.stream()
        XCTAssertThrowsError(try stream.forecast()) { XCTAssertTrue("\($0)".contains("lookback"), "\($0)") }
        XCTAssertThrowsError(try stream.update([1, 2])) { XCTAssertTrue("\($0)".contains("needs 1 inputs"), "\($0)") }
        XCTAssertThrowsError(try stream.update([.nan])) { XCTAssertTrue("\($0)".contains("finite"), "\($0)") }
        XCTAssertThrowsError(try stream.update(columns: ["other": 1], time: nil)) { XCTAssertTrue("\($0)".contains("value"), "\($0)") }
        XCTAssertEqual(stream.count, 0)
    }
}

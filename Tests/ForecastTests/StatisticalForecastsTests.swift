import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// `forecasts(history:ends:horizon:)`, the one-pass forecasts of the statistical members from
/// many origins (the ensemble scores thousands of windows of one series), against a fresh
/// `forecast(history:horizon:)` on each prefix: equal bit for bit, for every ETS form, Theta with
/// multiplicative, additive and no seasonal adjustment, even and odd periods, and origins in
/// any order, repeated, and too short for a decomposition.
final class StatisticalForecastsTests: XCTestCase {
    func airPassengers() throws -> [Double] {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        let c = try XCTUnwrap(set.columnIndex("value"))
        return set.series[0].values[c].map(Double.init)
    }

    /// Origins 0 ..< n in a seeded shuffled order, with some repeated.
    func shuffledEnds(_ n: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        var ends = Array(0..<n) + [n - 1, 5, 30]
        ends.shuffle(using: &rng)
        return ends
    }

    func assertOnePassEqualsPrefixes(_ model: StatisticalModel, _ y: [Double], horizon: Int, file: StaticString = #filePath, line: UInt = #line) {
        let ends = shuffledEnds(y.count, seed: 11)
        let batch = model.forecasts(history: y[...], ends: ends, horizon: horizon)
        XCTAssertEqual(batch.count, ends.count, file: file, line: line)
        for (k, e) in ends.enumerated() {
            let fresh = model.forecast(history: y[0...e], horizon: horizon)
            XCTAssertEqual(batch[k].map(\.bitPattern), fresh.map(\.bitPattern), "\(model.name), origin \(e)", file: file, line: line)
            if batch[k].map(\.bitPattern) != fresh.map(\.bitPattern) { return }
        }
    }

    func testETSOnePassForecastsEqualEveryPrefixsForecastForEveryForm() throws {
        let air = try airPassengers()
        let centred = air.map { $0 - 280 }       // negative values: no multiplicative season
        var forms = 0
        for y in [air, centred] {
            for season in ExponentialSmoothing.Season.allCases {
                for trend in ExponentialSmoothing.Trend.allCases {
                    guard let m = ExponentialSmoothing.fit(Array(y[0..<120]), season: 12, trend: trend, seasonality: season) else { continue }
                    assertOnePassEqualsPrefixes(.ets(m), y, horizon: 12)
                    forms += 1
                }
            }
        }
        XCTAssertEqual(forms, 15, "9 forms on positive data, 6 without the multiplicative season")
    }

    func testThetaOnePassForecastsEqualEveryPrefixsForecast() throws {
        let air = try airPassengers()
        var kinds: Set<String> = []
        for (y, m) in [(air, 12), (air.map { $0 - 280 }, 12), (air, 7), (air, 1)] {
            let model = try XCTUnwrap(ThetaMethod.fit(Array(y[0..<120]), season: m))
            kinds.insert(model.decomposition?.rawValue ?? "none")
            assertOnePassEqualsPrefixes(.theta(model), y, horizon: 12)
        }
        XCTAssertEqual(kinds, ["multiplicative", "additive", "none"])
        // An odd period with the adjustment forced on (the odd-length moving average).
        var odd = try XCTUnwrap(ThetaMethod.fit(Array(air[0..<120]), season: 7))
        odd.decomposition = .multiplicative
        assertOnePassEqualsPrefixes(.theta(odd), air, horizon: 9)
    }

    func testNaiveMembersOnePassForecasts() throws {
        let air = try airPassengers()
        assertOnePassEqualsPrefixes(.naive, air, horizon: 5)
        assertOnePassEqualsPrefixes(.seasonalNaive(period: 12), air, horizon: 30)
    }
}

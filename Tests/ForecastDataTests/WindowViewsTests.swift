import XCTest
import Foundation
@testable import ForecastData
import _TestSupport

/// Windows as (series, end row) views into rows scaled once: every gathered window equals the
/// one cut by hand from the series' own values, and the index stays O(series × segments).
final class WindowViewsTests: XCTestCase {
    /// Three daily series of different lengths, one with a gap (two segments), two columns.
    func threeSeries() throws -> TimeSeriesSet {
        var text = "id,date,v,w\n"
        let day = CivilTime.dayMillis
        let t0 = CivilTime(year: 2020, month: 1, day: 1).instant()
        for (k, n) in [("a", 40), ("b", 55), ("c", 33)] {
            for i in 0..<n where !(k == "b" && (20..<23).contains(i)) {
                let v = Double(k.unicodeScalars.first!.value) * 10 + Double(i) * 1.5
                text += "\(k),\(TimeFormat(kind: .date).format(t0 + Int64(i) * day)),\(v),\(Double(i % 7))\n"
            }
        }
        return try TimeSeriesSet(table: CSVReader.read(text: text, name: "three.csv"), seriesKey: "id")
    }

    /// The window of series s ending at row e, cut directly from the raw columns and scaled.
    func reference(_ set: TimeSeriesSet, _ d: PreparedData, series s: Int, end e: Int) -> (x: [Float], y: [Float]) {
        let spec = d.spec
        let cols = spec.inputColumns.map { set.series[s].values[set.columnIndex($0)!] }
        let sc = spec.inputColumns.map { d.scaler.scaler(for: $0) }
        var x: [Float] = []
        for r in (e - spec.lookback + 1)...e { for c in cols.indices { x.append(sc[c].transform(cols[c][r])) } }
        var y: [Float] = []
        let first = spec.mode == .manyToOne ? e + 1 : e - spec.lookback + 1 + spec.horizon
        let steps = spec.mode == .manyToOne ? spec.horizon : spec.lookback
        for r in first..<(first + steps) {
            for t in spec.targets { let c = spec.inputColumns.firstIndex(of: t)!; y.append(sc[c].transform(cols[c][r])) }
        }
        return (x, y)
    }

    func testGatheredWindowsEqualWindowsCutByHand() throws {
        let set = try threeSeries()
        XCTAssertEqual(set.series[1].segments.count, 2, "series b has a gap")
        for spec in [WindowSpec(lookback: 5, horizon: 3, targets: ["v"], features: ["w"]),
                     WindowSpec(lookback: 4, horizon: 2, stride: 3, targets: ["w", "v"]),
                     WindowSpec(lookback: 6, horizon: 1, targets: ["v", "w"], mode: .manyToMany)] {
            let d = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.2, test: 0.2))
            for part in [d.train, d.validation, d.test] {
                XCTAssertFalse(part.isEmpty)
                let m = part.materialized()
                let xs = spec.lookback * part.features, ys = part.targetLength
                for i in 0..<part.count {
                    let (s, e) = part.origin(i)
                    XCTAssertEqual(m.series[i], s); XCTAssertEqual(m.end[i], e)
                    let ref = reference(set, d, series: s, end: e)
                    XCTAssertEqual(Array(m.x[(i * xs)..<((i + 1) * xs)]), ref.x, "window \(i) inputs")
                    XCTAssertEqual(Array(m.y[(i * ys)..<((i + 1) * ys)]), ref.y, "window \(i) targets")
                }
                // Runs: at most one per series, segment and part (the index does not grow per window).
                XCTAssertLessThanOrEqual(part.runs.count, 4)
            }
        }
    }

    /// Gathering in any order returns the same windows as gathering them one by one.
    func testGatherInAnyOrder() throws {
        let d = try PreparedData(try threeSeries(), spec: WindowSpec(lookback: 5, horizon: 3, targets: ["v"], features: ["w"]), split: .none)
        let order = Array((0..<d.train.count).reversed()).filter { $0 % 3 != 1 }
        let xs = d.train.lookback * d.train.features, ys = d.train.targetLength
        var x = [Float](repeating: .nan, count: order.count * xs), y = [Float](repeating: .nan, count: order.count * ys)
        x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            for (k, i) in order.enumerated() { d.train.copy(i, input: xp.baseAddress! + k * xs, target: yp.baseAddress! + k * ys) }
        } }
        let m = d.train.materialized()
        for (k, i) in order.enumerated() {
            XCTAssertEqual(Array(x[(k * xs)..<((k + 1) * xs)]), Array(m.x[(i * xs)..<((i + 1) * xs)]))
            XCTAssertEqual(Array(y[(k * ys)..<((k + 1) * ys)]), Array(m.y[(i * ys)..<((i + 1) * ys)]))
        }
    }

    /// Windows dropped for a missing value split a run; the rest are still found.
    func testDroppedWindowsSplitRuns() throws {
        var text = "date,v\n"
        let t0 = CivilTime(year: 2020, month: 1, day: 1).instant()
        for i in 0..<30 { text += "\(TimeFormat(kind: .date).format(t0 + Int64(i) * CivilTime.dayMillis)),\(i == 12 ? "" : String(i))\n" }
        let set = try TimeSeriesSet(table: CSVReader.read(text: text, name: "gap.csv"))
        let d = try PreparedData(set, spec: WindowSpec(lookback: 3, horizon: 1, targets: ["v"]), split: .none, scaler: .none, missing: .drop)
        XCTAssertEqual(d.train.runs.count, 2)
        XCTAssertEqual(d.train.materialized().end, Array(2...10) + Array(15...28))
        XCTAssertEqual(d.train.materialized().x.prefix(3), [0, 1, 2])
    }

    func testLongFormatIsRecognised() throws {
        XCTAssertTrue(LongFormat.recognises(["unique_id", "ds", "y"]))
        XCTAssertTrue(LongFormat.recognises(["ds", "y", "unique_id", "price"]))
        XCTAssertFalse(LongFormat.recognises(["id", "ds", "y"]))
        let path = NSTemporaryDirectory() + "long-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("\u{FEFF}\"unique_id\";ds;y\r\nA;2020-01-01;1\r\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(LongFormat.headerNames(path: path), ["unique_id", "ds", "y"])
        XCTAssertTrue(LongFormat.recognises(path: path))
        XCTAssertFalse(LongFormat.recognises(path: path + ".missing"))
    }
}

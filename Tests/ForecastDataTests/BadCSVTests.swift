import XCTest
import Foundation
import ForecastData
import _TestSupport

/// Each malformed file in Fixtures/bad-csv gives its own clear error (file, line, column and
/// message fragment as recorded in EXPECTED.tsv), and none crashes.
final class BadCSVTests: XCTestCase {
    func testEveryBadFileGivesItsExpectedError() throws {
        let expected = try expectedFailures()
        XCTAssertGreaterThanOrEqual(expected.count, 30)
        let files = try FileManager.default.contentsOfDirectory(atPath: fixturePath("bad-csv")).filter { $0.hasSuffix(".csv") }
        XCTAssertEqual(Set(files), Set(expected.map(\.file)), "every bad file has a manifest line and vice versa")
        for e in expected {
            let path = fixturePath("bad-csv/\(e.file)")
            do {
                try ingestEverything(path)
                XCTFail("\(e.file): no error")
            } catch let error as DataError {
                let text = "\(error)"
                if ProcessInfo.processInfo.environment["PRINT_BAD_CSV"] != nil { print("\(e.file)\t\(text)") }
                XCTAssertEqual(error.location?.file, path, text)
                XCTAssertEqual(error.location?.line, e.line, "\(e.file) line: \(text)")
                XCTAssertEqual(error.location?.column, e.column, "\(e.file) column: \(text)")
                XCTAssertTrue(text.contains(e.fragment), "\(e.file): \(text) lacks \(e.fragment)")
                var prefix = path
                if let l = e.line { prefix += ":\(l)"; if let c = e.column { prefix += ":\(c)" } }
                XCTAssertTrue(text.hasPrefix(prefix + ": "), "\(e.file): \(text) should start with \(prefix)")
            } catch {
                XCTFail("\(e.file): untyped error \(error)")
            }
        }
    }
}

import XCTest
import ForecastData
import _TestSupport

final class NumberParserTests: XCTestCase {
    func parse(_ s: String) -> NumberParser.Outcome { NumberParser.parseFloat(s) }

    func testSyntax() {
        XCTAssertEqual(parse("12"), .value(12))
        XCTAssertEqual(parse("-3.5"), .value(-3.5))
        XCTAssertEqual(parse("+.5"), .value(0.5))
        XCTAssertEqual(parse("5."), .value(5))
        XCTAssertEqual(parse(" 1e3 "), .value(1000))
        XCTAssertEqual(parse("2.5E-2"), .value(Float("2.5E-2")!))
        XCTAssertEqual(parse("0000.000"), .value(0))
        for bad in ["", ".", "-", "e5", "1e", "1e+", "1.2.3", "0x10", "inf", "nan", "NaN", "1,5", "1 2", "--1", "١"] {
            XCTAssertEqual(parse(bad), .invalid, bad)
        }
    }

    func testRangeLimits() {
        XCTAssertEqual(parse("3.4028235e38"), .value(Float.greatestFiniteMagnitude))
        XCTAssertEqual(parse("3.4028235677e38"), .value(Float.greatestFiniteMagnitude))   // just below the halfway point
        XCTAssertEqual(parse("3.40282357e38"), .outOfRange)                               // just above it: rounds to infinity
        XCTAssertEqual(parse("3.4028236e38"), .outOfRange)
        XCTAssertEqual(parse("1e39"), .outOfRange)
        XCTAssertEqual(parse("-1e300"), .outOfRange)
        XCTAssertEqual(parse("1e-50"), .value(0))
        XCTAssertEqual(parse("1.4e-45"), .value(Float.leastNonzeroMagnitude))
        XCTAssertEqual(parse("1e-38"), .value(Float("1e-38")!))
    }

    func testHardRoundingCases() {
        // Halfway cases and long mantissas (these need the exact path).
        let cases = ["16777217", "16777219", "1.00000017881393432617187499", "1.000000178813934326171875",
                     "1.00000017881393432617187501", "7.038531e-26", "3.4028234664e38", "0.1", "0.2", "0.3",
                     "123456789012345678901234567890", "2.2250738585072014e-308", "9007199254740993",
                     "1.17549435e-38", "1.1754942e-38", "8.589973e9", "4.7019774e-38", "0.000000000000000000000000000000000000011754943508222875"]
        for c in cases { XCTAssertEqual(parse(c), .value(Float(c)!), c) }
    }

    func testRandomValuesRoundLikeTheStandardLibrary() {
        var rng = SeededGenerator(seed: 42)
        var checked = 0
        for i in 0..<200_000 {
            let text: String
            switch i % 4 {
            case 0:   // Float printed shortest, then perturbed in the last digit
                let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF)
                text = String(f)
            case 1:   // random decimal with 1...12 digits and a small exponent
                let digits = Int(rng.next() % 12) + 1
                var m = ""
                for _ in 0..<digits { m.append(Character(String(rng.next() % 10))) }
                text = m.prefix(1) + "." + m.dropFirst() + "e\(Int(rng.next() % 40) - 20)"
            case 2:   // fixed-point sensor-like values
                text = String(format: "%.4f", Double(rng.nextNormal()) * 50)
            default:  // long mantissas and wide exponents
                let digits = Int(rng.next() % 25) + 1
                var m = ""
                for _ in 0..<digits { m.append(Character(String(rng.next() % 10))) }
                text = (rng.next() % 2 == 0 ? "-" : "") + m + "e\(Int(rng.next() % 90) - 60)"
            }
            guard let want = Float(text) else { continue }
            if want.isInfinite {
                XCTAssertEqual(parse(text), .outOfRange, text)
            } else {
                XCTAssertEqual(parse(text), .value(want), text)
                if case .value(let got) = parse(text), got.bitPattern != want.bitPattern, !(got == 0 && want == 0) {
                    XCTFail("bits differ for \(text)")
                }
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 190_000)
    }

    /// The one-pass parser of the CSV fast path gives the same bits as `parseFloat` for every
    /// cell it takes, takes the common shapes, and refuses what it cannot do exactly.
    func testSimpleFloatMatchesParseFloat() {
        var rng = SeededGenerator(seed: 7)
        var taken = 0
        for i in 0..<200_000 {
            let intDigits = Int(rng.next() % 9), fracDigits = Int(rng.next() % 9)
            var text = rng.next() % 3 == 0 ? "-" : ""
            for _ in 0..<intDigits { text.append(Character(String(rng.next() % 10))) }
            if i % 5 != 0 { text += "." }
            for _ in 0..<fracDigits { text.append(Character(String(rng.next() % 10))) }
            // Half the cells are followed by more text, so the eight-bytes-at-a-time path runs.
            let tail = i % 2 == 0 ? "" : "12345678.12345678,x"
            let bytes = Array((text + [",", "\n", "\r\n", ""][i % 4] + (i % 4 == 3 ? "" : tail)).utf8)
            var value: Float = .nan
            let used = bytes.withUnsafeBufferPointer { NumberParser.parseSimpleFloat($0.baseAddress!, $0.count, delimiter: 0x2C, &value) }
            guard used > 0 else { continue }
            taken += 1
            XCTAssertEqual(used, text.utf8.count, text)
            guard case .value(let want) = NumberParser.parseFloat(text) else { XCTFail("parseFloat refuses \(text)"); continue }
            XCTAssertEqual(value.bitPattern, want.bitPattern, text)
        }
        XCTAssertGreaterThan(taken, 150_000)
        // Shapes it leaves to the general path (0 = not taken).
        for text in ["", "-", ".", "+1", "1e5", "1,5x", "12a", "1234567890123456", " 1", "1 ", "0x10", "1.5.2", "12:30"]
            + ["1e5", "12a", "1.5.2", "-.x", "12:30"].map({ $0 + ";;;;;;;;;;;;;;;;;;" }) {
            var value: Float = 0
            let bytes = Array(text.utf8) + [0x0A]
            let used = bytes.withUnsafeBufferPointer { NumberParser.parseSimpleFloat($0.baseAddress!, $0.count, delimiter: 0x3B, &value) }
            XCTAssertEqual(used, 0, text)
        }
    }
}

import Foundation

import Foundation
import XCTest
import ForecastData

/// `DecimalWriter.appendG6` against Foundation's `String(format: "%.6g")` (glibc's printf),
/// which `forecast predict` used per value before: every case must give the same bytes.
final class DecimalWriterTests: XCTestCase {
    func reference(_ v: Float) -> String { String(format: "%.6g", Double(v)) }

    func check(_ v: Float, file: StaticString = #filePath, line: UInt = #line) {
        let got = DecimalWriter.g6(v)
        if got != reference(v) { XCTFail("\(v) (bits \(String(v.bitPattern, radix: 16))): \(got) != \(reference(v))", file: file, line: line) }
    }

    /// Zeros, powers of ten, the %f/%e switch at 1e-4 and 1e6, rounding carries, exact halves
    /// at the sixth digit (ties: glibc rounds half to even), subnormals, the extremes.
    func testEdgeCases() {
        var values: [Float] = [0, -0, 1, -1, 0.1, 0.5, 1.5, 2.5, 10, 100, 1e5, 1e6, 1e7, 1e-4, 1e-5, 9.99999e-5, 0.0001, 0.00009999995,
                               999999, 999999.5, 9999995, 999_999.4, 123456.5, 123457.5, 1234565, 1234575, 0.1234565, 3.4028235e38,
                               -3.4028235e38, Float.leastNonzeroMagnitude, Float.leastNormalMagnitude, 1.17e-38, 5e-39, 1e-30, 1e30,
                               1e22, 1e23, 1e-17, 1e-18, 0.3, 2.0 / 3.0, Float.pi, 1e-45, .infinity, -.infinity, .nan]
        for k in -45...38 {
            let p = Float("1e\(k)") ?? 0
            values += [p, p.nextUp, p.nextDown, -p]
            for m in [Float(9.999995), 9.99999, 9.999994, 5.000005, 1.000005, 1.0000049] { values.append(m * p) }
        }
        for v in values { check(v) }
    }

    /// Ties at the sixth digit: every half-integer from 100000.5 to 100999.5 (exact in a Float)
    /// scaled by powers of two (still exact), so half-to-even is exercised both ways.
    func testExactHalves() {
        for i in 100_000..<101_000 {
            let base = Float(i) + 0.5
            for s: Float in [1, 0.5, 0.25, 2, 4, 0.0009765625, 1024] { check(base * s) }
        }
    }

    /// One float in every 4,099 bit patterns over all 2^32 (every exponent, both signs, NaNs
    /// and infinities), and 200,000 seeded values
    /// in the ranges forecasts take.
    func testBitPatternSweepAndTypicalValues() {
        var bits: UInt64 = 0
        while bits < (1 << 32) {
            let v = Float(bitPattern: UInt32(bits))
            check(v)
            bits += 4099
        }
        var state: UInt64 = 0x9E3779B97F4A7C15
        for _ in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53)
            let magnitude = Float(pow(10, u * 12 - 6))
            check((state & 1) == 0 ? magnitude : -magnitude)
        }
    }
}

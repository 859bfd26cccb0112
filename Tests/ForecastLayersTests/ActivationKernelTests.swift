import XCTest
import CKernels
import Foundation

/// The vectorised sigmoid and tanh of the cell kernels against libm in Double.
final class ActivationKernelTests: XCTestCase {
    func testSigmoidAndTanhAccuracy() {
        var xs: [Float] = stride(from: -30.0, through: 30.0, by: 0.001).map { Float($0) }
        xs += [0, -0, 1e-8, -1e-8, 0.6249, 0.6251, -0.625, 87, -87, 100, -100, 1e30, -1e30]
        var s = [Float](repeating: 0, count: xs.count), t = s
        fk_sigmoid(Int32(xs.count), xs, &s)
        fk_tanh(Int32(xs.count), xs, &t)
        var worstS = 0.0, worstT = 0.0
        for i in 0..<xs.count {
            let x = Double(xs[i])
            worstS = max(worstS, abs(Double(s[i]) - 1 / (1 + Foundation.exp(-x))))
            worstT = max(worstT, abs(Double(t[i]) - Foundation.tanh(x)))
            XCTAssert(s[i].isFinite && t[i].isFinite, "non-finite at \(x)")
        }
        XCTAssertLessThan(worstS, 3e-7, "sigmoid")
        XCTAssertLessThan(worstT, 3e-7, "tanh")
        print("kernel activations: max abs error sigmoid \(worstS), tanh \(worstT)")
    }
}

/// The per-step product kernel against a plain loop, over shapes that hit every path
/// (8-row and 4-row blocks and leftover rows, 256-, 128-, 64-, 32- and 16-column blocks and
/// leftover columns, strided input, overwrite and accumulate).
final class StepMatmulKernelTests: XCTestCase {
    func testAgainstNaiveLoop() {
        var seed: UInt64 = 7
        func rnd() -> Float { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1 }
        for (B, K, N) in [(1, 64, 256), (3, 64, 256), (4, 64, 256), (9, 33, 130), (16, 256, 64), (5, 7, 1), (8, 128, 512), (17, 40, 160), (2, 1, 65), (1, 64, 128), (3, 16, 448),
                          (8, 128, 32), (13, 192, 48), (16, 256, 96), (11, 64, 16), (5, 32, 80), (1, 128, 48), (7, 96, 112)] {
            for accumulate in [Int32(0), 1] {
                let ldx = K + 3, ldy = N + 2
                let x = (0..<(B * ldx)).map { _ in rnd() }
                let w = (0..<(K * N)).map { _ in rnd() }
                let y0 = (0..<(B * ldy)).map { _ in rnd() }
                var y = y0
                fk_step_matmul(Int32(B), Int32(K), Int32(N), x, Int32(ldx), w, &y, Int32(ldy), accumulate)
                checkProduct(y, y0: y0, x: x, w: w, B: B, K: K, N: N, ldx: ldx, ldy: ldy, accumulate: accumulate == 1)
            }
        }
    }
}

/// Every output is summed over k in order whatever block its row falls in (the header's
/// promise, which the row split of batched inference relies on): a block of rows gives each row
/// the bits of that row alone.
final class StepMatmulBlockingTests: XCTestCase {
    func testRowsGetTheSameBitsInAnyBlock() {
        var seed: UInt64 = 21
        func rnd() -> Float { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1 }
        for (B, K, N) in [(17, 64, 256), (6, 8, 256), (13, 72, 192), (40, 64, 128), (9, 33, 130), (13, 128, 32), (11, 192, 48), (9, 64, 96)] {
            for accumulate in [Int32(0), 1] {
                let ldx = K + 1, ldy = N + 5
                let x = (0..<(B * ldx)).map { _ in rnd() }
                let w = (0..<(K * N)).map { _ in rnd() }
                let y0 = (0..<(B * ldy)).map { _ in rnd() }
                var block = y0
                fk_step_matmul(Int32(B), Int32(K), Int32(N), x, Int32(ldx), w, &block, Int32(ldy), accumulate)
                for b in 0..<B {
                    var row = Array(y0[(b * ldy)..<((b + 1) * ldy)])
                    Array(x[(b * ldx)..<((b + 1) * ldx)]).withUnsafeBufferPointer { xr in
                        fk_step_matmul(1, Int32(K), Int32(N), xr.baseAddress, Int32(ldx), w, &row, Int32(ldy), accumulate)
                    }
                    XCTAssertEqual(row, Array(block[(b * ldy)..<((b + 1) * ldy)]), "B \(B) K \(K) N \(N) row \(b) accumulate \(accumulate)")
                }
            }
        }
    }
}

/// The panel kernel of large layers, and both packings, against a plain loop.
final class PanelMatmulKernelTests: XCTestCase {
    func testAgainstNaiveLoop() {
        var seed: UInt64 = 11
        func rnd() -> Float { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1 }
        for (B, K, N) in [(1, 64, 32), (7, 33, 96), (8, 512, 64), (17, 40, 256), (32, 96, 128)] {
            for accumulate in [Int32(0), 1] {
                let ldx = K + 1, ldy = N + 3
                let x = (0..<(B * ldx)).map { _ in rnd() }
                let w = (0..<(K * N)).map { _ in rnd() }                 // [K, N]
                var wT = [Float](repeating: 0, count: K * N)               // [N, K]
                for k in 0..<K { for n in 0..<N { wT[n * K + k] = w[k * N + n] } }
                var panels = [Float](repeating: .nan, count: K * N), panelsT = panels
                fk_pack_panels(Int32(K), Int32(N), w, &panels)
                fk_pack_panels_transposed(Int32(N), Int32(K), wT, &panelsT)
                XCTAssertEqual(panels, panelsT, "both packings give the same panels")
                let y0 = (0..<(B * ldy)).map { _ in rnd() }
                var y = y0
                fk_panel_matmul(Int32(B), Int32(K), Int32(N), x, Int32(ldx), panels, &y, Int32(ldy), accumulate)
                checkProduct(y, y0: y0, x: x, w: w, B: B, K: K, N: N, ldx: ldx, ldy: ldy, accumulate: accumulate == 1)
            }
        }
    }
}

/// Checks y = (y0 +) x w against a Double loop, x [B, K] with row stride ldx, w [K, N], y rows
/// ldy apart, and that the padding between rows of y is untouched.
func checkProduct(_ y: [Float], y0: [Float], x: [Float], w: [Float], B: Int, K: Int, N: Int, ldx: Int, ldy: Int,
                  accumulate: Bool, file: StaticString = #filePath, line: UInt = #line) {
    for b in 0..<B {
        for n in 0..<N {
            var s: Double = 0
            for k in 0..<K { s += Double(x[b * ldx + k]) * Double(w[k * N + n]) }
            if accumulate { s += Double(y0[b * ldy + n]) }
            XCTAssertEqual(Double(y[b * ldy + n]), s, accuracy: 1e-4 * max(1, abs(s)), "B\(B) K\(K) N\(N) acc \(accumulate) [\(b),\(n)]", file: file, line: line)
        }
        for n in N..<ldy { XCTAssertEqual(y[b * ldy + n], y0[b * ldy + n], "padding", file: file, line: line) }
    }
}

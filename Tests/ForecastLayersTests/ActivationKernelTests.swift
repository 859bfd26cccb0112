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

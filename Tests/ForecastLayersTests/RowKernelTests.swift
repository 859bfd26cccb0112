import XCTest
import CKernels
import ForecastCore
import Foundation

/// The single-row kernels of split inference (RowKernels.c) against the LSTM step written out
/// in Double, on both the AVX-512 path (where the CPU has it) and the portable loops.
final class RowKernelTests: XCTestCase {
    override func tearDown() {
        _ = fk_row_kernels_use_portable(0)
        super.tearDown()
    }

    private var seed: UInt64 = 0x9E3779B97F4A7C15
    private func rnd(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1) * scale
        }
    }

    private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    /// A step reading the given buffers: biases, a projection row (or nil), `inSize` inputs
    /// multiplied in the step (0: none), and the two halves of h_{t-1} with their weights (or
    /// nil: the first step).
    private func splitStep(half: Int, bias: UnsafeBufferPointer<Float>, pre: UnsafeBufferPointer<Float>?, inSize: Int,
                           x: UnsafeBufferPointer<Float>, wIH: UnsafeBufferPointer<Float>,
                           hidden: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>)?) -> fk_split_step {
        var step = fk_split_step()
        step.half = Int32(half)
        step.bias = bias.baseAddress
        step.pre = pre?.baseAddress
        if inSize > 0 { step.in = Int32(inSize); step.x = x.baseAddress; step.w_ih = wIH.baseAddress }
        if let (hOwn, wOwn, hOther, wOther) = hidden {
            step.h_own = hOwn.baseAddress; step.w_own = wOwn.baseAddress
            step.h_other = hOther.baseAddress; step.w_other = wOther.baseAddress
        }
        return step
    }

    /// Every combination of: half 16 / 32 / 48 (the register path is half 32), input fused in
    /// the step or not, a batched projection row or not, first step (no h) or not, c_prev or not.
    func testSplitStepMatchesDoubleReference() {
        var paths = [0]
        if fk_row_kernels_use_portable(1) == 1 { paths.append(1) }
        _ = fk_row_kernels_use_portable(0)
        var checked = 0
        for portable in paths {
            _ = fk_row_kernels_use_portable(Int32(portable))
            for half in [16, 32, 48] {
                let n = 4 * half
                for inSize in [0, 3, 8] {
                    for withPre in [false, true] {
                        for withH in [false, true] {
                            for withC in [false, true] {
                                check(half: half, n: n, inSize: inSize, withPre: withPre, withH: withH, withC: withC,
                                      label: "portable \(portable) half \(half) in \(inSize) pre \(withPre) h \(withH) c \(withC)")
                                checked += 1
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(checked, 72 * paths.count)
    }

    private func check(half: Int, n: Int, inSize: Int, withPre: Bool, withH: Bool, withC: Bool, label: String) {
        let bias = rnd(n), pre = rnd(n), x = rnd(max(inSize, 1)), wIH = rnd(max(inSize, 1) * n, scale: 0.3)
        let hOwn = rnd(half), hOther = rnd(half), wOwn = rnd(half * n, scale: 0.3), wOther = rnd(half * n, scale: 0.3)
        let cPrev = rnd(half, scale: 2)
        var c = [Float](repeating: .nan, count: half), h = c, scratch = [Float](repeating: .nan, count: n)
        bias.withUnsafeBufferPointer { bias in pre.withUnsafeBufferPointer { pre in x.withUnsafeBufferPointer { x in
        wIH.withUnsafeBufferPointer { wIH in hOwn.withUnsafeBufferPointer { hOwn in hOther.withUnsafeBufferPointer { hOther in
        wOwn.withUnsafeBufferPointer { wOwn in wOther.withUnsafeBufferPointer { wOther in cPrev.withUnsafeBufferPointer { cPrev in
        c.withUnsafeMutableBufferPointer { c in h.withUnsafeMutableBufferPointer { h in scratch.withUnsafeMutableBufferPointer { scratch in
            var step = splitStep(half: half, bias: bias, pre: withPre ? pre : nil, inSize: inSize, x: x, wIH: wIH,
                                 hidden: withH ? (hOwn, wOwn, hOther, wOther) : nil)
            step.c_prev = withC ? cPrev.baseAddress : nil
            step.c = c.baseAddress; step.h = h.baseAddress; step.scratch = scratch.baseAddress
            fk_lstm_split_step(&step)
        } } } } } } } } } } } }
        for j in 0..<half {
            var gate = [Double](repeating: 0, count: 4)
            for q in 0..<4 {
                let col = q * half + j
                var a = Double(bias[col]) + (withPre ? Double(pre[col]) : 0)
                for k in 0..<inSize { a += Double(x[k]) * Double(wIH[k * n + col]) }
                if withH {
                    for k in 0..<half { a += Double(hOwn[k]) * Double(wOwn[k * n + col]) + Double(hOther[k]) * Double(wOther[k * n + col]) }
                }
                gate[q] = a
            }
            let cRef = sigmoid(gate[1]) * (withC ? Double(cPrev[j]) : 0) + sigmoid(gate[0]) * Foundation.tanh(gate[2])
            let hRef = sigmoid(gate[3]) * Foundation.tanh(cRef)
            XCTAssertEqual(Double(c[j]), cRef, accuracy: 2e-6 * max(1, abs(cRef)), "\(label) c[\(j)]")
            XCTAssertEqual(Double(h[j]), hRef, accuracy: 2e-6, "\(label) h[\(j)]")
        }
    }

    /// The GRU step against Double, on both paths: half 16 / 32 / 48, input in the step or not,
    /// a projection row or not, first step or not.
    func testGRUSplitStepMatchesDoubleReference() {
        var checked = 0
        for portable in [0, 1] {
            _ = fk_row_kernels_use_portable(Int32(portable))
            for half in [16, 32, 48] {
                let n = 3 * half
                for inSize in [0, 5] {
                    for withPre in [false, true] {
                        for withH in [false, true] {
                            let label = "GRU portable \(portable) half \(half) in \(inSize) pre \(withPre) h \(withH)"
                            let biases = rnd(2 * n), pre = rnd(n), x = rnd(max(inSize, 1)), wIH = rnd(max(inSize, 1) * n, scale: 0.3)
                            let hOwn = rnd(half), hOther = rnd(half), wOwn = rnd(half * n, scale: 0.3), wOther = rnd(half * n, scale: 0.3)
                            var h = [Float](repeating: .nan, count: half), scratch = [Float](repeating: .nan, count: 2 * n)
                            biases.withUnsafeBufferPointer { biases in pre.withUnsafeBufferPointer { pre in x.withUnsafeBufferPointer { x in
                            wIH.withUnsafeBufferPointer { wIH in hOwn.withUnsafeBufferPointer { hOwn in hOther.withUnsafeBufferPointer { hOther in
                            wOwn.withUnsafeBufferPointer { wOwn in wOther.withUnsafeBufferPointer { wOther in
                            h.withUnsafeMutableBufferPointer { h in scratch.withUnsafeMutableBufferPointer { scratch in
                                var step = splitStep(half: half, bias: biases, pre: withPre ? pre : nil, inSize: inSize, x: x, wIH: wIH,
                                                     hidden: withH ? (hOwn, wOwn, hOther, wOther) : nil)
                                step.h = h.baseAddress; step.scratch = scratch.baseAddress
                                fk_gru_split_step(&step)
                            } } } } } } } } } }
                            for j in 0..<half {
                                var side = [[Double]](repeating: [0, 0, 0], count: 2)    // [input, hidden][r, z, n]
                                for q in 0..<3 {
                                    let col = q * half + j
                                    var a = Double(biases[col]) + (withPre ? Double(pre[col]) : 0)
                                    for k in 0..<inSize { a += Double(x[k]) * Double(wIH[k * n + col]) }
                                    var b = Double(biases[n + col])
                                    if withH {
                                        for k in 0..<half { b += Double(hOwn[k]) * Double(wOwn[k * n + col]) + Double(hOther[k]) * Double(wOther[k * n + col]) }
                                    }
                                    side[0][q] = a; side[1][q] = b
                                }
                                let r = sigmoid(side[0][0] + side[1][0]), z = sigmoid(side[0][1] + side[1][1])
                                let nn = Foundation.tanh(side[0][2] + r * side[1][2])
                                let hRef = (1 - z) * nn + z * (withH ? Double(hOwn[j]) : 0)
                                XCTAssertEqual(Double(h[j]), hRef, accuracy: 2e-6, "\(label) h[\(j)]")
                            }
                            checked += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(checked, 48)
    }

    /// The cell math alone over pre-activations from -30 to 30 (every gate, every sign, both
    /// sides of each approximation's clamp), against Double.
    func testLSTMRowAcrossTheActivationRange() {
        for portable in [0, 1] {
            _ = fk_row_kernels_use_portable(Int32(portable))
            let H = 32, steps = 60_000 / H
            var worstH = 0.0, worstC = 0.0
            for s in 0..<steps {
                // Gate q of unit j sweeps [-30, 30] at its own pace; c_prev sweeps [-5, 5].
                let acc = (0..<(4 * H)).map { i -> Float in
                    let phase = Double((s * 4 * H + i * 7919) % 60_000) / 60_000
                    return Float(-30 + 60 * phase)
                }
                let cPrev = (0..<H).map { j in Float(-5 + 10 * Double((s * H + j * 104729) % 10_000) / 10_000) }
                var c = [Float](repeating: 0, count: H), h = c
                fk_lstm_row(Int32(H), acc, cPrev, &c, &h)
                for j in 0..<H {
                    let i = sigmoid(Double(acc[j])), f = sigmoid(Double(acc[H + j]))
                    let g = Foundation.tanh(Double(acc[2 * H + j])), o = sigmoid(Double(acc[3 * H + j]))
                    let cRef = f * Double(cPrev[j]) + i * g
                    worstC = max(worstC, abs(Double(c[j]) - cRef) / max(1, abs(cRef)))
                    worstH = max(worstH, abs(Double(h[j]) - o * Foundation.tanh(cRef)))
                }
            }
            XCTAssertLessThan(worstC, 2e-6, "portable \(portable): c")
            XCTAssertLessThan(worstH, 1e-6, "portable \(portable): h")
        }
    }

    /// The step waits for the other thread's half of h: values written before the counter was
    /// published are the ones it uses, however long the wait (here past the spin, into the
    /// wait function).
    func testSplitStepWaitsForTheOtherHalf() {
        for portable in [0, 1] {
            _ = fk_row_kernels_use_portable(Int32(portable))
            let half = 32, n = 4 * half
            let bias = rnd(n), hOwn = rnd(half), wOwn = rnd(half * n, scale: 0.3), wOther = rnd(half * n, scale: 0.3)
            let published = rnd(half)
            let hOther = UnsafeMutablePointer<Float>.allocate(capacity: half)
            defer { hOther.deallocate() }
            hOther.initialize(repeating: .nan, count: half)
            let progress = PipelineProgress(count: 1)
            let expected = reference(bias: bias, hOwn: hOwn, hOther: published, wOwn: wOwn, wOther: wOther, half: half)
            let address = Int(bitPattern: hOther)                  // the writer's view of the buffer
            let writer = Thread {
                usleep(2000)
                let target = UnsafeMutablePointer<Float>(bitPattern: address)!
                for j in 0..<half { target[j] = published[j] }
                progress.publish(0, 5)
            }
            writer.start()
            var c = [Float](repeating: 0, count: half), h = c, scratch = [Float](repeating: 0, count: n)
            bias.withUnsafeBufferPointer { bias in hOwn.withUnsafeBufferPointer { hOwn in wOwn.withUnsafeBufferPointer { wOwn in
            wOther.withUnsafeBufferPointer { wOther in c.withUnsafeMutableBufferPointer { c in h.withUnsafeMutableBufferPointer { h in
            scratch.withUnsafeMutableBufferPointer { scratch in
                var step = fk_split_step()
                step.half = Int32(half)
                step.bias = bias.baseAddress
                step.h_own = hOwn.baseAddress; step.w_own = wOwn.baseAddress
                step.h_other = UnsafePointer(hOther); step.w_other = wOther.baseAddress
                step.ready = UnsafePointer(progress.counter(0)); step.want = 5; step.wait = PipelineProgress.waitFunction
                step.c = c.baseAddress; step.h = h.baseAddress; step.scratch = scratch.baseAddress
                fk_lstm_split_step(&step)
            } } } } } } }
            for j in 0..<half { XCTAssertEqual(Double(h[j]), expected[j], accuracy: 2e-6, "portable \(portable) h[\(j)]") }
        }
    }

    private func reference(bias: [Float], hOwn: [Float], hOther: [Float], wOwn: [Float], wOther: [Float], half: Int) -> [Double] {
        let n = 4 * half
        return (0..<half).map { j in
            let g = (0..<4).map { q -> Double in
                let col = q * half + j
                var a = Double(bias[col])
                for k in 0..<half { a += Double(hOwn[k]) * Double(wOwn[k * n + col]) + Double(hOther[k]) * Double(wOther[k * n + col]) }
                return a
            }
            return sigmoid(g[3]) * Foundation.tanh(sigmoid(g[0]) * Foundation.tanh(g[2]))
        }
    }
}

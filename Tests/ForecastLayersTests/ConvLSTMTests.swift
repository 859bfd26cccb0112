import Foundation
import XCTest
import CKernels
import ForecastLayers
import ForecastTraining
import _TestSupport

/// ConvLSTM: PyTorch parity on every golden case with `cell = convlstm` (outputs, states,
/// prediction and loss within 1e-5; every gradient, the input's included, within 1e-4), and
/// finite-difference checks of the layer, the stacked layer, the 1x1 head and the
/// encoder–forecaster on non-square grids, kernels 1, 3 and 5, and with patching.
final class ConvLSTMTests: XCTestCase {
    struct CaseConfig: Decodable {
        let cell: String
        let in_channels: Int, hidden_channels: Int, kernel: Int, height: Int, width: Int
        let batch: Int, seq_len: Int, head_out: Int
    }

    func testConvLSTMGoldenParity() throws {
        var checked: [String] = []
        for (name, path) in goldenCases() {
            let file = try SafeTensorsFile.read(path: path)
            guard let json = file.metadata["config"], json.contains("\"convlstm\"") else { continue }
            let cfg = try JSONDecoder().decode(CaseConfig.self, from: Data(json.utf8))
            try checkCase(name, file, cfg)
            checked.append(name)
        }
        print("golden parity: convlstm cases checked: \(checked.joined(separator: ", "))")
        XCTAssertFalse(checked.isEmpty, "no convlstm golden case found (expected Fixtures/golden/convlstm_small.safetensors)")
    }

    func checkCase(_ name: String, _ file: SafeTensorsFile, _ cfg: CaseConfig) throws {
        let model = ConvLSTMRegressor(.init(convLSTM: ConvLSTMConfig(inputChannels: cfg.in_channels, hidden: [cfg.hidden_channels], kernel: cfg.kernel),
                                            outputs: cfg.head_out, length: cfg.seq_len, height: cfg.height, width: cfg.width))
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            try params.assign(e.name, try XCTUnwrap(file[e.name], "\(name): missing \(e.name)"))
        }
        let x = try XCTUnwrap(file["x"]).scalars
        let target = try XCTUnwrap(file["target"]).scalars
        let ws = model.makeWorkspace(batch: cfg.batch)
        x.withUnsafeBufferPointer { _ = model.forward($0.baseAddress!, workspace: ws, params: params) }
        let states = model.finalStates(ws)
        assertClose(states.h, try XCTUnwrap(file["expect.h_n"]).scalars, tol: 1e-5, "\(name) expect.h_n")
        assertClose(states.c, try XCTUnwrap(file["expect.c_n"]).scalars, tol: 1e-5, "\(name) expect.c_n")
        let pred = ws.pred.toArray()
        assertClose(pred, try XCTUnwrap(file["expect.pred"]).scalars, tol: 1e-5, "\(name) expect.pred")
        let (loss, dPred) = mseLossAndGradient(pred, target)
        assertClose([loss], try XCTUnwrap(file["expect.loss"]).scalars, tol: 1e-5, "\(name) expect.loss")
        let grads = ParameterStore(layout: model.layout)
        dPred.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        var checked = 0
        for (gname, want) in file.tensors where gname.hasPrefix("grad.") {
            let what = String(gname.dropFirst("grad.".count))
            let got = what == "x" ? model.inputGradient(ws) : try XCTUnwrap(grads.tensor(what), "\(name): model has no parameter \(what)").scalars
            assertClose(got, want.scalars, tol: 1e-4, "\(name) \(gname)")
            checked += 1
        }
        XCTAssertEqual(checked, model.layout.entries.count + 1, "\(name): expected a gradient for every parameter and for x")
    }

    // MARK: Kernels

    /// im2row and row2im are adjoint: <im2row(u), R> == <u, row2im(R)> for both parts.
    func testIm2RowAdjoint() {
        var rng = SeededGenerator(seed: 3)
        for (k, Hg, Wg, cx, ch) in [(3, 4, 6, 2, 3), (5, 3, 2, 1, 2), (1, 2, 3, 2, 1)] {
            let B = 2, N = B * Hg * Wg, K = k * k * (cx + ch)
            let x = randomArray(N * cx, &rng), h = randomArray(N * ch, &rng), R = randomArray(N * K, &rng)
            var rows = [Float](repeating: .nan, count: N * K)
            fk_conv_im2row(Int32(B), Int32(Hg), Int32(Wg), Int32(k), x, Int32(cx), h, Int32(ch), &rows, Int32(K))
            var dx = [Float](repeating: 0, count: N * cx), dh = [Float](repeating: 0, count: N * ch)
            fk_conv_row2im(Int32(B), Int32(Hg), Int32(Wg), Int32(k), R, Int32(K), 0, Int32(cx), &dx, 0)
            fk_conv_row2im(Int32(B), Int32(Hg), Int32(Wg), Int32(k), R, Int32(K), Int32(k * k * cx), Int32(ch), &dh, 0)
            var lhs = 0.0, rhs = 0.0
            for i in 0..<(N * K) { lhs += Double(rows[i]) * Double(R[i]) }
            for i in 0..<(N * cx) { rhs += Double(x[i]) * Double(dx[i]) }
            for i in 0..<(N * ch) { rhs += Double(h[i]) * Double(dh[i]) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-3 * max(1, abs(lhs)), "k \(k) grid \(Hg)x\(Wg)")
        }
    }

    func testSoftplusKernel() {
        let xs: [Float] = stride(from: -40.0, through: 40.0, by: 0.01).map { Float($0) } + [-100, 100, 0]
        var y = [Float](repeating: 0, count: xs.count)
        fk_softplus(Int32(xs.count), xs, &y)
        var worst = 0.0
        for (i, x) in xs.enumerated() {
            let want = max(Double(x), 0) + Foundation.log1p(Foundation.exp(-abs(Double(x))))
            worst = max(worst, abs(Double(y[i]) - want) / max(1, abs(want)))
        }
        XCTAssertLessThan(worst, 1e-6)
    }

    // MARK: Finite differences

    /// L = Σ w · pred for a random w; analytic gradients of sampled parameters and inputs vs
    /// central differences.
    func checkRegressor(cin: Int, hidden: [Int], k: Int, Hg: Int, Wg: Int, B: Int, T: Int, P: Int, seed: UInt64,
                        file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let model = ConvLSTMRegressor(.init(convLSTM: ConvLSTMConfig(inputChannels: cin, hidden: hidden, kernel: k),
                                            outputs: P, length: T, height: Hg, width: Wg), prefix: hidden.count > 1 ? "encoder" : nil)
        let params = model.makeParameters(rng: &rng)
        for i in 0..<params.layout.count { params.base[i] *= 3 }   // leave the gates' linear range
        params.markModified()
        var x = randomArray(B * model.inputCount, &rng)
        let ws = model.makeWorkspace(batch: B)
        let w = randomArray(B * model.predictionCount, &rng)
        func lossValue(_ x: [Float]) -> Double {
            let pred = x.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params) }
            var s = 0.0
            for i in 0..<w.count { s += Double(w[i]) * Double(pred[i]) }
            return s
        }
        _ = lossValue(x)
        let grads = ParameterStore(layout: model.layout)
        w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        let dx = model.inputGradient(ws)
        let eps: Float = 1e-2
        func compare(_ a: Float, _ n: Double, _ what: String) {
            XCTAssert(abs(Double(a) - n) <= 2e-3 + 2e-2 * abs(n), "k\(k) \(Hg)x\(Wg) L\(hidden.count) \(what): analytic \(a) vs numeric \(n)", file: file, line: line)
        }
        for e in model.layout.entries {
            for _ in 0..<4 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let old = params.base[i]
                params.base[i] = old + eps; let fp = lossValue(x)
                params.base[i] = old - eps; let fm = lossValue(x)
                params.base[i] = old
                compare(grads.base[i], (fp - fm) / Double(2 * eps), e.name)
            }
        }
        for _ in 0..<6 {
            let i = Int(rng.next() % UInt64(x.count))
            compare(dx[i], numericGradient(&x, i, eps: eps) { lossValue($0) }, "x[\(i)]")
        }
    }

    func testFiniteDifferencesNonSquareKernel5() {
        checkRegressor(cin: 1, hidden: [4], k: 5, Hg: 6, Wg: 4, B: 2, T: 4, P: 2, seed: 11)
    }

    func testFiniteDifferencesNonSquareKernel3() {
        checkRegressor(cin: 3, hidden: [2], k: 3, Hg: 3, Wg: 7, B: 1, T: 5, P: 1, seed: 12)
    }

    func testFiniteDifferencesStacked() {
        checkRegressor(cin: 2, hidden: [3, 4], k: 3, Hg: 4, Wg: 5, B: 2, T: 3, P: 2, seed: 13)
        checkRegressor(cin: 1, hidden: [2, 3, 2], k: 5, Hg: 5, Wg: 3, B: 1, T: 3, P: 1, seed: 14)
    }

    func testFiniteDifferencesKernel1() {
        checkRegressor(cin: 2, hidden: [3], k: 1, Hg: 2, Wg: 3, B: 2, T: 3, P: 1, seed: 15)
    }

    /// Encoder–forecaster with patching on a grid whose sides are not multiples of the patch,
    /// for each output activation.
    func testEncoderForecasterFiniteDifferences() {
        for (i, (act, patch, hidden, Hg, Wg)) in [(EncoderForecaster.OutputActivation.identity, 2, [3, 2], 5, 6),
                                                  (.softplus, 1, [3], 4, 3),
                                                  (.softplus, 2, [2, 3], 4, 4)].enumerated() {
            var rng = SeededGenerator(seed: 20 + UInt64(i))
            let model = EncoderForecaster(.init(channels: 1, height: Hg, width: Wg, patch: patch, hidden: hidden, kernel: 3,
                                                inFrames: 3, outFrames: 2, output: act))
            let params = model.makeParameters(rng: &rng)
            for j in 0..<params.layout.count { params.base[j] *= 2 }
            params.markModified()
            let B = 2
            let x = randomArray(B * model.inputCount, &rng)
            let ws = model.makeWorkspace(batch: B)
            let w = randomArray(B * model.predictionCount, &rng)
            func lossValue() -> Double {
                let pred = x.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params) }
                var s = 0.0
                for j in 0..<w.count { s += Double(w[j]) * Double(pred[j]) }
                return s
            }
            _ = lossValue()
            let grads = ParameterStore(layout: model.layout)
            w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
            let eps: Float = 1e-2
            for e in model.layout.entries {
                for _ in 0..<4 {
                    let j = e.offset + Int(rng.next() % UInt64(e.count))
                    let old = params.base[j]
                    params.base[j] = old + eps; let fp = lossValue()
                    params.base[j] = old - eps; let fm = lossValue()
                    params.base[j] = old
                    let n = (fp - fm) / Double(2 * eps)
                    XCTAssert(abs(Double(grads.base[j]) - n) <= 2e-3 + 2e-2 * abs(n),
                              "\(act) patch \(patch) \(e.name): analytic \(grads.base[j]) vs numeric \(n)")
                }
            }
        }
    }

    /// Parameter names and shapes follow the documented scheme.
    func testParameterNames() {
        let model = EncoderForecaster(.init(channels: 1, height: 8, width: 8, patch: 2, hidden: [8, 4], kernel: 5, inFrames: 2, outFrames: 3))
        let names = model.layout.entries.map { "\($0.name) \($0.shape)" }
        XCTAssertEqual(model.layout.entry("encoder.0.conv.weight")?.shape, [32, 12, 5, 5])
        XCTAssertEqual(model.layout.entry("encoder.1.conv.weight")?.shape, [16, 12, 5, 5])
        XCTAssertEqual(model.layout.entry("forecaster.0.conv.weight")?.shape, [32, 8, 5, 5])
        XCTAssertEqual(model.layout.entry("forecaster.1.conv.bias")?.shape, [16])
        XCTAssertEqual(model.layout.entry("head.weight")?.shape, [4, 4, 1, 1], "\(names)")
        let single = ConvLSTMRegressor(.init(convLSTM: ConvLSTMConfig(inputChannels: 2, hidden: [3]), outputs: 1, length: 1, height: 2, width: 2))
        XCTAssertEqual(single.layout.entries.map(\.name), ["conv.weight", "conv.bias", "head.weight", "head.bias"])
    }
}

import XCTest
import ForecastLayers
import _TestSupport

/// Finite-difference checks of every backward pass on random small shapes: for a random
/// linear functional of the predictions, L = Σ w·pred, the analytic gradient with respect to
/// sampled parameters, inputs and initial states must match central differences.
final class FiniteDifferenceTests: XCTestCase {
    struct Setup {
        var cell: CellKind, I: Int, H: Int, L: Int, bidir: Bool, B: Int, T: Int, P: Int
        var readout: SequenceRegressor.Readout, initialState: Bool
    }

    func check(_ s: Setup, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let rc = RecurrentConfig(cell: s.cell, inputSize: s.I, hiddenSize: s.H, numLayers: s.L, bidirectional: s.bidir)
        let model = SequenceRegressor(.init(recurrent: rc, outputs: s.P, readout: s.readout))
        let params = model.makeParameters(rng: &rng)
        // Spread weights wider than the default so gates leave their linear range.
        for i in 0..<params.layout.count { params.base[i] *= 2 }
        params.markModified()
        let D = rc.directions
        var x = randomArray(s.B * s.T * s.I, &rng)
        var h0 = s.initialState ? randomArray(s.L * D * s.B * s.H, &rng, scale: 0.5) : []
        var c0 = s.initialState && s.cell == .lstm ? randomArray(s.L * D * s.B * s.H, &rng, scale: 0.5) : []
        let ws = SequenceRegressor.Workspace(model: model, batch: s.B, length: s.T)
        let w = randomArray(s.B * model.predictionCount(length: s.T), &rng)
        // ReLU has kinks: a smaller step keeps differences from straddling one.
        let eps: Float = s.cell == .rnnRelu ? 1e-3 : 1e-2

        func lossValue(_ x: [Float], _ h0: [Float], _ c0: [Float]) -> Double {
            var r = SeededGenerator(seed: 1)
            x.withUnsafeBufferPointer { xp in h0.withUnsafeBufferPointer { hp in c0.withUnsafeBufferPointer { cp in
                model.forward(xp.baseAddress!, workspace: ws, params: params,
                              h0: h0.isEmpty ? nil : hp.baseAddress, c0: c0.isEmpty ? nil : cp.baseAddress, rng: &r)
            } } }
            var sum = 0.0
            for i in 0..<w.count { sum += Double(w[i]) * Double(ws.pred.pointer[i]) }
            return sum
        }
        _ = lossValue(x, h0, c0)
        let grads = ParameterStore(layout: model.layout)
        w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.cache.dX!.pointer, $0.baseAddress!, batch: s.B, time: s.T, features: s.I, inverse: true) }
        let dh0 = s.initialState ? ws.cache.dH0!.toArray() : []
        let dc0 = s.initialState && s.cell == .lstm ? ws.cache.dC0!.toArray() : []

        func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
            let err = abs(Double(analytic) - numeric)
            XCTAssert(err <= 2e-3 + 2e-2 * abs(numeric), "\(s) \(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        // Sampled parameters of every tensor.
        for e in model.layout.entries {
            for _ in 0..<3 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let old = params.base[i]
                params.base[i] = old + eps; params.markModified(); let fp = lossValue(x, h0, c0)
                params.base[i] = old - eps; params.markModified(); let fm = lossValue(x, h0, c0)
                params.base[i] = old; params.markModified()
                compare(grads.base[i], (fp - fm) / Double(2 * eps), e.name)
            }
        }
        for _ in 0..<4 {
            let i = Int(rng.next() % UInt64(x.count))
            compare(dx[i], numericGradient(&x, i, eps: eps) { lossValue($0, h0, c0) }, "x[\(i)]")
        }
        if s.initialState {
            for _ in 0..<3 {
                let i = Int(rng.next() % UInt64(h0.count))
                compare(dh0[i], numericGradient(&h0, i, eps: eps) { lossValue(x, $0, c0) }, "h0[\(i)]")
                if !c0.isEmpty { compare(dc0[i], numericGradient(&c0, i, eps: eps) { lossValue(x, h0, $0) }, "c0[\(i)]") }
            }
        }
    }

    func testLSTM() {
        check(.init(cell: .lstm, I: 3, H: 4, L: 1, bidir: false, B: 2, T: 5, P: 2, readout: .last, initialState: false), seed: 1)
        check(.init(cell: .lstm, I: 2, H: 3, L: 2, bidir: true, B: 3, T: 4, P: 1, readout: .everyStep, initialState: true), seed: 2)
    }

    func testGRU() {
        check(.init(cell: .gru, I: 3, H: 5, L: 2, bidir: false, B: 2, T: 6, P: 2, readout: .everyStep, initialState: true), seed: 3)
        check(.init(cell: .gru, I: 4, H: 3, L: 1, bidir: true, B: 2, T: 3, P: 1, readout: .last, initialState: false), seed: 4)
    }

    func testElmanRNN() {
        check(.init(cell: .rnnTanh, I: 2, H: 4, L: 2, bidir: true, B: 2, T: 5, P: 1, readout: .last, initialState: true), seed: 5)
        check(.init(cell: .rnnRelu, I: 3, H: 4, L: 1, bidir: false, B: 3, T: 4, P: 2, readout: .everyStep, initialState: false), seed: 6)
    }

    /// Hidden sizes that run the register-blocked step kernel's full 64-column blocks.
    func testWideLayersUseTheStepKernelCorrectly() {
        check(.init(cell: .lstm, I: 3, H: 64, L: 1, bidir: false, B: 6, T: 4, P: 2, readout: .last, initialState: true), seed: 8)
        check(.init(cell: .gru, I: 2, H: 70, L: 1, bidir: true, B: 5, T: 3, P: 1, readout: .everyStep, initialState: false), seed: 9)
    }

    /// Layers too large for the step kernel run the panel kernel (H a multiple of 32) or sgemm.
    func testLargeLayersUsePanelKernelAndSGEMMCorrectly() {
        var layout = ParameterLayout(), layout2 = ParameterLayout()
        XCTAssertTrue(Recurrent(RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 224), layout: &layout).usesPanelKernel)
        XCTAssertFalse(Recurrent(RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 210), layout: &layout2).usesPanelKernel)
        check(.init(cell: .lstm, I: 2, H: 224, L: 1, bidir: false, B: 9, T: 3, P: 1, readout: .last, initialState: true), seed: 10)
        check(.init(cell: .gru, I: 3, H: 256, L: 1, bidir: true, B: 2, T: 2, P: 1, readout: .everyStep, initialState: false), seed: 11)
        check(.init(cell: .lstm, I: 2, H: 210, L: 1, bidir: false, B: 3, T: 2, P: 1, readout: .last, initialState: false), seed: 12)
    }

    func testSingleStepWindow() {
        check(.init(cell: .lstm, I: 2, H: 3, L: 2, bidir: true, B: 1, T: 1, P: 1, readout: .last, initialState: true), seed: 7)
    }
}

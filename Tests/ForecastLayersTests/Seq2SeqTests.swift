import Foundation
import XCTest
import ForecastLayers
import ForecastTraining
import _TestSupport

/// Seq2seq encoder–decoder with attention: PyTorch parity (Fixtures/seq2seq, made by
/// make_seq2seq_reference.py), finite-difference checks of attention alone and of the whole
/// model, free running and scheduled sampling.
final class Seq2SeqTests: XCTestCase {

    // MARK: PyTorch reference

    struct ReferenceConfig: Decodable {
        let enc_cell: String, inputs: Int, enc_hidden: Int, enc_layers: Int, bidirectional: Bool
        let dec_cell: String, dec_hidden: Int, attention: String, attention_size: Int, bridge: String
        let targets: Int, future_inputs: Int, horizon: Int, outputs_per_target: Int, loss: String
        let batch: Int, lookback: Int
    }

    func referenceCases() -> [(String, String)] {
        let dir = fixturePath("seq2seq")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasSuffix(".safetensors") }.sorted().map { (String($0.dropLast(12)), (dir as NSString).appendingPathComponent($0)) }
    }

    func testPyTorchReference() throws {
        let cases = referenceCases()
        XCTAssertGreaterThanOrEqual(cases.count, 2, "Fixtures/seq2seq holds no reference cases (run make_seq2seq_reference.py)")
        for (name, path) in cases {
            let file = try SafeTensorsFile.read(path: path)
            let c = try JSONDecoder().decode(ReferenceConfig.self, from: Data(try XCTUnwrap(file.metadata["config"]).utf8))
            let enc = RecurrentConfig(cell: try XCTUnwrap(CellKind(name: c.enc_cell)), inputSize: c.inputs, hiddenSize: c.enc_hidden,
                                      numLayers: c.enc_layers, bidirectional: c.bidirectional)
            let cfg = Seq2SeqConfig(encoder: enc, decoderCell: CellKind(name: c.dec_cell), decoderHidden: c.dec_hidden,
                                    attention: try XCTUnwrap(AttentionKind(name: c.attention)), attentionSize: c.attention_size,
                                    bridge: try XCTUnwrap(BridgeKind(rawValue: c.bridge)), targets: c.targets, futureInputs: c.future_inputs,
                                    horizon: c.horizon, outputsPerTarget: c.outputs_per_target)
            try cfg.validate()
            let model = Seq2Seq(cfg)
            let params = ParameterStore(layout: model.layout)
            for e in model.layout.entries {
                try params.assign(e.name, try XCTUnwrap(file[e.name], "\(name): no tensor \(e.name)"))
            }
            let torchNames = file.names.filter { !$0.hasPrefix("grad.") && !$0.hasPrefix("expect.") && !["x", "future", "target"].contains($0) }
            XCTAssertEqual(Set(model.layout.entries.map(\.name)), Set(torchNames),
                           "\(name): parameter names differ from PyTorch's state_dict")
            let B = c.batch, T = c.lookback
            let ws = Seq2SeqWorkspace(model: model, batch: B, length: T)
            let x = try XCTUnwrap(file["x"]).scalars, fut = try XCTUnwrap(file["future"]).scalars, y = try XCTUnwrap(file["target"]).scalars
            var rng = SeededGenerator(seed: 0)
            x.withUnsafeBufferPointer { xp in fut.withUnsafeBufferPointer { fp in y.withUnsafeBufferPointer { yp in
                _ = model.forward(xp.baseAddress!, future: fp.baseAddress, teacher: yp.baseAddress, workspace: ws, params: params, rng: &rng)
            } } }
            assertClose(ws.pred.toArray(), try XCTUnwrap(file["expect.pred"]).scalars, tol: 1e-5, "\(name) pred")
            assertClose(ws.attentionWeights(), try XCTUnwrap(file["expect.attention"]).scalars, tol: 1e-5, "\(name) attention")
            let loss: LossKind = c.loss == "gaussian" ? .gaussian : .mse
            let M = c.horizon * c.targets
            var dPred = [Float](repeating: 0, count: B * cfg.outputs)
            let value = y.withUnsafeBufferPointer { yp in dPred.withUnsafeMutableBufferPointer { dp in
                loss.evaluate(pred: ws.pred.pointer, target: yp.baseAddress!, rows: B, targets: M, normalizer: B * M, dPred: dp.baseAddress!)
            } }
            assertClose([Float(value)], try XCTUnwrap(file["expect.loss"]).scalars, tol: 1e-5, "\(name) loss")
            let grads = ParameterStore(layout: model.layout)
            dPred.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
            for e in model.layout.entries {
                assertClose(try XCTUnwrap(grads.tensor(e.name)).scalars, try XCTUnwrap(file["grad." + e.name], "\(name): no grad.\(e.name)").scalars,
                            tol: 1e-4, "\(name) grad.\(e.name)")
            }
            var dx = [Float](repeating: 0, count: x.count)
            dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.encoder.dX!.pointer, $0.baseAddress!, batch: B, time: T, features: c.inputs, inverse: true) }
            assertClose(dx, try XCTUnwrap(file["grad.x"]).scalars, tol: 1e-4, "\(name) grad.x")
        }
    }

    // MARK: Finite differences

    struct Setup: CustomStringConvertible {
        var enc: CellKind, dec: CellKind, attention: AttentionKind, bridge: BridgeKind?
        var F = 3, He = 4, Le = 1, bidir = false, Hd = 4, A = 5, P = 1, Fk = 2, S = 3, K = 1, B = 2, T = 5
        var description: String { "\(enc.rawValue)->\(dec.rawValue) \(attention.rawValue) bridge \(bridge?.rawValue ?? "auto") L\(Le)\(bidir ? " bidir" : "")" }
    }

    /// L = Σ w·pred for a random w, teacher forcing on; compares sampled gradients of `only`
    /// (a parameter-name prefix, nil: every tensor) and of x with central differences.
    func check(_ s: Setup, seed: UInt64, only prefix: String? = nil, checkInput: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SeededGenerator(seed: seed)
        let enc = RecurrentConfig(cell: s.enc, inputSize: s.F, hiddenSize: s.He, numLayers: s.Le, bidirectional: s.bidir)
        let cfg = Seq2SeqConfig(encoder: enc, decoderCell: s.dec, decoderHidden: s.Hd, attention: s.attention, attentionSize: s.A,
                                bridge: s.bridge, targets: s.P, futureInputs: s.Fk, horizon: s.S, outputsPerTarget: s.K)
        try cfg.validate()
        let model = Seq2Seq(cfg)
        let params = model.makeParameters(rng: &rng)
        for i in 0..<params.layout.count { params.base[i] *= 2 }
        params.markModified()
        var x = randomArray(s.B * s.T * s.F, &rng)
        let fut = randomArray(max(1, s.B * s.S * s.Fk), &rng)
        let teacher = randomArray(s.B * s.S * s.P, &rng)
        let w = randomArray(s.B * cfg.outputs, &rng)
        let ws = Seq2SeqWorkspace(model: model, batch: s.B, length: s.T)
        func value(_ x: [Float]) -> Double {
            var r = SeededGenerator(seed: 1)
            x.withUnsafeBufferPointer { xp in fut.withUnsafeBufferPointer { fp in teacher.withUnsafeBufferPointer { tp in
                _ = model.forward(xp.baseAddress!, future: fp.baseAddress, teacher: tp.baseAddress, workspace: ws, params: params, rng: &r)
            } } }
            var sum = 0.0
            for i in 0..<w.count { sum += Double(w[i]) * Double(ws.pred.pointer[i]) }
            return sum
        }
        _ = value(x)
        let grads = ParameterStore(layout: model.layout)
        w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.encoder.dX!.pointer, $0.baseAddress!, batch: s.B, time: s.T, features: s.F, inverse: true) }
        let eps: Float = 1e-2
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
            let err = abs(Double(analytic) - numeric)
            XCTAssert(err <= 2e-3 + 2e-2 * abs(numeric), "\(s) \(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        var checked = 0
        for e in model.layout.entries where prefix.map({ e.name.hasPrefix($0) }) ?? true {
            for _ in 0..<3 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let old = params.base[i]
                params.base[i] = old + eps; params.markModified(); let fp = value(x)
                params.base[i] = old - eps; params.markModified(); let fm = value(x)
                params.base[i] = old; params.markModified()
                compare(grads.base[i], (fp - fm) / Double(2 * eps), "\(e.name)[\(i - e.offset)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0, "no parameters matched \(prefix ?? "")", file: file, line: line)
        if checkInput {
            for _ in 0..<4 {
                let i = Int(rng.next() % UInt64(x.count))
                compare(dx[i], numericGradient(&x, i, eps: eps) { value($0) }, "x[\(i)]")
            }
            // The last step's target inputs also feed the first decoder step.
            let i = ((s.B - 1) * s.T + s.T - 1) * s.F
            compare(dx[i], numericGradient(&x, i, eps: eps) { value($0) }, "x[last step, target]")
        }
    }

    func testAttentionAloneAdditive() throws {
        try check(Setup(enc: .lstm, dec: .lstm, attention: .additive, bridge: nil, T: 7), seed: 21, only: "attention.", checkInput: false)
        try check(Setup(enc: .gru, dec: .gru, attention: .additive, bridge: .linear, A: 3, T: 4), seed: 22, only: "attention.", checkInput: false)
    }

    func testAttentionAloneLuong() throws {
        try check(Setup(enc: .lstm, dec: .lstm, attention: .luong, bridge: nil, T: 7), seed: 23, only: "attention.", checkInput: false)
        try check(Setup(enc: .gru, dec: .lstm, attention: .luong, bridge: .linear, Hd: 3, T: 4), seed: 24, only: "attention.", checkInput: false)
    }

    func testWholeModelLSTMAdditive() throws {
        try check(Setup(enc: .lstm, dec: .lstm, attention: .additive, bridge: .linear, Le: 2, bidir: true, Hd: 5, P: 2, S: 4), seed: 31)
        try check(Setup(enc: .lstm, dec: .lstm, attention: .additive, bridge: nil, Le: 1, bidir: true, K: 2), seed: 32)
    }

    func testWholeModelGRULuong() throws {
        try check(Setup(enc: .gru, dec: .gru, attention: .luong, bridge: nil, Le: 2, S: 4), seed: 33)
        try check(Setup(enc: .gru, dec: .gru, attention: .luong, bridge: .linear, bidir: true, Hd: 3, P: 2, K: 3), seed: 34)
    }

    func testWholeModelMixedCellsAndNoAttention() throws {
        try check(Setup(enc: .gru, dec: .lstm, attention: .additive, bridge: .linear, Fk: 0), seed: 35)
        try check(Setup(enc: .lstm, dec: .gru, attention: .luong, bridge: .identity), seed: 36)
        try check(Setup(enc: .lstm, dec: .lstm, attention: .none, bridge: .linear, bidir: true), seed: 37)
        try check(Setup(enc: .gru, dec: .gru, attention: .none, bridge: nil, Fk: 0), seed: 38)
    }

    // MARK: Decoding

    func testFreeRunningAndScheduledSampling() throws {
        var rng = SeededGenerator(seed: 5)
        let enc = RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 6)
        let cfg = Seq2SeqConfig(encoder: enc, attention: .additive, targets: 1, futureInputs: 1, horizon: 5)
        let model = Seq2Seq(cfg)
        let params = model.makeParameters(rng: &rng)
        let B = 3, T = 8
        let x = randomArray(B * T * 2, &rng), fut = randomArray(B * 5, &rng), teacher = randomArray(B * 5, &rng)
        let ws = Seq2SeqWorkspace(model: model, batch: B, length: T)
        func run(_ teacher: [Float]?, _ mask: [UInt8]?) -> [Float] {
            var r = SeededGenerator(seed: 0)
            return x.withUnsafeBufferPointer { xp in fut.withUnsafeBufferPointer { fp in
                let t = teacher ?? [], m = mask ?? []
                return t.withUnsafeBufferPointer { tp in m.withUnsafeBufferPointer { mp in
                    model.forward(xp.baseAddress!, future: fp.baseAddress, teacher: teacher == nil ? nil : tp.baseAddress,
                                  feedback: mask == nil ? nil : mp.baseAddress, workspace: ws, params: params, rng: &r).toArray()
                } }
            } }
        }
        let free = run(nil, nil)
        XCTAssertEqual(free, run(teacher, [UInt8](repeating: 1, count: B * 5)), "feeding back every step is free running")
        let forced = run(teacher, nil)
        XCTAssertNotEqual(free, forced)
        // The first step sees no fed-back value yet: identical either way.
        for b in 0..<B { XCTAssertEqual(free[b * 5], forced[b * 5]) }
        // Attention rows are distributions.
        let a = ws.attentionWeights()
        XCTAssertEqual(a.count, B * 5 * T)
        for r in 0..<(B * 5) {
            let row = a[(r * T)..<((r + 1) * T)]
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssert(row.allSatisfy { $0 >= 0 })
        }
    }

    func testTeacherForcingSchedules() {
        XCTAssertEqual(TeacherForcingSchedule(parsing: "teacher"), .constant(probability: 0))
        XCTAssertEqual(TeacherForcingSchedule(parsing: "free"), .constant(probability: 1))
        XCTAssertEqual(TeacherForcingSchedule(parsing: "constant:0.25"), .constant(probability: 0.25))
        XCTAssertEqual(TeacherForcingSchedule(parsing: "linear"), .linear(maximum: 0.5, epochs: 10))
        XCTAssertEqual(TeacherForcingSchedule(parsing: "linear:1:20"), .linear(maximum: 1, epochs: 20))
        XCTAssertEqual(TeacherForcingSchedule(parsing: "inverse-sigmoid:3"), .inverseSigmoid(k: 3))
        for bad in ["", "linear:2", "constant", "constant:x", "inverse-sigmoid:0.5", "cosine", "linear:0.5:1.5"] {
            XCTAssertNil(TeacherForcingSchedule(parsing: bad), bad)
        }
        let lin = TeacherForcingSchedule.linear(maximum: 0.8, epochs: 4)
        XCTAssertEqual(lin.samplingProbability(epoch: 0), 0)
        XCTAssertEqual(lin.samplingProbability(epoch: 2), 0.4, accuracy: 1e-6)
        XCTAssertEqual(lin.samplingProbability(epoch: 9), 0.8, accuracy: 1e-6)
        let inv = TeacherForcingSchedule.inverseSigmoid(k: 5)
        var last: Float = -1
        for e in 0..<40 { let p = inv.samplingProbability(epoch: e); XCTAssertGreaterThan(p, last); last = p }
        XCTAssertEqual(inv.samplingProbability(epoch: 0), 1 - 5.0 / 6.0, accuracy: 1e-6)
        XCTAssertGreaterThan(last, 0.99)
    }

    func testConfigValidation() {
        let bi = RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 4, bidirectional: true)
        XCTAssertEqual(Seq2SeqConfig(encoder: bi, targets: 1, futureInputs: 0, horizon: 2).bridge, .sum)
        XCTAssertEqual(Seq2SeqConfig(encoder: bi, decoderHidden: 6, targets: 1, futureInputs: 0, horizon: 2).bridge, .linear)
        XCTAssertThrowsError(try Seq2SeqConfig(encoder: bi, bridge: .identity, targets: 1, futureInputs: 0, horizon: 2).validate())
        let rnn = RecurrentConfig(cell: .rnnTanh, inputSize: 2, hiddenSize: 4)
        XCTAssertThrowsError(try Seq2SeqConfig(encoder: rnn, targets: 1, futureInputs: 0, horizon: 2).validate())
        let names = Seq2Seq(Seq2SeqConfig(encoder: bi, decoderHidden: 6, targets: 1, futureInputs: 2, horizon: 3)).layout.entries.map(\.name)
        XCTAssertEqual(names, ["encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0",
                               "encoder.weight_ih_l0_reverse", "encoder.weight_hh_l0_reverse", "encoder.bias_ih_l0_reverse", "encoder.bias_hh_l0_reverse",
                               "bridge.h.weight", "bridge.h.bias", "bridge.c.weight", "bridge.c.bias",
                               "attention.W_q.weight", "attention.W_k.weight", "attention.W_k.bias", "attention.v.weight",
                               "decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0",
                               "head.weight", "head.bias"])
    }
}

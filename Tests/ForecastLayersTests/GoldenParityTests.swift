import Foundation
import XCTest
import ForecastLayers
import ForecastTraining
import _TestSupport

/// PyTorch parity on the golden cases (computed by PyTorch in float64, see Fixtures/golden).
/// Outputs, states, predictions and loss within 1e-5; every gradient within 1e-4.
final class GoldenParityTests: XCTestCase {
    struct CaseConfig: Decodable {
        let cell: String
        let input_size: Int?, hidden_size: Int?, num_layers: Int?, bidirectional: Bool?
        let batch: Int, seq_len: Int, head_out: Int
        let loss_on: String?, initial_state: Bool?, nonlinearity: String?
    }

    static let supportedCells: Set<String> = ["lstm", "gru", "rnn"]

    func loadConfig(_ file: SafeTensorsFile, _ name: String) throws -> CaseConfig {
        let json = try XCTUnwrap(file.metadata["config"], "\(name): no config in __metadata__")
        return try JSONDecoder().decode(CaseConfig.self, from: Data(json.utf8))
    }

    func testGoldenCasesExist() {
        XCTAssertFalse(goldenCases().isEmpty, "no golden cases found: set FORECAST_GOLDEN_DIR or copy them to Fixtures/golden")
    }

    func testRecurrentGoldenParity() throws {
        let cases = goldenCases()
        XCTAssertFalse(cases.isEmpty, "no golden cases found")
        var checked = 0
        for (name, path) in cases {
            let file = try SafeTensorsFile.read(path: path)
            let cfg = try loadConfig(file, name)
            guard Self.supportedCells.contains(cfg.cell) else { continue }
            try checkRecurrentCase(name, file, cfg)
            checked += 1
        }
        print("golden parity: \(checked) recurrent cases checked")
        XCTAssertGreaterThan(checked, 0)
    }

    /// Cases whose cell this build does not support are reported as skipped, by name.
    /// ConvLSTM cases (`cell = convlstm`) are checked by ConvLSTMTests.testConvLSTMGoldenParity.
    func testUnsupportedGoldenCasesAreReported() throws {
        var skipped: [String] = []
        for (name, path) in goldenCases() {
            let cfg = try loadConfig(try SafeTensorsFile.read(path: path), name)
            if !Self.supportedCells.contains(cfg.cell) && cfg.cell != "convlstm" { skipped.append("\(name) (cell \(cfg.cell))") }
        }
        if !skipped.isEmpty { throw XCTSkip("golden cases not supported by this build: " + skipped.joined(separator: ", ")) }
    }

    func checkRecurrentCase(_ name: String, _ file: SafeTensorsFile, _ cfg: CaseConfig) throws {
        let cell: CellKind = cfg.cell == "lstm" ? .lstm : cfg.cell == "gru" ? .gru : (cfg.nonlinearity == "relu" ? .rnnRelu : .rnnTanh)
        let rc = RecurrentConfig(cell: cell, inputSize: cfg.input_size!, hiddenSize: cfg.hidden_size!,
                                 numLayers: cfg.num_layers!, bidirectional: cfg.bidirectional ?? false)
        let model = SequenceRegressor(.init(recurrent: rc, outputs: cfg.head_out, readout: cfg.loss_on == "all" ? .everyStep : .last))
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            try params.assign(e.name, try XCTUnwrap(file[e.name], "\(name): missing \(e.name)"))
        }
        let B = cfg.batch, T = cfg.seq_len, H = rc.hiddenSize, DH = rc.outputSize
        let x = try XCTUnwrap(file["x"]).scalars
        let target = try XCTUnwrap(file["target"]).scalars
        let ws = SequenceRegressor.Workspace(model: model, batch: B, length: T)
        var rng = SeededGenerator(seed: 0)
        let h0 = file["h0"]?.scalars, c0 = file["c0"]?.scalars
        x.withUnsafeBufferPointer { xp in
            if let h0 {
                h0.withUnsafeBufferPointer { hp in
                    if let c0 { c0.withUnsafeBufferPointer { cp in model.forward(xp.baseAddress!, workspace: ws, params: params, h0: hp.baseAddress!, c0: cp.baseAddress!, rng: &rng) } }
                    else { model.forward(xp.baseAddress!, workspace: ws, params: params, h0: hp.baseAddress!, rng: &rng) }
                }
            } else {
                model.forward(xp.baseAddress!, workspace: ws, params: params, rng: &rng)
            }
        }
        // y [B, T, D*H] from the time-major output.
        var y = [Float](repeating: 0, count: B * T * DH)
        y.withUnsafeMutableBufferPointer { transposeBatchTime(ws.cache.output.pointer, $0.baseAddress!, batch: B, time: T, features: DH, inverse: true) }
        assertClose(y, try XCTUnwrap(file["expect.y"]).scalars, tol: 1e-5, "\(name) expect.y")
        assertClose(ws.cache.hN.toArray(), try XCTUnwrap(file["expect.h_n"]).scalars, tol: 1e-5, "\(name) expect.h_n")
        if let cn = file["expect.c_n"] { assertClose(ws.cache.cN.toArray(), cn.scalars, tol: 1e-5, "\(name) expect.c_n") }
        let pred = ws.pred.toArray()
        assertClose(pred, try XCTUnwrap(file["expect.pred"]).scalars, tol: 1e-5, "\(name) expect.pred")
        let (loss, dPred) = mseLossAndGradient(pred, target)
        assertClose([loss], try XCTUnwrap(file["expect.loss"]).scalars, tol: 1e-5, "\(name) expect.loss")

        let grads = ParameterStore(layout: model.layout)
        dPred.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        var checkedGrads = 0
        for (gname, want) in file.tensors where gname.hasPrefix("grad.") {
            let what = String(gname.dropFirst("grad.".count))
            let got: [Float]
            switch what {
            case "x":
                var dx = [Float](repeating: 0, count: B * T * rc.inputSize)
                dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.cache.dX!.pointer, $0.baseAddress!, batch: B, time: T, features: rc.inputSize, inverse: true) }
                got = dx
            case "h0": got = ws.cache.dH0!.toArray()
            case "c0": got = ws.cache.dC0!.toArray()
            default: got = try XCTUnwrap(grads.tensor(what), "\(name): model has no parameter \(what)").scalars
            }
            assertClose(got, want.scalars, tol: 1e-4, "\(name) \(gname)")
            checkedGrads += 1
        }
        XCTAssertGreaterThanOrEqual(checkedGrads, model.layout.entries.count + 1, "\(name): too few gradients checked")
        _ = H
    }
}

/// PyTorch's `MSELoss()` of the golden cases (mean over all predictions) and its gradient.
func mseLossAndGradient(_ pred: [Float], _ target: [Float]) -> (loss: Float, dPred: [Float]) {
    var dPred = [Float](repeating: 0, count: pred.count)
    let loss = pred.withUnsafeBufferPointer { p in target.withUnsafeBufferPointer { t in dPred.withUnsafeMutableBufferPointer { d in
        Float(LossKind.mse.evaluate(pred: p.baseAddress!, target: t.baseAddress!, rows: 1, targets: pred.count,
                                    normalizer: pred.count, dPred: d.baseAddress!))
    } } }
    return (loss, dPred)
}

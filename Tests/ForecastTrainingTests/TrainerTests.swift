import Foundation
import XCTest
import ForecastTraining
import _TestSupport

/// Windows of a noisy two-feature sine for quick training runs.
func sineWindows(count: Int, lookback: Int, horizon: Int, seed: UInt64 = 5) -> Windows {
    var rng = SeededGenerator(seed: seed)
    let n = count + lookback + horizon
    let series = (0..<n).map { i in sin(Float(i) * 0.3) + 0.05 * rng.nextNormal() }
    var w = Windows(lookback: lookback, features: 2, targetLength: horizon)
    for s in 0..<count {
        var x: [Float] = []
        for t in 0..<lookback { x.append(series[s + t]); x.append(cos(Float(s + t) * 0.3)) }
        w.append(x: x, y: series[(s + lookback)..<(s + lookback + horizon)], series: 0, end: s + lookback - 1)
    }
    return w
}

final class TrainerTests: XCTestCase {
    func makeModel(dropout: Float = 0) -> WindowedRegressor {
        WindowedRegressor(SequenceRegressor(.init(recurrent: RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 8, numLayers: 2, dropout: dropout), outputs: 3)),
                          length: 10)
    }

    func train(workers: Int, epochs: Int = 3, dropout: Float = 0.1) throws -> [UInt8] {
        let model = makeModel(dropout: dropout)
        var rng = SeededGenerator(seed: 1)
        let params = model.makeParameters(rng: &rng)
        var cfg = TrainingConfig()
        cfg.epochs = epochs; cfg.batchSize = 16; cfg.workers = workers; cfg.shards = 4; cfg.seed = 7
        let trainer = Trainer(model: model, params: params, config: cfg)
        try trainer.fit(train: sineWindows(count: 90, lookback: 10, horizon: 3), validation: sineWindows(count: 20, lookback: 10, horizon: 3, seed: 9))
        return params.tensorBytes()
    }

    /// Same seed and data: bit-identical weights for 1, 2 and 3 workers.
    func testBitIdenticalForAnyWorkerCount() throws {
        let one = try train(workers: 1), two = try train(workers: 2), three = try train(workers: 3)
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, three)
        XCTAssertNotEqual(one, try train(workers: 1, epochs: 1), "training must change the weights")
    }

    /// 4 epochs straight equal 2 epochs, checkpoint, resume, 2 more (bit for bit).
    func testResumeFromCheckpointIsExact() throws {
        let dir = NSTemporaryDirectory() + "resume-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = sineWindows(count: 90, lookback: 10, horizon: 3), val = sineWindows(count: 20, lookback: 10, horizon: 3, seed: 9)
        var cfg = TrainingConfig()
        cfg.epochs = 4; cfg.batchSize = 16; cfg.workers = 2; cfg.seed = 3; cfg.patience = nil
        let model = makeModel(dropout: 0.2)
        var rng = SeededGenerator(seed: 1)
        let p1 = model.makeParameters(rng: &rng)
        try Trainer(model: model, params: p1, config: cfg).fit(train: train, validation: val)

        var half = cfg; half.epochs = 2
        var rng2 = SeededGenerator(seed: 1)
        let p2 = model.makeParameters(rng: &rng2)
        let ck = dir + "/ck.safetensors"
        try Trainer(model: model, params: p2, config: half).fit(train: train, validation: val, checkpointPath: ck)
        let (resumed, _) = try Trainer<WindowedRegressor>.resume(from: ck, epochs: 4, workers: 1)
        XCTAssertEqual(resumed.epoch, 2)
        try resumed.fit(train: train, validation: val)
        XCTAssertEqual(resumed.params.tensorBytes(), p1.tensorBytes())
        XCTAssertEqual(resumed.history.count, 4)
    }

    func testCheckpointChecksumAndVersionAreEnforced() throws {
        let dir = NSTemporaryDirectory() + "ck-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = makeModel()
        var rng = SeededGenerator(seed: 1)
        var cfg = TrainingConfig(); cfg.epochs = 1
        let trainer = Trainer(model: model, params: model.makeParameters(rng: &rng), config: cfg)
        let ck = dir + "/ck.safetensors"
        try trainer.fit(train: sineWindows(count: 20, lookback: 10, horizon: 3), checkpointPath: ck)
        var bytes = try AtomicFile.read(ck)
        bytes[bytes.count - 3] ^= 0x40   // flip a bit in the last tensor
        try AtomicFile.write(bytes, to: dir + "/bad.safetensors")
        XCTAssertThrowsError(try Trainer<WindowedRegressor>.resume(from: dir + "/bad.safetensors")) { e in
            XCTAssert("\(e)".contains("checksum"), "\(e)")
        }
        var archive = try ModelArchive.read(path: ck)
        archive.sections["x"] = "1"
        var meta = try SafeTensorsFile.read(path: ck)
        meta.metadata["format_version"] = "99"
        try meta.write(path: dir + "/future.safetensors")
        XCTAssertThrowsError(try Trainer<WindowedRegressor>.resume(from: dir + "/future.safetensors")) { e in
            XCTAssert("\(e)".contains("version 99"), "\(e)")
        }
        XCTAssertThrowsError(try Trainer<WindowedRegressor>.resume(from: fixturePath("golden/lstm_1layer.safetensors"))) { e in
            XCTAssert("\(e)".contains("not a forecast model file"), "\(e)")
        }
    }

    func testNonFiniteLossStopsWithEpochAndBatch() throws {
        let model = makeModel()
        var rng = SeededGenerator(seed: 1)
        var cfg = TrainingConfig(); cfg.epochs = 2; cfg.batchSize = 8
        var w = sineWindows(count: 20, lookback: 10, horizon: 3)
        w.y[5] = .nan
        let t = Trainer(model: model, params: model.makeParameters(rng: &rng), config: cfg)
        XCTAssertThrowsError(try t.fit(train: w)) { e in
            XCTAssert("\(e)".contains("epoch 1, batch"), "\(e)")
        }
        cfg.nonFinite = .skip
        let t2 = Trainer(model: model, params: model.makeParameters(rng: &rng), config: cfg)
        let history = try t2.fit(train: w)
        XCTAssertEqual(history.count, 2)
        XCTAssertEqual(history[0].skippedBatches, 1)
        XCTAssert(t2.params.tensorBytes().count > 0)
        XCTAssert(history.allSatisfy { $0.trainLoss.isFinite })
    }

    func testTrainingReducesLossAndEarlyStoppingRestoresBest() throws {
        let model = makeModel()
        var rng = SeededGenerator(seed: 2)
        var cfg = TrainingConfig(); cfg.epochs = 40; cfg.batchSize = 16; cfg.learningRate = 1e-2; cfg.patience = 3
        let trainer = Trainer(model: model, params: model.makeParameters(rng: &rng), config: cfg)
        let val = sineWindows(count: 30, lookback: 10, horizon: 3, seed: 11)
        let before = trainer.loss(on: val)
        var events = 0
        trainer.onEvent = { _ in events += 1 }
        let h = try trainer.fit(train: sineWindows(count: 120, lookback: 10, horizon: 3), validation: val)
        let after = trainer.loss(on: val)
        XCTAssertLessThan(after, before * 0.5)
        XCTAssertEqual(after, trainer.bestValidationLoss, accuracy: 1e-9, "best weights restored")
        XCTAssertGreaterThan(events, h.count)
    }
}

import Foundation
import XCTest
import Forecast
import _TestSupport

/// End to end on the radar fixture (40 frames of 32x32, 6-minute steps): a small
/// encoder–forecaster trains, predicts, evaluates against persistence, saves and loads, and
/// renders a frame strip; training is bit-identical across worker counts; the scores are right
/// on hand-made frames.
final class NowcastingTests: XCTestCase {
    static let radar = fixturePath("radar_small.csv")

    func smallOptions(workers: Int = 1) -> NowcastOptions {
        var o = NowcastOptions()
        o.inFrames = 4
        o.outFrames = 3
        o.hidden = [6]
        o.patch = 4
        o.training.epochs = 2
        o.training.batchSize = 4
        o.training.workers = workers
        o.split = FrameSplit(validation: 0.2, test: 0.2)
        return o
    }

    func testFitPredictEvaluateSaveLoad() throws {
        let grid = try GridData.read(path: Self.radar, values: ["rain_mmh"])
        XCTAssertEqual(grid.height, 32)
        let model = try Nowcaster.fit(grid, options: smallOptions(), dataFile: Self.radar)
        let prov = try XCTUnwrap(model.provenance)
        XCTAssertEqual(prov.history.count, 2)
        XCTAssertGreaterThan(prov.trainWindows, 0)
        let report = try XCTUnwrap(prov.testReport)
        XCTAssertEqual(report.leadTimes, 3)
        XCTAssertEqual(report.model.leads.count, 3)
        XCTAssert(report.model.mse.isFinite && report.persistence.mse.isFinite)

        // Predict: the 3 frames after the end, 6 minutes apart, never negative.
        let next = try model.predict(grid)
        XCTAssertEqual(next.labels.count, 3)
        XCTAssertEqual(next.frames.count, 3 * 32 * 32)
        XCTAssert(next.frames.allSatisfy { $0 >= 0 && $0.isFinite })
        let lastTime = try XCTUnwrap(grid.times.last)
        XCTAssertEqual(next.times, [1, 2, 3].map { lastTime + Int64($0) * 6 * 60_000 })
        let csv = model.csv(next)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,y,x,rain_mmh")
        XCTAssertEqual(lines.count, 1 + 3 * 32 * 32)
        // The written frames read back as a grid of the same shape.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nowcast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let framesPath = dir.appendingPathComponent("frames.csv").path
        try AtomicFile.write(csv, to: framesPath)
        let back = try GridData.read(path: framesPath)
        XCTAssertEqual(back.times.count, 3)
        XCTAssertEqual(back.frames.scalars.count, next.frames.count)
        for i in 0..<next.frames.count { XCTAssertEqual(back.frames.scalars[i], next.frames[i], accuracy: 6e-4) }

        // Save and load: same predictions, same spec.
        let path = dir.appendingPathComponent("radar.safetensors").path
        try model.save(to: path)
        let loaded = try Nowcaster.load(from: path)
        XCTAssertEqual(loaded.spec, model.spec)
        XCTAssertEqual(try loaded.predict(grid).frames, next.frames)
        let again = try loaded.evaluate(grid)
        XCTAssertEqual(again.model.mse, report.model.mse, accuracy: 1e-9)
        XCTAssertEqual(again.persistence, report.persistence)
        // JSON keys the CLI promises.
        let obj = again.jsonObject()
        for side in ["model", "persistence"] {
            let d = try XCTUnwrap(obj[side] as? [String: Any], side)
            for key in ["mse", "csi@0.5", "csi@2", "csi@5", "pod@0.5", "far@0.5", "mae", "correlation"] {
                XCTAssertNotNil(d[key], "\(side).\(key)")
            }
        }
        XCTAssertNoThrow(try JSONSerialization.data(withJSONObject: obj))

        // Frame strip.
        let svg = try loaded.frameStrip(grid)
        XCTAssert(svg.hasPrefix("<svg"))
        XCTAssert(svg.contains("observed") && svg.contains("ConvLSTM") && svg.contains("persistence") && svg.contains("+6 min"))
        XCTAssertThrowsError(try loaded.frameStrip(grid, start: 39))
    }

    /// Warm start: keeps the spec, continues the history, changes the weights, leaves the
    /// original alone; fine-tune(2 epochs, checkpoint) + resume(4 epochs) == fine-tune(4
    /// epochs), bit for bit.
    func testFineTuneContinuesTrainingAndResumesExactly() throws {
        let grid = try GridData.read(path: Self.radar, values: ["rain_mmh"])
        let model = try Nowcaster.fit(grid, options: smallOptions())
        let before = model.params.tensorBytes()
        var cfg = smallOptions().training
        cfg.epochs = 4
        cfg.patience = nil
        cfg.schedule = .constant
        let straight = try model.fineTuned(on: grid, training: cfg)
        XCTAssertEqual(model.params.tensorBytes(), before, "fine-tuning must not change the original")
        XCTAssertNotEqual(straight.params.tensorBytes(), before)
        XCTAssertEqual(straight.spec, model.spec)
        XCTAssertEqual(straight.provenance?.history.count, (model.provenance?.history.count ?? 0) + 4)
        XCTAssertNotNil(straight.provenance?.testReport)

        let dir = NSTemporaryDirectory() + "nowcast-ft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ck = dir + "/ck.safetensors"
        var half = cfg
        half.epochs = 2
        _ = try model.fineTuned(on: grid, training: half, checkpointPath: ck)
        let resumed = try model.fineTuned(on: grid, training: cfg, checkpointPath: ck, resume: true)
        XCTAssertEqual(resumed.params.tensorBytes(), straight.params.tensorBytes())
    }

    func testTrainingIsIdenticalForAnyWorkerCount() throws {
        let grid = try GridData.read(path: Self.radar, values: ["rain_mmh"])
        var stores: [[Float]] = []
        for w in [1, 2, 3] {
            let m = try Nowcaster.fit(grid, options: smallOptions(workers: w))
            stores.append(Array(m.params.flat))
        }
        XCTAssert(stores[0] == stores[1], "1 vs 2 workers: weights differ")
        XCTAssert(stores[0] == stores[2], "1 vs 3 workers: weights differ")
    }

    func testBadInputIsReported() throws {
        let grid = try GridData.read(path: Self.radar, values: ["rain_mmh"])
        var o = smallOptions()
        o.value = "nope"
        XCTAssertThrowsError(try Nowcaster.fit(grid, options: o)) { XCTAssert("\($0)".contains("nope"), "\($0)") }
        o = smallOptions()
        o.inFrames = 30
        XCTAssertThrowsError(try Nowcaster.fit(grid, options: o)) { XCTAssert("\($0)".contains("in-frames"), "\($0)") }
        o = smallOptions()
        o.patch = 3
        XCTAssertThrowsError(try Nowcaster.fit(grid, options: o)) { XCTAssert("\($0)".contains("patch"), "\($0)") }
        o = smallOptions()
        o.kernel = 4
        XCTAssertThrowsError(try Nowcaster.fit(grid, options: o)) { XCTAssert("\($0)".contains("odd"), "\($0)") }
        // A series model file is not a nowcasting model.
        XCTAssertThrowsError(try Nowcaster.load(from: fixturePath("air_passengers.csv")))
    }

    /// CSI, POD, FAR, MSE and correlation on frames small enough to count by hand.
    func testScoresByHand() {
        var acc = NowcastScoreAccumulator(leads: 1, thresholds: [0.5, 2])
        let f: [Float] = [0, 1, 3, 0.6, 0, 2.5]
        let o: [Float] = [0, 0.7, 1, 0, 3, 2.1]
        acc.add(lead: 0, forecast: f, observed: o, count: 6)
        let s = acc.scores()
        // τ = 0.5: hits {1, 2, 5}, misses {4}, false alarms {3}.
        XCTAssertEqual(s.csi["0.5"] ?? nil, 3.0 / 5.0)
        XCTAssertEqual(s.pod["0.5"] ?? nil, 3.0 / 4.0)
        XCTAssertEqual(s.far["0.5"] ?? nil, 1.0 / 4.0)
        // τ = 2: hits {5}, misses {4}, false alarms {2}.
        XCTAssertEqual(s.csi["2"] ?? nil, 1.0 / 3.0)
        var sq = 0.0
        for i in 0..<6 { sq += Double(f[i] - o[i]) * Double(f[i] - o[i]) }
        XCTAssertEqual(s.mse, sq / 6, accuracy: 1e-6)
        XCTAssertNotNil(s.correlation)
        // No rain anywhere: CSI is undefined, not zero.
        var dry = NowcastScoreAccumulator(leads: 1)
        dry.add(lead: 0, forecast: [0, 0], observed: [0, 0], count: 2)
        XCTAssertNil(dry.scores().csi["0.5"] ?? nil)
    }
}

import Foundation
import XCTest
import Forecast
import ForecastRetraining
import _TestSupport

/// Job files and data drops of the seq2seq and grid families (the runs themselves are in
/// ForecastCLITests/RetrainFamilyCLITests.swift).
final class RetrainFamilyTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "retrain-family-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch + "/drops", withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func example(_ name: String) -> String { packageRoot.appendingPathComponent("Examples/\(name)").path }

    /// The example job `name` with `replacements`, parsed from the scratch folder.
    func job(_ name: String, _ replacements: [(String, String)] = []) throws -> RetrainJob {
        var text = try String(contentsOfFile: example(name) + "/job.yaml", encoding: .utf8)
        for (a, b) in replacements {
            XCTAssert(text.contains(a), "job.yaml has no '\(a)'")
            text = text.replacingOccurrences(of: a, with: b)
        }
        return try RetrainJob.parse(yaml: text, jobPath: scratch + "/job.yaml")
    }

    /// The one-line error of parsing the example job `name` with `replacements`.
    func jobError(_ name: String, _ replacements: [(String, String)]) -> String {
        do { _ = try job(name, replacements); return "no error" } catch { return "\(error)" }
    }

    func testFamilyJobsParse() throws {
        let radar = try job("nightly-radar")
        XCTAssertEqual(radar.model.resolvedFamily, .nowcast)
        XCTAssertEqual(radar.model.grid?.inFrames, 4)
        XCTAssertEqual(radar.model.grid?.patch, 2)
        XCTAssertEqual(radar.model.grid?.transform, .log1p)
        XCTAssertEqual(radar.model.grid?.output, .softplus)
        XCTAssertEqual(radar.model.hidden, 4)
        XCTAssertEqual(radar.data.targets, ["rain_mmh"])
        XCTAssertNil(radar.model.seq2seq)

        let s2s = try job("nightly-seq2seq")
        XCTAssertEqual(s2s.model.resolvedFamily, .seq2seq)
        XCTAssertEqual(s2s.model.cell, .gru)
        XCTAssertEqual(s2s.model.seq2seq?.attention, .additive)
        XCTAssertEqual(s2s.data.knownFuture, ["Temperature", "WorkDay"])
        XCTAssertNil(s2s.model.grid)
        XCTAssertEqual(try job("nightly-seq2seq", [("attention: additive", "attention: bahdanau")]).model.seq2seq?.attention, .additive,
                       "the CLI's spellings")
        XCTAssertEqual(try job("nightly-radar", [("output: softplus", "output: linear")]).model.grid?.output, .identity)
        XCTAssertEqual(try job("nightly-radar", [("family: grid", "family: NowCast")]).model.resolvedFamily, .nowcast)

        // A recurrent job's settings encode as before families existed (so the setting hashes
        // of existing registries, and their warm starts, are unchanged).
        let recurrent = try RetrainJob.parse(yaml: try String(contentsOfFile: example("nightly") + "/job.yaml", encoding: .utf8), jobPath: scratch + "/job.yaml")
        let explicit = try RetrainJob.parse(yaml: try String(contentsOfFile: example("nightly") + "/job.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  cell: lstm", with: "  family: recurrent\n  cell: lstm"), jobPath: scratch + "/job.yaml")
        XCTAssertEqual(recurrent.modelSettingsHash, explicit.modelSettingsHash)
        let json = String(decoding: try JSONEncoder().encode(recurrent.model), as: UTF8.self)
        for key in ["family", "seq2seq", "grid"] { XCTAssertFalse(json.contains("\"\(key)\""), json) }
        XCTAssertNotEqual(recurrent.modelSettingsHash, s2s.modelSettingsHash)
    }

    func testBadFamilySettingsAreNamed() {
        XCTAssert(jobError("nightly-radar", [("family: grid", "family: cnn")]).contains("model.family must be recurrent, seq2seq or grid, got 'cnn'"))
        let other = jobError("nightly-radar", [("  kernel: 3", "  kernel: 3\n  cell: lstm")])
        XCTAssert(other.contains("unknown key 'cell' in model") && other.contains("it is a key of recurrent models") && other.contains("model.family is grid"), other)
        XCTAssert(jobError("nightly-radar", [("kernel: 3", "kernel: 4")]).contains("model.kernel must be odd"))
        XCTAssert(jobError("nightly-radar", [("metric: mase", "metric: smape")]).contains("smape is not defined for grid models"))
        XCTAssert(jobError("nightly-radar", [("holdout: 12", "holdout: 7")]).contains("in_frames + out_frames = 8"))
        XCTAssert(jobError("nightly-radar", [("targets: [rain_mmh]", "targets: [rain_mmh, other]")]).contains("one value column"))
        XCTAssert(jobError("nightly-radar", [("targets: [rain_mmh]", "targets: [rain_mmh]\n  calendar: [hour]")]).contains("data.calendar cannot be used by a grid job"))
        XCTAssert(jobError("nightly-seq2seq", [("cell: gru", "cell: rnn")]).contains("seq2seq model must be lstm or gru"))
        XCTAssert(jobError("nightly-seq2seq", [("attention: additive", "attention: dot")]).contains("model.attention must be additive, luong or none"))
        let line = jobError("nightly-seq2seq", [("teacher_forcing: linear", "teacher_forcing: sometimes")])
        XCTAssert(line.hasPrefix(scratch + "/job.yaml:") && line.contains("model.teacher_forcing"), line)
    }

    /// Drops of the radar example merge by time: frames 48 + 12 + 12 (drop-03 re-sends two of
    /// drop-02's frames, which it replaces); a drop of another grid size is an error naming it.
    func testGridDropsMergeByTime() throws {
        for n in 1...3 {
            let name = String(format: "drop-%02d.csv", n)
            try FileManager.default.copyItem(atPath: example("nightly-radar") + "/drops/" + name, toPath: scratch + "/drops/" + name)
        }
        let settings = try job("nightly-radar").data
        let data = try DataDrops.readGrid(settings)
        let grid = try XCTUnwrap(data.grid)
        XCTAssertNil(data.set)
        XCTAssertEqual(grid.times.count, 72)
        XCTAssertEqual(data.rows, 72)
        XCTAssertEqual(data.rowsRead, (48 + 12 + 14) * 256)
        XCTAssertEqual(data.duplicateRows, 2 * 256)
        XCTAssertEqual(grid.times, grid.times.sorted())
        XCTAssertEqual(grid.frequency?.nominalMillis, 6 * 60_000)
        XCTAssertEqual(data.firstTime, "2024-06-01T00:00:00")
        let whole = try GridData.read(path: example("nightly-radar") + "/drops/drop-01.csv", values: ["rain_mmh"])
        XCTAssertEqual(Array(grid.frames.scalars.prefix(48 * 256)), whole.frames.scalars)
        XCTAssertEqual(try DataDrops.readGrid(settings).sha256, data.sha256)

        try "time,y,x,rain_mmh\n2024-06-01T09:00:00,0,0,1.5\n".write(toFile: scratch + "/drops/drop-04.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataDrops.readGrid(settings)) { error in
            XCTAssert("\(error)".contains("drop-04.csv") && "\(error)".contains("1x1 grid"), "\(error)")
        }
        try "time,y,x,rain_mmh\n2024-06-01T09:00:00,0,0,\n".write(toFile: scratch + "/drops/drop-04.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataDrops.readGrid(settings)) { error in
            XCTAssert("\(error)".contains("drop-04.csv:2"), "\(error)")
        }
    }
}

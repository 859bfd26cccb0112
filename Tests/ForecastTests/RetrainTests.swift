import Foundation
import XCTest
import Forecast
import ForecastRetraining
import _TestSupport

/// Nightly retraining through the library API: job files, drop merging, the registry, the
/// promotion rule, locks and the outcomes of failed runs. (End-to-end runs of the binary,
/// crashes and concurrent runs are in ForecastCLITests/RetrainCLITests.swift.)
final class RetrainTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "retrain-lib-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch + "/drops", withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    var example: String { packageRoot.appendingPathComponent("Examples/nightly").path }

    /// The example job with `replacements` applied to its text, written into the scratch folder.
    func makeJob(_ replacements: [(String, String)] = []) throws -> RetrainJob {
        var text = try String(contentsOfFile: example + "/job.yaml", encoding: .utf8)
        for (a, b) in replacements {
            XCTAssert(text.contains(a), "job.yaml has no '\(a)'")
            text = text.replacingOccurrences(of: a, with: b)
        }
        // One worker: the machine is shared, and results do not depend on it.
        text = text.replacingOccurrences(of: "  seed: 42\n", with: "  seed: 42\n  workers: 1\n")
        let path = scratch + "/job.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try RetrainJob.load(path)
    }

    func addDrop(_ n: Int) throws {
        let name = String(format: "drop-%02d.csv", n)
        try FileManager.default.copyItem(atPath: example + "/drops/" + name, toPath: scratch + "/drops/" + name)
    }

    var folder: String { scratch + "/registry/air-passengers" }

    // MARK: Job files

    func testExampleJobParses() throws {
        let job = try makeJob()
        XCTAssertEqual(job.data.path, scratch + "/drops")
        XCTAssertEqual(job.data.time, "month")
        XCTAssertEqual(job.data.targets, ["passengers"])
        XCTAssertEqual(job.model.cell, .lstm)
        XCTAssertEqual(job.model.hidden, 32)
        XCTAssertEqual(job.model.lookback, 24)
        XCTAssertEqual(job.model.horizon, 12)
        XCTAssertEqual(job.training.workers, 1)
        XCTAssertEqual(job.retrain.mode, .warm)
        XCTAssertEqual(job.retrain.warmEpochs, 30)
        XCTAssertEqual(job.retrain.holdout, .steps(12))
        XCTAssertEqual(job.retrain.promotion.metric, .mase)
        XCTAssertEqual(job.retrain.promotion.tolerance, 0.02)
        XCTAssertEqual(job.registry.folder, folder)
        XCTAssertEqual(job.registry.keep, 3)
        // Workers do not change results, so they do not change the run's identity.
        var other = job
        other.training.workers = 2
        XCTAssertEqual(other.runSettingsHash, job.runSettingsHash)
        other.training.seed = 7
        XCTAssertNotEqual(other.runSettingsHash, job.runSettingsHash)
        XCTAssertEqual(other.modelSettingsHash, job.modelSettingsHash)
    }

    /// `training.windows_per_epoch` (sampled epochs, as `forecast train --windows-per-epoch`)
    /// reaches the training config and the run's identity; absent or null, the job is what it
    /// was before the key existed.
    func testWindowsPerEpochReachesTrainingAndTheRunHash() throws {
        let plain = try makeJob()
        XCTAssertNil(plain.training.windowsPerEpoch)
        XCTAssertNil(plain.coldTrainingConfig.windowsPerEpoch)
        let sampled = try makeJob([("  seed: 42\n", "  seed: 42\n  windows_per_epoch: 500\n")])
        XCTAssertEqual(sampled.training.windowsPerEpoch, 500)
        XCTAssertEqual(sampled.coldTrainingConfig.windowsPerEpoch, 500)
        XCTAssertEqual(sampled.warmTrainingConfig.windowsPerEpoch, 500)
        XCTAssertNotEqual(sampled.runSettingsHash, plain.runSettingsHash)
        XCTAssertEqual(sampled.modelSettingsHash, plain.modelSettingsHash)
        let null = try makeJob([("  seed: 42\n", "  seed: 42\n  windows_per_epoch: ~\n")])
        XCTAssertEqual(null.runSettingsHash, plain.runSettingsHash)
    }

    func testJobErrorsNameFileLineAndKey() {
        func error(_ yaml: String) -> String {
            do { _ = try RetrainJob.parse(yaml: yaml, jobPath: "/x/job.yaml"); return "no error" } catch { return "\(error)" }
        }
        let base = "data:\n  path: d\n  targets: [y]\nregistry:\n  path: r\n  name: m\n"
        XCTAssertEqual(error(base), "no error")
        let unknown = error(base + "retrain:\n  holdot: 3\n")
        XCTAssert(unknown.hasPrefix("/x/job.yaml:8: unknown key 'holdot' in retrain"), unknown)
        let badInt = error(base + "model:\n  hidden: many\n")
        XCTAssert(badInt.hasPrefix("/x/job.yaml:8: model.hidden must be a whole number"), badInt)
        XCTAssert(error("registry:\n  path: r\n  name: m\n").contains("missing section 'data'"))
        XCTAssert(error("data:\n  path: d\nregistry:\n  path: r\n  name: m\n").contains("data.targets is required"))
        XCTAssert(error(base.replacingOccurrences(of: "name: m", with: "name: ../m")).contains("registry.name '../m'"))
        XCTAssert(error(base + "retrain:\n  mode: lukewarm\n").contains("retrain.mode must be warm or cold"))
        XCTAssert(error(base + "training:\n  windows_per_epoch: 0\n").contains("training.windows_per_epoch"), error(base + "training:\n  windows_per_epoch: 0\n"))
        XCTAssert(error(base + "model:\n  horizon: 6\nretrain:\n  holdout: 3\n").contains("must cover at least one horizon"))
        XCTAssert(error("data: [oops\n").hasPrefix("/x/job.yaml:"), error("data: [oops\n"))
        for message in [unknown, badInt] { XCTAssertFalse(message.contains("\n"), message) }
        XCTAssertThrowsError(try RetrainJob.load(scratch + "/nope.yaml")) { XCTAssert("\($0)".contains("nope.yaml"), "\($0)") }
    }

    // MARK: Data drops

    func testDropsAreMergedInOrderAndDeduplicated() throws {
        for n in 1...5 { try addDrop(n) }
        let job = try makeJob()
        let data = try DataDrops.read(job.data)
        XCTAssertEqual(data.files.map { ($0 as NSString).lastPathComponent }, (1...5).map { String(format: "drop-%02d.csv", $0) })
        XCTAssertEqual(data.rowsRead, 146)
        XCTAssertEqual(data.duplicateRows, 2)
        XCTAssertEqual(try XCTUnwrap(data.set).rowCount, 144)
        XCTAssertEqual(data.firstTime?.prefix(7), "1949-01")
        XCTAssertEqual(data.lastTime?.prefix(7), "1960-12")
        // The merged values are the fixture's, in order.
        let fixture = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        let col = try XCTUnwrap(data.set?.columnIndex("passengers"))
        XCTAssertEqual(try XCTUnwrap(data.set).series[0].values[col], fixture.series[0].values[try XCTUnwrap(fixture.columnIndex("value"))])
        // The hash changes with any drop's content and not with the listing alone.
        let again = try DataDrops.read(job.data)
        XCTAssertEqual(again.sha256, data.sha256)

        // A later drop's row replaces an earlier one with the same timestamp.
        try "month,passengers\n1960-12-01,999\n".write(toFile: scratch + "/drops/drop-06.csv", atomically: true, encoding: .utf8)
        let corrected = try DataDrops.read(job.data)
        XCTAssertEqual(corrected.set?.rowCount, 144)
        XCTAssertEqual(corrected.set?.series[0].values[col].last, 999)
        XCTAssertNotEqual(corrected.sha256, data.sha256)

        // An empty drop (header only) is skipped with a note.
        try "month,passengers\n".write(toFile: scratch + "/drops/drop-06b.csv", atomically: true, encoding: .utf8)
        let withEmpty = try DataDrops.read(job.data)
        XCTAssertEqual(withEmpty.set?.rowCount, 144)
        XCTAssert(withEmpty.notes.contains { $0.contains("drop-06b.csv has no data rows") }, "\(withEmpty.notes)")

        // A bad drop is named with its line and column.
        try "month,passengers\n1961-01-01,12x\n".write(toFile: scratch + "/drops/drop-07.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataDrops.read(job.data)) { error in
            XCTAssert("\(error)".contains("drop-07.csv:2:2"), "\(error)")
        }
        try "when,passengers\n1961-01-01,12\n".write(toFile: scratch + "/drops/drop-07.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataDrops.read(job.data)) { error in
            XCTAssert("\(error)".contains("drop-07.csv"), "\(error)")
        }
    }

    // MARK: Runs

    /// Successive drops: the first run promotes v0001; each later run fine-tunes the champion,
    /// records both scores and follows the rule; pruning keeps `keep` files and the champion;
    /// a run without new data does nothing.
    func testSuccessiveRunsFollowThePromotionRule() throws {
        let job = try makeJob([("keep: 3", "keep: 2")])
        var outcomes: [RetrainOutcome] = []
        for n in 1...4 {
            try addDrop(n)
            let report = job.runQuietly()
            XCTAssert([.promoted, .keptChampion].contains(report.outcome), "night \(n): \(report.outcome): \(report.message)")
            outcomes.append(report.outcome)
            XCTAssertEqual(report.exitCode, report.outcome.exitCode)
            XCTAssertEqual(report.challenger?.version, n)
            XCTAssertEqual(report.training?.mode, n == 1 ? .cold : .warm)
            if n > 1 {
                XCTAssertEqual(report.data?.rowsAdded, [0, 0, 12, 12, 12][n])
                let champion = try XCTUnwrap(report.champion?.value), challenger = try XCTUnwrap(report.challenger?.value)
                XCTAssertEqual(report.outcome == .promoted, challenger <= champion * 1.02, report.message)
            }
            let onDisk = try String(contentsOfFile: folder + "/last_run.json", encoding: .utf8)
            XCTAssert(onDisk.contains(report.runId))
        }
        XCTAssertEqual(outcomes[0], .promoted)

        let registry = try ModelRegistry(folder: folder)
        let m = registry.manifest
        XCTAssertEqual(m.versions.map(\.version), [1, 2, 3, 4])
        XCTAssertEqual(m.nextVersion, 5)
        XCTAssertEqual(m.versions.map(\.promoted), outcomes.map { $0 == .promoted })
        let current = try XCTUnwrap(m.current)
        XCTAssertEqual(current, m.versions.last { $0.promoted }?.version)
        XCTAssertEqual(registry.currentLinkVersion(), current)
        XCTAssertEqual(m.versions[1].parent, 1)
        XCTAssertEqual(m.versions[0].data.rows, 96)
        XCTAssertEqual(m.versions[3].data.rows, 132)
        XCTAssertEqual(m.versions[3].data.holdoutRows, 12)
        // keep 2: the two newest files plus the champion.
        let kept = Set([3, 4, current])
        for v in m.versions {
            XCTAssertEqual(v.pruned, !kept.contains(v.version), "v\(v.version)")
            XCTAssertEqual(FileManager.default.fileExists(atPath: registry.path(version: v.version)), kept.contains(v.version))
        }
        // current resolves to a loadable model with the recorded checksums.
        let path = try ModelRegistry.resolveModelPath(folder)
        XCTAssertEqual(path, registry.path(version: current))
        let model = try Forecaster.load(from: path)
        let entry = try XCTUnwrap(m.versions.first { $0.version == current })
        XCTAssertEqual(SHA256.hex(model.params.tensorBytes()), entry.tensorSha256)
        XCTAssertEqual(SHA256.hex(try AtomicFile.read(path)), entry.fileSha256)
        XCTAssertEqual(model.provenance?.dataSHA256, entry.data.sha256)
        XCTAssertEqual(try ModelRegistry.resolveModelPath(folder + "@4"), registry.path(version: 4))
        XCTAssertEqual(try ModelRegistry.resolveModelPath(folder + "@v0004"), registry.path(version: 4))
        XCTAssertEqual(try ModelRegistry.resolveModelPath(path), path)
        XCTAssertThrowsError(try ModelRegistry.resolveModelPath(folder + "@1"))
        XCTAssertThrowsError(try ModelRegistry.resolveModelPath(scratch + "/drops")) { XCTAssert("\($0)".contains("not a model registry"), "\($0)") }

        // No new data: nothing happens.
        let idle = job.runQuietly()
        XCTAssertEqual(idle.outcome, .upToDate, idle.message)
        XCTAssertEqual(idle.exitCode, 4)
        XCTAssertEqual(try ModelRegistry(folder: folder).manifest, m)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/.work"))
        XCTAssert(idle.summary.contains("UP TO DATE"), idle.summary)
    }

    /// A challenger that must improve by 99% is never promoted; the champion stays current.
    func testWorseChallengerIsNotPromoted() throws {
        try addDrop(1)
        XCTAssertEqual(try makeJob().runQuietly().outcome, .promoted)
        try addDrop(2)
        let strict = try makeJob([("tolerance: 0.02", "tolerance: -0.99")])
        let report = strict.runQuietly()
        XCTAssertEqual(report.outcome, .keptChampion, report.message)
        XCTAssertEqual(report.exitCode, 3)
        XCTAssert(report.message.contains("not promoted"), report.message)
        let registry = try ModelRegistry(folder: folder)
        XCTAssertEqual(registry.manifest.current, 1)
        XCTAssertEqual(registry.currentLinkVersion(), 1)
        XCTAssertEqual(registry.manifest.versions.map(\.promoted), [true, false])
        XCTAssert(FileManager.default.fileExists(atPath: registry.path(version: 2)))
    }

    func testColdModeAndChangedSettingsTrainFromScratch() throws {
        try addDrop(1)
        XCTAssertEqual(try makeJob().runQuietly().outcome, .promoted)
        try addDrop(2)
        let resized = try makeJob([("hidden: 32", "hidden: 8")]).runQuietly()
        XCTAssertEqual(resized.training?.mode, .cold)
        XCTAssert(resized.training?.modeReason?.contains("settings differ") == true, "\(String(describing: resized.training))")
        try addDrop(3)
        let cold = try makeJob([("mode: warm", "mode: cold")]).runQuietly()
        XCTAssertEqual(cold.training?.mode, .cold)
        XCTAssertNil(cold.training?.modeReason)
    }

    func testDataErrorLeavesTheRegistryAlone() throws {
        try addDrop(1)
        let job = try makeJob()
        XCTAssertEqual(job.runQuietly().outcome, .promoted)
        let before = try ModelRegistry(folder: folder).manifest
        try "month,passengers\n1957-01-01,abc\n".write(toFile: scratch + "/drops/drop-02.csv", atomically: true, encoding: .utf8)
        let report = job.runQuietly()
        XCTAssertEqual(report.outcome, .dataError)
        XCTAssertEqual(report.exitCode, 5)
        XCTAssert(report.message.contains("drop-02.csv:2:2"), report.message)
        XCTAssertEqual(try ModelRegistry(folder: folder).manifest, before)
        XCTAssertEqual(try ModelRegistry.resolveModelPath(folder), folder + "/v0001.safetensors")

        try FileManager.default.removeItem(atPath: scratch + "/drops")
        let gone = job.runQuietly()
        XCTAssertEqual(gone.outcome, .dataError)
        XCTAssert(gone.message.contains("no such file or folder"), gone.message)
    }

    func testDivergedTrainingSavesNothing() throws {
        try addDrop(1)
        XCTAssertEqual(try makeJob().runQuietly().outcome, .promoted)
        let before = try ModelRegistry(folder: folder).manifest
        try addDrop(2)
        let job = try makeJob([("warm_learning_rate: 0.002", "warm_learning_rate: 1.0e30")])
        let report = job.runQuietly()
        XCTAssertEqual(report.outcome, .diverged, report.message)
        XCTAssertEqual(report.exitCode, 6)
        XCTAssertEqual(try ModelRegistry(folder: folder).manifest, before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/.work"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/v0002.safetensors"))
    }

    func testLockHeldAndStaleLockTakeover() throws {
        try addDrop(1)
        let job = try makeJob()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock = try RegistryLock.acquire(path: folder + "/retrain.lock", runID: "holder")
        let blocked = job.runQuietly()
        XCTAssertEqual(blocked.outcome, .lockHeld)
        XCTAssertEqual(blocked.exitCode, 7)
        XCTAssert(blocked.message.contains("pid \(getpid())") && blocked.message.contains("holder"), blocked.message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/manifest.json"))
        // The holder is writing its first manifest (a temporary file beside no manifest.json):
        // a second run still reports the held lock, not a foreign folder.
        try "{}".write(toFile: folder + "/.manifest.json.tmp-1-2", atomically: false, encoding: .utf8)
        let racing = job.runQuietly()
        XCTAssertEqual(racing.outcome, .lockHeld, racing.message)
        try FileManager.default.removeItem(atPath: folder + "/.manifest.json.tmp-1-2")
        lock.release()

        // A lock file left by a dead process (the kernel released its flock) is taken over.
        try "999999 20200101T000000Z-deadbeef 2020-01-01T00:00:00Z\n".write(toFile: folder + "/retrain.lock", atomically: false, encoding: .utf8)
        let report = job.runQuietly()
        XCTAssertEqual(report.outcome, .promoted, report.message)
        XCTAssert(report.notes.contains { $0.contains("took over the lock") && $0.contains("999999") }, "\(report.notes)")
        XCTAssertEqual(try String(contentsOfFile: folder + "/retrain.lock", encoding: .utf8), "")
    }

    /// Leftovers of interrupted runs are repaired before anything else: temporary files,
    /// uncommitted version files (only the one `.work/state.json` records) and a `current`
    /// pointer that lags the manifest.
    func testRecoveryRepairsLeftovers() throws {
        try addDrop(1)
        let job = try makeJob()
        XCTAssertEqual(job.runQuietly().outcome, .promoted)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/v0002.safetensors"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/manifest.json.tmp-123-abc"))
        try addDrop(2)
        // Without the work state of the run that made it, v0002 is not known to be a leftover:
        // it is left alone and the run refuses to overwrite it.
        let refused = job.runQuietly()
        XCTAssertEqual(refused.outcome, .failed, refused.message)
        XCTAssert(refused.message.contains("v0002.safetensors: exists") && refused.message.contains("refusing to overwrite"), refused.message)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/v0002.safetensors")), Data([1, 2, 3]))
        // A run killed after writing v0002 had recorded version 2 in .work/state.json.
        try FileManager.default.createDirectory(atPath: folder + "/.work", withIntermediateDirectories: true)
        try #"{"version": 2, "dataSha256": "x", "runHash": "x", "mode": "warm", "runId": "killed", "startedAt": "2025-01-01T00:00:00Z"}"#
            .write(toFile: folder + "/.work/state.json", atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/manifest.json.tmp-123-abc"))
        unlink(folder + "/current")
        let report = job.runQuietly()
        XCTAssert([.promoted, .keptChampion].contains(report.outcome), report.message)
        XCTAssert(report.notes.contains { $0.contains("v0002.safetensors, left uncommitted") }, "\(report.notes)")
        XCTAssert(report.notes.contains { $0.contains("pointed current at v0001") }, "\(report.notes)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/manifest.json.tmp-123-abc"))
        // The new v0002 is a real model now.
        XCTAssertNoThrow(try Forecaster.load(from: folder + "/v0002.safetensors"))
    }

    /// The fuzz seeds (Fuzz/Seeds/job) are real job files: each parses.
    func testFuzzSeedJobsParse() throws {
        let dir = packageRoot.appendingPathComponent("Fuzz/Seeds/job").path
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(names.count, 4)
        for name in names {
            XCTAssertNoThrow(try RetrainJob.load(dir + "/" + name), name)
        }
    }

    /// Job files past the limits are refused before the YAML parser sees them.
    func testJobFileLimits() throws {
        let deep = "data: " + String(repeating: "[", count: 50_000)
        XCTAssertThrowsError(try RetrainJob.parse(yaml: deep, jobPath: "/j.yaml")) { XCTAssert("\($0)".contains("/j.yaml:1: the job file nests too deep"), "\($0)") }
        let nested = (0..<60).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        XCTAssertThrowsError(try RetrainJob.parse(yaml: nested, jobPath: "/j.yaml")) { XCTAssert("\($0)".contains("nests too deep"), "\($0)") }
        let big = String(repeating: "# comment\n", count: 110_000)
        XCTAssertThrowsError(try RetrainJob.parse(yaml: big, jobPath: "/j.yaml")) { XCTAssert("\($0)".contains("more than the limit of 1048576"), "\($0)") }
        // The bound stays far from real files: the example with every key is well under it.
        XCTAssertNoThrow(try JobFileLimits.check(String(contentsOfFile: example + "/job.yaml", encoding: .utf8), file: "job.yaml"))
    }

    /// `predict --model REGISTRY/NAME` never follows `current` out of the folder.
    func testResolveRefusesACurrentLinkLeavingTheRegistry() throws {
        try addDrop(1)
        XCTAssertEqual(try makeJob().runQuietly().outcome, .promoted)
        try FileManager.default.createDirectory(atPath: scratch + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder + "/v0001.safetensors", toPath: scratch + "/elsewhere/v0001.safetensors")
        unlink(folder + "/current")
        try FileManager.default.createSymbolicLink(atPath: folder + "/current", withDestinationPath: scratch + "/elsewhere/v0001.safetensors")
        XCTAssertThrowsError(try ModelRegistry.resolveModelPath(folder)) { XCTAssert("\($0)".contains("refusing to follow it"), "\($0)") }
        unlink(folder + "/v0001.safetensors")
        try FileManager.default.createSymbolicLink(atPath: folder + "/v0001.safetensors", withDestinationPath: scratch + "/elsewhere/v0001.safetensors")
        XCTAssertThrowsError(try ModelRegistry.resolveModelPath(folder + "@1")) { XCTAssert("\($0)".contains("is a symbolic link"), "\($0)") }
    }

    func testManifestOfANewerFormatIsRefused() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try #"{"format": "forecast-registry", "formatVersion": 99, "name": "air-passengers", "nextVersion": 1, "versions": []}"#
            .write(toFile: folder + "/manifest.json", atomically: true, encoding: .utf8)
        try addDrop(1)
        let report = try makeJob().runQuietly()
        XCTAssertEqual(report.outcome, .failed)
        XCTAssertEqual(report.exitCode, 1)
        XCTAssert(report.message.contains("format version 99"), report.message)
    }
}

extension RetrainJob {
    /// A run without logs (failures are in the report).
    func runQuietly() -> RetrainReport { run(logger: RetrainLogging.logger(level: "critical")) }
}

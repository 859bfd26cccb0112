import Foundation
import XCTest
import Forecast
import ForecastRetraining
import _TestSupport

/// `forecast retrain` for the grid (ConvLSTM) and seq2seq families, end to end with the release
/// binary on Examples/nightly-radar and Examples/nightly-seq2seq (the helpers are
/// ``RetrainCLITests``'): the first night promotes, a later night warm-starts from the champion,
/// SIGKILL during training leaves a registry that loads and predicts, and the rerun resumes
/// its checkpoint and ends with the tensors (and manifest records) of an uninterrupted night.
extension RetrainCLITests {
    /// A working folder with the example `name`'s job (one worker) and its first `drops` drops.
    func familyWorkspace(_ example: String, drops: Int) throws -> String {
        let source = packageRoot.appendingPathComponent("Examples/\(example)").path
        let dir = scratch + "/" + example
        try FileManager.default.createDirectory(atPath: dir + "/drops", withIntermediateDirectories: true)
        let text = try String(contentsOfFile: source + "/job.yaml", encoding: .utf8)
        XCTAssert(text.contains("  seed: 42\n"))
        try text.replacingOccurrences(of: "  seed: 42\n", with: "  seed: 42\n  workers: 1\n").write(toFile: dir + "/job.yaml", atomically: true, encoding: .utf8)
        for n in 1...drops { try addFamilyDrop(example, n, to: dir) }
        return dir
    }

    func addFamilyDrop(_ example: String, _ n: Int, to dir: String) throws {
        let name = String(format: "drop-%02d.csv", n)
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Examples/\(example)/drops/\(name)").path,
                                         toPath: dir + "/drops/" + name)
    }

    /// Like `registryProblem`, for a model of any family: the manifest loads, `current` names a
    /// promoted live version whose file loads with its family's loader and whose file and
    /// tensor SHA-256 are the manifest's.
    func anyRegistryProblem(_ folder: String, family: ModelFamily) -> String? {
        let registry: ModelRegistry
        do { registry = try ModelRegistry(folder: folder) } catch { return "registry does not load: \(error)" }
        guard let current = registry.manifest.current else { return registry.currentLinkVersion() == nil ? nil : "current link without a current version" }
        guard registry.currentLinkVersion() == current else { return "current link differs from the manifest" }
        guard let entry = registry.manifest.versions.first(where: { $0.version == current }), entry.promoted, !entry.pruned else { return "current is not a live promoted version" }
        do {
            let path = try ModelRegistry.resolveModelPath(folder)
            let model = try AnyModel.load(from: path)
            guard model.family == family else { return "current is a \(model.family) model" }
            guard SHA256.hex(try AtomicFile.read(path)) == entry.fileSha256 else { return "current file's SHA-256 differs from the manifest" }
            guard SHA256.hex(tensorBytes(model)) == entry.tensorSha256 else { return "current tensors differ from the manifest" }
        } catch { return "current does not load: \(error)" }
        return nil
    }

    func tensorBytes(_ model: AnyModel) -> [UInt8] {
        switch model {
        case .recurrent(let m): return m.params.tensorBytes()
        case .seq2seq(let m): return m.params.tensorBytes()
        case .nowcast(let m): return m.params.tensorBytes()
        case .autoregressive(let m): return m.params.tensorBytes()
        case .ensemble(let m): return m.networks.flatMap { $0.params.tensorBytes() }
        case .eshybrid(let m): return m.params.tensorBytes()
        }
    }

    func historyCount(_ model: AnyModel) -> Int {
        switch model {
        case .recurrent(let m): return m.provenance?.history.count ?? 0
        case .seq2seq(let m): return m.provenance?.history.count ?? 0
        case .nowcast(let m): return m.provenance?.history.count ?? 0
        case .autoregressive(let m): return m.provenance?.history.count ?? 0
        case .ensemble(let m): return m.provenance?.history.count ?? 0
        case .eshybrid(let m): return m.provenance?.history.count ?? 0
        }
    }

    /// A night whose holdout is dry everywhere (persistence is exact, so MASE is 0/0): the run
    /// compares MAE instead, says so, and is not reported as diverged.
    func testDryHoldoutComparesMAE() throws {
        guard let bin = binary() else { return }
        let dir = try familyWorkspace("nightly-radar", drops: 1)
        XCTAssertEqual(try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--quiet"]).status, 0)
        // Nights 2 and 3 with every cell dry: the last 12 frames and the frames before them are 0.
        for n in 2...3 {
            let name = String(format: "drop-%02d.csv", n)
            let text = try String(contentsOfFile: packageRoot.appendingPathComponent("Examples/nightly-radar/drops/\(name)").path, encoding: .utf8)
            let dry = text.split(separator: "\n").enumerated().map { i, line -> String in
                guard i > 0 else { return String(line) }
                var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                cells[cells.count - 1] = "0.000"
                return cells.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
            try dry.write(toFile: dir + "/drops/" + name, atomically: true, encoding: .utf8)
        }
        let night = try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--json"])
        XCTAssertEqual(night.status, 0, night.stdout + night.stderr)
        let rep = try report(night)
        XCTAssertNotEqual(rep["outcome"] as? String, "diverged", night.stdout)
        XCTAssert(night.stdout.contains("compares MAE instead"), night.stdout)
        XCTAssertNil(anyRegistryProblem(dir + "/registry/radar", family: .nowcast))
    }

    /// Night 1 promotes (cold); night 2 warm-starts from v1, and the same night killed after
    /// `killEpoch` (SIGKILL) leaves v1 serving `forecast predict`, then resumes from its
    /// checkpoint and ends with the reference night's manifest records (tensor SHA-256
    /// included); night 3 warm-starts again.
    func checkNights(example: String, registryName: String, family: ModelFamily, killEpoch: Int) throws {
        guard let bin = binary() else { return }
        let base = try familyWorkspace(example, drops: 1)
        let folder = { (dir: String) in dir + "/registry/" + registryName }
        let first = try forecast(bin, ["retrain", "--job", base + "/job.yaml", "--json"], tag: "\(example)-night1")
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertEqual(try report(first)["outcome"] as? String, "promoted")
        XCTAssertNil(anyRegistryProblem(folder(base), family: family))
        let predictBefore = try forecast(bin, ["predict", "--model", folder(base), "--data", base + "/drops/drop-01.csv"], tag: "\(example)-predict1")
        XCTAssertEqual(predictBefore.status, 0, predictBefore.stderr)
        XCTAssertGreaterThan(predictBefore.stdout.split(separator: "\n").count, 1)
        try addFamilyDrop(example, 2, to: base)

        // The uninterrupted reference night.
        let ref = scratch + "/\(example)-reference"
        try copyTree(base, ref)
        let reference = try forecast(bin, ["retrain", "--job", ref + "/job.yaml", "--json"], tag: "\(example)-reference")
        XCTAssert([0, 3].contains(reference.status), reference.stdout + reference.stderr)
        let refVersion = try XCTUnwrap(ModelRegistry(folder: folder(ref)).manifest.versions.last)
        XCTAssertEqual(refVersion.version, 2)
        XCTAssertEqual(refVersion.mode, .warm, "night 2 fine-tunes the champion")
        XCTAssertEqual(refVersion.parent, 1)
        XCTAssertEqual(refVersion.metrics.championVersion, 1)
        // The challenger continues the champion's training history (warm start), by the warm epochs.
        let v1 = try AnyModel.load(from: ModelRegistry(folder: folder(ref)).path(version: 1))
        let v2 = try AnyModel.load(from: ModelRegistry(folder: folder(ref)).path(version: 2))
        XCTAssertEqual(historyCount(v2), historyCount(v1) + refVersion.training.epochs)
        XCTAssertEqual(tensorBytes(v2).count, tensorBytes(v1).count)
        XCTAssertEqual(refVersion.promoted, refVersion.metrics.challenger <= (refVersion.metrics.champion ?? .nan) * 1.02, refVersion.reason)
        XCTAssertEqual(family == .nowcast, refVersion.metrics.challengerGridReport != nil)
        let expected = try outcomeState(folder(ref))

        // The same night, killed during training.
        let crash = scratch + "/\(example)-crash"
        try copyTree(base, crash)
        let killed = try forecast(bin, ["retrain", "--job", crash + "/job.yaml", "--quiet"],
                                  env: ["FORECAST_RETRAIN_KILL_AT": "after-epoch-\(killEpoch)"], tag: "\(example)-killed")
        XCTAssertTrue(killed.signaled && killed.status == SIGKILL, "the kill point was not reached: \(killed.stdout) \(killed.stderr)")
        XCTAssertNil(anyRegistryProblem(folder(crash), family: family))
        let predictAfterKill = try forecast(bin, ["predict", "--model", folder(crash), "--data", crash + "/drops/drop-01.csv"], tag: "\(example)-predict-killed")
        XCTAssertEqual(predictAfterKill.status, 0, predictAfterKill.stderr)
        XCTAssertEqual(predictAfterKill.stdout, predictBefore.stdout, "after the kill the champion still serves")
        let rerun = try forecast(bin, ["retrain", "--job", crash + "/job.yaml", "--json", "--verbose"], tag: "\(example)-rerun")
        XCTAssertEqual(rerun.status, reference.status, rerun.stdout + rerun.stderr)
        let training = try XCTUnwrap(try report(rerun)["training"] as? [String: Any])
        XCTAssertEqual(training["resumedFromEpoch"] as? Int, killEpoch, "the rerun resumes the checkpoint")
        // It trains only the epochs after the checkpoint.
        let trained = rerun.stderr.split(separator: "\n").filter { $0.contains("] epoch epoch=") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("epoch=") }.flatMap { Int($0.dropFirst(6)) }
        }
        XCTAssertEqual(trained.first, killEpoch + 1, "the rerun starts after the checkpoint's epoch: \(trained)")
        XCTAssertEqual(try outcomeState(folder(crash)), expected, "the rerun differs from an uninterrupted night")
        XCTAssertNil(anyRegistryProblem(folder(crash), family: family))
        XCTAssertEqual(SHA256.hex(tensorBytes(try AnyModel.load(from: ModelRegistry(folder: folder(crash)).path(version: 2)))),
                       refVersion.tensorSha256, "version 2's tensors: resumed vs uninterrupted")

        // Night 3: warm again, from the current champion.
        try addFamilyDrop(example, 3, to: ref)
        let third = try forecast(bin, ["retrain", "--job", ref + "/job.yaml", "--json"], tag: "\(example)-night3")
        XCTAssert([0, 3].contains(third.status), third.stdout + third.stderr)
        let m = try ModelRegistry(folder: folder(ref)).manifest
        let v3 = try XCTUnwrap(m.versions.last)
        XCTAssertEqual(v3.mode, .warm)
        XCTAssertEqual(v3.parent, m.versions.filter { $0.version < 3 && $0.promoted }.map(\.version).max())
        XCTAssertGreaterThan(v3.data.rowsAdded, 0)
        XCTAssertNil(anyRegistryProblem(folder(ref), family: family))
    }

    func testRadarNightsPromoteWarmStartAndResumeExactly() throws {
        try checkNights(example: "nightly-radar", registryName: "radar", family: .nowcast, killEpoch: 2)
    }

    func testSeq2SeqNightsPromoteWarmStartAndResumeExactly() throws {
        try checkNights(example: "nightly-seq2seq", registryName: "demand", family: .seq2seq, killEpoch: 2)
    }
}

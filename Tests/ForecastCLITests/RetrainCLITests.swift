import Foundation
import XCTest
import Forecast
import ForecastRetraining
import _TestSupport

/// End-to-end tests of `forecast retrain` with the release binary: successive drops of
/// Examples/nightly, SIGKILL at random moments and at every step of a run, concurrent runs.
///
/// The binary is `$FORECAST_BIN` when set, else `.build/release/forecast` (scripts/test.sh
/// builds it).
final class RetrainCLITests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "retrain-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: Helpers

    var example: String { packageRoot.appendingPathComponent("Examples/nightly").path }

    /// The binary, or nil after failing the test with a message saying how to build it.
    func binary(file: StaticString = #filePath, line: UInt = #line) -> String? {
        let path = ProcessInfo.processInfo.environment["FORECAST_BIN"] ?? packageRoot.appendingPathComponent(".build/release/forecast").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("no forecast binary at \(path): run scripts/test.sh (it builds .build/release/forecast) or set FORECAST_BIN", file: file, line: line)
            return nil
        }
        return path
    }

    struct Result {
        var status: Int32
        var signaled: Bool
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Starts `forecast args...`; output goes to files in the scratch folder.
    func start(_ bin: String, _ args: [String], env: [String: String] = [:], tag: String) throws -> (Process, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = scratch + "/\(tag).out", err = scratch + "/\(tag).err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try p.run()
        return (p, scratch + "/\(tag)")
    }

    func collect(_ p: Process, _ base: String, started: Date) -> Result {
        p.waitUntilExit()
        let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal, stdout: out, stderr: err,
                      seconds: Date().timeIntervalSince(started))
    }

    func forecast(_ bin: String, _ args: [String], env: [String: String] = [:], tag: String = "run") throws -> Result {
        let t = Date()
        let (p, base) = try start(bin, args, env: env, tag: tag)
        return collect(p, base, started: t)
    }

    /// A working folder with the example job (one worker; `replacements` applied) and the
    /// first `drops` drops.
    func makeWorkspace(_ name: String, drops: Int, replacements: [(String, String)] = []) throws -> String {
        let dir = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: dir + "/drops", withIntermediateDirectories: true)
        var text = try String(contentsOfFile: example + "/job.yaml", encoding: .utf8)
        for (a, b) in replacements {
            XCTAssert(text.contains(a), "job.yaml has no '\(a)'")
            text = text.replacingOccurrences(of: a, with: b)
        }
        text = text.replacingOccurrences(of: "  seed: 42\n", with: "  seed: 42\n  workers: 1\n")
        try text.write(toFile: dir + "/job.yaml", atomically: true, encoding: .utf8)
        for n in 1...max(1, drops) where drops > 0 { try addDrop(n, to: dir) }
        return dir
    }

    func addDrop(_ n: Int, to dir: String) throws {
        let name = String(format: "drop-%02d.csv", n)
        try FileManager.default.copyItem(atPath: example + "/drops/" + name, toPath: dir + "/drops/" + name)
    }

    func copyTree(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    func report(_ r: Result) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        return try XCTUnwrap(obj as? [String: Any], r.stdout)
    }

    func registryFolder(_ dir: String) -> String { dir + "/registry/air-passengers" }

    /// The registry must load at any instant: a valid manifest, and (once something was
    /// promoted) `current` naming a complete model whose checksum holds and whose bytes are the
    /// ones the manifest recorded. Returns a problem, or nil.
    func registryProblem(_ folder: String) -> String? {
        guard FileManager.default.fileExists(atPath: folder + "/manifest.json") else {
            return FileManager.default.fileExists(atPath: folder + "/current") ? "current without a manifest" : nil
        }
        let registry: ModelRegistry
        do { registry = try ModelRegistry(folder: folder) } catch { return "registry does not load: \(error)" }
        let m = registry.manifest
        guard m.current != nil else { return registry.currentLinkVersion() == nil ? nil : "current link without a current version" }
        guard let link = registry.currentLinkVersion() else { return "no current link" }
        guard let entry = m.versions.first(where: { $0.version == link }), !entry.pruned else { return "current names v\(link), not a live version" }
        guard entry.promoted else { return "current names v\(link), which was not promoted" }
        do {
            let path = try ModelRegistry.resolveModelPath(folder)
            let model = try Forecaster.load(from: path)
            guard SHA256.hex(try AtomicFile.read(path)) == entry.fileSha256 else { return "current file's SHA-256 differs from the manifest" }
            guard SHA256.hex(model.params.tensorBytes()) == entry.tensorSha256 else { return "current tensors differ from the manifest" }
        } catch { return "current does not load: \(error)" }
        return nil
    }

    /// What must be identical after an interrupted run and its rerun, and an uninterrupted run.
    func outcomeState(_ folder: String) throws -> [String] {
        let registry = try ModelRegistry(folder: folder)
        let m = registry.manifest
        var lines = ["current=\(m.current.map(String.init) ?? "none") link=\(registry.currentLinkVersion().map(String.init) ?? "none") next=\(m.nextVersion)"]
        for v in m.versions {
            lines.append("v\(v.version) promoted=\(v.promoted) pruned=\(v.pruned) mode=\(v.mode) parent=\(v.parent.map(String.init) ?? "-") tensors=\(v.tensorSha256) data=\(v.data.sha256) rows=\(v.data.rows) challenger=\(v.metrics.challenger) champion=\(v.metrics.champion.map { "\($0)" } ?? "-") reason=\(v.reason)")
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        lines.append("files=\(files.joined(separator: ","))")
        lines.append("work=\(FileManager.default.fileExists(atPath: folder + "/.work"))")
        return lines
    }

    // MARK: Tests

    /// Five nights, one new drop each: manifest, decisions, `current` and pruning; then a night
    /// without new data.
    func testSuccessiveDropsPromoteByTheRule() throws {
        guard let bin = binary() else { return }
        let dir = try makeWorkspace("nightly", drops: 0)
        var decisions: [Bool] = []
        for n in 1...5 {
            try addDrop(n, to: dir)
            let r = try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--json"], tag: "night\(n)")
            let rep = try report(r)
            let outcome = try XCTUnwrap(rep["outcome"] as? String, r.stdout)
            XCTAssert(["promoted", "kept_champion"].contains(outcome), "night \(n): \(r.stdout)\n\(r.stderr)")
            XCTAssertEqual(r.status, outcome == "promoted" ? 0 : 3, r.stderr)
            XCTAssert(r.stderr.contains("run_id=\(rep["runId"] as? String ?? "?")"), "logs carry the run id: \(r.stderr)")
            decisions.append(outcome == "promoted")
            XCTAssertNil(registryProblem(registryFolder(dir)))
        }
        XCTAssertTrue(decisions[0], "the first version is always promoted")

        let registry = try ModelRegistry(folder: registryFolder(dir))
        let m = registry.manifest
        XCTAssertEqual(m.versions.map(\.version), [1, 2, 3, 4, 5])
        XCTAssertEqual(m.versions.map(\.promoted), decisions)
        XCTAssertEqual(m.versions.map(\.data.rows), [96, 108, 120, 132, 144])
        XCTAssertEqual(m.versions.map(\.data.rowsAdded), [96, 12, 12, 12, 12])
        XCTAssertEqual(m.versions[2].data.rowsRead, 122, "drop-03 re-sends two rows")
        XCTAssertEqual(m.versions.map(\.mode), [.cold, .warm, .warm, .warm, .warm])
        for v in m.versions.dropFirst() {
            let champion = try XCTUnwrap(v.metrics.champion)
            XCTAssertEqual(v.promoted, v.metrics.challenger <= champion * 1.02, v.reason)
            XCTAssertEqual(v.parent, v.metrics.championVersion)
            XCTAssertNotNil(v.metrics.championReport)
            XCTAssertGreaterThan(v.training.epochs, 0)
            XCTAssertGreaterThan(v.timings.totalSeconds, 0)
        }
        let current = try XCTUnwrap(m.current)
        XCTAssertEqual(current, decisions.lastIndex(of: true).map { $0 + 1 })
        XCTAssertEqual(registry.currentLinkVersion(), current)
        XCTAssertEqual(try ModelRegistry.resolveModelPath(registryFolder(dir)), registry.path(version: current))
        // keep: 3 newest files, plus the champion.
        let live = Set([3, 4, 5, current])
        for v in m.versions { XCTAssertEqual(v.pruned, !live.contains(v.version), "v\(v.version)") }

        // The registry folder serves predict and inspect directly (its current version).
        let viaRegistry = try forecast(bin, ["predict", "--model", registryFolder(dir), "--data", dir + "/drops/drop-01.csv"], tag: "predict")
        XCTAssertEqual(viaRegistry.status, 0, viaRegistry.stderr)
        let direct = try forecast(bin, ["predict", "--model", registry.path(version: current), "--data", dir + "/drops/drop-01.csv"], tag: "predict-direct")
        XCTAssertEqual(viaRegistry.stdout, direct.stdout)
        XCTAssertGreaterThan(viaRegistry.stdout.split(separator: "\n").count, 1)
        XCTAssertEqual(try forecast(bin, ["inspect", registryFolder(dir)], tag: "inspect").status, 0)

        // Night six: no new drop.
        let idle = try forecast(bin, ["retrain", "--job", dir + "/job.yaml"], tag: "idle")
        XCTAssertEqual(idle.status, 4, idle.stdout + idle.stderr)
        XCTAssert(idle.stdout.contains("UP TO DATE"), idle.stdout)
        XCTAssertEqual(try ModelRegistry(folder: registryFolder(dir)).manifest, m)
    }

    /// SIGKILL at random moments (at least 20 runs) and at every named step of a run: the
    /// registry always loads, `current` always names a complete model whose checksum holds, and
    /// a rerun ends exactly as an uninterrupted run.
    func testKilledRunsLeaveTheRegistryConsistentAndResume() throws {
        guard let bin = binary() else { return }
        // Fine-tuning without early stopping in the first 15 epochs: most random kills land in
        // training, between checkpoints.
        let base = try makeWorkspace("base", drops: 1, replacements: [("patience: 10 ", "patience: 15 ")])
        let first = try forecast(bin, ["retrain", "--job", base + "/job.yaml", "--quiet"], tag: "base")
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        try addDrop(2, to: base)

        // The uninterrupted reference.
        let ref = scratch + "/reference"
        try copyTree(base, ref)
        let reference = try forecast(bin, ["retrain", "--job", ref + "/job.yaml", "--quiet"], tag: "reference")
        XCTAssert([0, 3].contains(reference.status), reference.stdout + reference.stderr)
        let expected = try outcomeState(registryFolder(ref))
        let duration = reference.seconds
        print("retrain crash test: uninterrupted run \(String(format: "%.2f", duration)) s, exit \(reference.status)")

        // At least 20 runs killed at random moments (a run that ends before its kill is not
        // counted), then a kill at every named step of a run.
        var plan: [(String, [String: String], Double?)] = []
        var rng = SystemRandomNumberGenerator()
        for point in ["after-lock", "after-recover", "after-state", "after-epoch-1", "after-epoch-7", "after-train", "after-version-file",
                      "after-commit", "after-switch", "after-prune", "after-report"] {
            plan.append((point, ["FORECAST_RETRAIN_KILL_AT": point], nil))
        }
        var randomKills = 0, runs = 0, resumed = 0, attempt = 0
        while randomKills < 20 || !plan.isEmpty {
            let (name, env, delay): (String, [String: String], Double?)
            if randomKills < 20 && attempt < 40 {
                attempt += 1
                (name, env, delay) = ("random-\(attempt)", [:], Double.random(in: 0...(duration * 0.8), using: &rng))
            } else if !plan.isEmpty {
                (name, env, delay) = plan.removeFirst()
            } else { break }
            runs += 1
            let dir = scratch + "/crash-" + name
            try copyTree(base, dir)
            let t = Date()
            let (p, out) = try start(bin, ["retrain", "--job", dir + "/job.yaml", "--quiet"], env: env, tag: "crash-" + name)
            if let delay {
                Thread.sleep(forTimeInterval: delay)
                kill(p.processIdentifier, SIGKILL)
            }
            let r = collect(p, out, started: t)
            if delay != nil && r.signaled { randomKills += 1 }
            if delay == nil { XCTAssertTrue(r.signaled && r.status == SIGKILL, "\(name): the kill point was not reached: \(r.stdout) \(r.stderr)") }
            if !r.signaled { XCTAssertEqual(r.status, reference.status, "\(name): a run that was not killed ends differently: \(r.stdout)") }
            if let problem = registryProblem(registryFolder(dir)) { XCTFail("\(name): after the kill: \(problem)"); continue }
            let again = try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--json"], tag: "rerun-" + name)
            // The rerun finishes the interrupted work (same exit code as the reference), or has
            // nothing left to do when the killed run had already finished it.
            XCTAssert(again.status == reference.status || again.status == 4, "\(name): rerun exit \(again.status): \(again.stdout) \(again.stderr)")
            if !r.signaled { XCTAssertEqual(again.status, 4, name) }
            if let rep = try? report(again), let training = rep["training"] as? [String: Any], training["resumedFromEpoch"] != nil { resumed += 1 }
            XCTAssertNil(registryProblem(registryFolder(dir)), name)
            XCTAssertEqual(try outcomeState(registryFolder(dir)), expected, "\(name): the rerun differs from an uninterrupted run")
            try? FileManager.default.removeItem(atPath: dir)
        }
        print("retrain crash test: \(runs) runs, \(randomKills) killed at random moments, 11 at named steps, \(resumed) reruns resumed from a checkpoint")
        XCTAssertGreaterThanOrEqual(randomKills, 20)
        XCTAssertGreaterThan(resumed, 0, "no rerun resumed a checkpoint")
    }

    /// Two runs on one registry at once: one proceeds, the other exits with the lock-held code.
    func testConcurrentRunsOneWaitsOut() throws {
        guard let bin = binary() else { return }
        let dir = try makeWorkspace("concurrent", drops: 1, replacements: [("  epochs: 60", "  epochs: 200"), ("patience: 10 ", "patience: 0 ")])
        let lockFile = registryFolder(dir) + "/retrain.lock"
        let t = Date()
        let (a, aOut) = try start(bin, ["retrain", "--job", dir + "/job.yaml", "--quiet"], tag: "a")
        // Wait until A holds the lock (its pid is in the lock file).
        var holder = ""
        while Date().timeIntervalSince(t) < 30 {
            holder = (try? String(contentsOfFile: lockFile, encoding: .utf8)) ?? ""
            if holder.hasPrefix("\(a.processIdentifier) ") || !a.isRunning { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssert(holder.hasPrefix("\(a.processIdentifier) "), "A never took the lock: '\(holder)'")
        let b = try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--json"], tag: "b")
        XCTAssertTrue(a.isRunning, "A finished before B ran; make A's training longer")
        let ra = collect(a, aOut, started: t)
        XCTAssertEqual(b.status, 7, b.stdout + b.stderr)
        let rep = try report(b)
        XCTAssertEqual(rep["outcome"] as? String, "lock_held")
        XCTAssert((rep["message"] as? String ?? "").contains("pid \(a.processIdentifier)"), b.stdout)
        XCTAssertEqual(ra.status, 0, ra.stdout + ra.stderr)
        XCTAssertNil(registryProblem(registryFolder(dir)))
        XCTAssertEqual(try ModelRegistry(folder: registryFolder(dir)).manifest.versions.count, 1)
    }

    /// Exit codes of failed runs: invalid job 2, data error 5, diverged 6; the registry is untouched.
    func testFailureExitCodes() throws {
        guard let bin = binary() else { return }
        let dir = try makeWorkspace("failures", drops: 1)
        XCTAssertEqual(try forecast(bin, ["retrain", "--job", dir + "/job.yaml", "--quiet"]).status, 0)
        let before = try ModelRegistry(folder: registryFolder(dir)).manifest

        try "month,passengers\n1957-01-01,oops\n".write(toFile: dir + "/drops/drop-02.csv", atomically: true, encoding: .utf8)
        let bad = try forecast(bin, ["retrain", "--job", dir + "/job.yaml"])
        XCTAssertEqual(bad.status, 5, bad.stdout + bad.stderr)
        XCTAssert(bad.stdout.contains("DATA ERROR") && bad.stdout.contains("drop-02.csv:2:2"), bad.stdout)
        try FileManager.default.removeItem(atPath: dir + "/drops/drop-02.csv")

        try addDrop(2, to: dir)
        let text = try String(contentsOfFile: dir + "/job.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "warm_learning_rate: 0.002", with: "warm_learning_rate: 1.0e30")
            .write(toFile: dir + "/wild.yaml", atomically: true, encoding: .utf8)
        let wild = try forecast(bin, ["retrain", "--job", dir + "/wild.yaml"])
        XCTAssertEqual(wild.status, 6, wild.stdout + wild.stderr)
        XCTAssert(wild.stdout.contains("DIVERGED"), wild.stdout)
        XCTAssertEqual(try ModelRegistry(folder: registryFolder(dir)).manifest, before)

        try text.replacingOccurrences(of: "hidden: 32", with: "hidden: lots").write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let broken = try forecast(bin, ["retrain", "--job", dir + "/broken.yaml"])
        XCTAssertEqual(broken.status, 2, broken.stdout + broken.stderr)
        XCTAssertEqual(broken.stderr.split(separator: "\n").count, 1, broken.stderr)
        XCTAssert(broken.stderr.contains("broken.yaml:") && broken.stderr.contains("model.hidden"), broken.stderr)
        XCTAssertEqual(try ModelRegistry(folder: registryFolder(dir)).manifest, before)
    }
}

import Foundation
import XCTest
import Forecast
import ForecastRetraining
import _TestSupport

/// Red-team cases of `forecast retrain` (issue 18): hostile registries (planted symlinks,
/// FIFOs, an ordinary folder with look-alike files, hand-edited manifests), FIFO inputs,
/// deeply nested or huge job files and junk drops, run through the binary one after another.
///
/// Every case checks the exit code (the retrain convention: 0 promoted, 1 registry or I/O
/// failure, 2 invalid job, 4 up to date, 5 data error), exactly one `error:` line on stderr for
/// a failed run (none otherwise) naming the file, no raw Foundation error dump, and that
/// nothing outside the registry changed: the canary folder (outside every case folder; every
/// planted link points into it) and every file of the case folder outside the registry are
/// byte-identical before and after, and the champion's version file keeps its bytes.
///
/// A run that hangs (the FIFO cases before the fix) is killed by a watchdog after 10 minutes
/// and fails the case; no assertion depends on time.
final class RetrainHostileTests: XCTestCase {
    var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "retrain-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    var example: String { packageRoot.appendingPathComponent("Examples/nightly").path }
    var canary: String { scratch + "/canary" }

    // MARK: One case

    enum Base { case fresh, trained }

    /// Paths of one case.
    struct Ctx {
        var dir: String
        /// REGISTRY (the job's registry.path) and REGISTRY/NAME.
        var registryRoot: String { dir + "/registry" }
        var registry: String { dir + "/registry/air-passengers" }
        var job: String { dir + "/job.yaml" }
        var canary: String
        var manifest: String { registry + "/manifest.json" }
    }

    struct Case {
        var name: String
        var base: Base
        var exit: Int32
        /// Another exit code that is as good (promoted or kept champion after training).
        var orExit: Int32? = nil
        /// Expected in the `error:` line (failed runs) or ignored (exit 0, 3, 4).
        var message: String
        /// The job path given to the binary (default: the case's job.yaml).
        var jobPath: ((Ctx) -> String)? = nil
        /// The whole case folder, registry included, must stay identical (refused before
        /// anything was created or locked).
        var untouched = false
        var plant: (Ctx) throws -> Void
        var after: ((Ctx) throws -> Void)? = nil
    }

    // MARK: Helpers

    func binary() -> String? {
        let path = ProcessInfo.processInfo.environment["FORECAST_BIN"] ?? packageRoot.appendingPathComponent(".build/release/forecast").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("no forecast binary at \(path): run scripts/test.sh (it builds .build/release/forecast) or set FORECAST_BIN")
            return nil
        }
        return path
    }

    struct Run { var status: Int32; var stdout: String; var stderr: String; var hung: Bool }

    /// Runs `forecast args...` with output in files; a watchdog kills a run still going after
    /// 10 minutes (a hang), which the caller reports.
    func forecast(_ bin: String, _ args: [String], env: [String: String] = [:], tag: String) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = scratch + "/out/\(tag).out", err = scratch + "/out/\(tag).err"
        try FileManager.default.createDirectory(atPath: scratch + "/out", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        p.standardInput = FileHandle.nullDevice
        final class Flag: @unchecked Sendable { var hung = false }
        let flag = Flag()
        try p.run()
        let pid = p.processIdentifier
        let watchdog = DispatchWorkItem { flag.hung = true; kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 600, execute: watchdog)
        p.waitUntilExit()
        watchdog.cancel()
        return Run(status: p.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "", hung: flag.hung)
    }

    /// Every entry under `root` (not following links, skipping `skip`): kind and content hash
    /// or link target, by relative path.
    func snapshot(_ root: String, skip: String? = nil) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ path: String, _ rel: String) {
            if let skip, path == skip { return }
            var st = stat()
            guard lstat(path, &st) == 0 else { return }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                out[rel + "/"] = "dir"
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() { walk(path + "/" + name, rel + "/" + name) }
            case S_IFLNK:
                out[rel] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            case S_IFREG:
                out[rel] = "file " + ((try? AtomicFile.read(path)).map { SHA256.hex($0) } ?? "unreadable")
            default:
                out[rel] = "special \(st.st_mode & S_IFMT)"
            }
        }
        walk(root, "")
        return out
    }

    func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

    func makeFIFO(_ path: String) throws {
        guard mkfifo(path, 0o644) == 0 else { throw NSError(domain: "mkfifo", code: Int(errno)) }
    }

    func symlink(_ target: String, _ at: String) throws {
        try? FileManager.default.removeItem(atPath: at)
        try FileManager.default.createSymbolicLink(atPath: at, withDestinationPath: target)
    }

    /// Edits the manifest as JSON text: `edit` gets and returns the decoded object.
    func editManifest(_ ctx: Ctx, _ edit: (inout [String: Any]) -> Void) throws {
        var obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ctx.manifest))) as? [String: Any])
        edit(&obj)
        try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]).write(to: URL(fileURLWithPath: ctx.manifest))
    }

    func editFirstVersion(_ ctx: Ctx, _ edit: @escaping (inout [String: Any]) -> Void) throws {
        try editManifest(ctx) { m in
            var versions = m["versions"] as? [[String: Any]] ?? []
            if !versions.isEmpty { edit(&versions[0]) }
            m["versions"] = versions
        }
    }

    func replaceInJob(_ ctx: Ctx, _ a: String, _ b: String) throws {
        let text = try String(contentsOfFile: ctx.job, encoding: .utf8)
        XCTAssert(text.contains(a), "job.yaml has no '\(a)'")
        try write(text.replacingOccurrences(of: a, with: b), ctx.job)
    }

    func addDrop2(_ ctx: Ctx) throws {
        try FileManager.default.copyItem(atPath: example + "/drops/drop-02.csv", toPath: ctx.dir + "/drops/drop-02.csv")
    }

    /// Random bytes (seeded) with or without NUL bytes and newlines.
    func junk(_ count: Int, seed: UInt64, nul: Bool) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let b = UInt8(truncatingIfNeeded: rng.next())
            if !nul && b == 0 { return 0xFF }
            return b == 0x0A ? 0xFE : b
        }
    }

    // MARK: The cases

    var cases: [Case] {
        let lookAlikes = { (c: Ctx) in c.canary + "/dir" }
        return [
            // Planted symlinks and special files in a trained registry.
            Case(name: "lock-symlink", base: .trained, exit: 1, message: "retrain.lock: cannot open the lock file: is a symbolic link") { c in
                try self.symlink(c.canary + "/canary.txt", c.registry + "/retrain.lock")
            },
            Case(name: "lock-fifo", base: .trained, exit: 1, message: "retrain.lock: cannot open the lock file: is a FIFO") { c in
                try? FileManager.default.removeItem(atPath: c.registry + "/retrain.lock")
                try self.makeFIFO(c.registry + "/retrain.lock")
            },
            Case(name: "work-symlink", base: .trained, exit: 1, message: ".work: is a symbolic link") { c in
                try self.symlink(lookAlikes(c), c.registry + "/.work")
            },
            Case(name: "work-is-a-file", base: .trained, exit: 1, message: ".work: is a file") { c in
                try self.write("not a folder\n", c.registry + "/.work")
            },
            Case(name: "current-symlink-outside", base: .trained, exit: 4, message: "", plant: { c in
                try self.symlink(lookAlikes(c) + "/v0001.safetensors", c.registry + "/current")
            }, after: { c in
                XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: c.registry + "/current"), "v0001.safetensors")
                XCTAssertEqual(try ModelRegistry.resolveModelPath(c.registry), c.registry + "/v0001.safetensors")
            }),
            Case(name: "current-is-a-folder", base: .trained, exit: 1, message: "current: cannot switch the current pointer") { c in
                try FileManager.default.removeItem(atPath: c.registry + "/current")
                try FileManager.default.createDirectory(atPath: c.registry + "/current", withIntermediateDirectories: false)
            },
            Case(name: "manifest-symlink", base: .trained, exit: 1, message: "manifest.json: is a symbolic link") { c in
                try self.symlink(c.canary + "/manifest.json", c.manifest)
            },
            Case(name: "version-file-symlink", base: .trained, exit: 1, message: "v0001.safetensors: the current model's file is not a regular file") { c in
                try FileManager.default.removeItem(atPath: c.registry + "/v0001.safetensors")
                try self.symlink(lookAlikes(c) + "/v0001.safetensors", c.registry + "/v0001.safetensors")
            },
            Case(name: "registry-name-symlink", base: .fresh, exit: 1, message: "air-passengers: not usable as a model registry folder: is a symbolic link", untouched: true) { c in
                try FileManager.default.createDirectory(atPath: c.dir + "/registry", withIntermediateDirectories: true)
                try self.symlink(lookAlikes(c), c.registry)
            },
            Case(name: "ordinary-folder", base: .fresh, exit: 1, message: "is not a model registry", untouched: true) { c in
                try FileManager.default.createDirectory(atPath: c.registry + "/.work", withIntermediateDirectories: true)
                for name in ["v0001.safetensors", "v0002.safetensors", "notes.txt.tmp-1", "report.csv", ".work/x.tmp-2", ".work/state.json"] {
                    try self.write("keep me: \(name)\n", c.registry + "/" + name)
                }
            },
            Case(name: "registry-path-is-a-file", base: .fresh, exit: 1, message: "air-passengers: not usable as a model registry folder: cannot create the folder", untouched: true) { c in
                try self.write("a file, not a folder\n", c.registryRoot)
            },
            // Hand-edited manifests (with a new drop, so that a run would save a version).
            Case(name: "manifest-nextVersion-1", base: .trained, exit: 1, message: "manifest.json: nextVersion is 1, not above the newest version 1") { c in
                try self.addDrop2(c)
                try self.editManifest(c) { $0["nextVersion"] = 1 }
            },
            Case(name: "manifest-nextVersion-Int64.max", base: .trained, exit: 1, message: "manifest.json: nextVersion is 9223372036854775807") { c in
                try self.addDrop2(c)
                try self.editManifest(c) { $0["nextVersion"] = Int64.max }
            },
            Case(name: "manifest-current-not-a-version", base: .trained, exit: 1, message: "manifest.json: current is 7, a version the manifest does not list") { c in
                try self.addDrop2(c)
                try self.editManifest(c) { $0["current"] = 7 }
            },
            Case(name: "manifest-version-0", base: .trained, exit: 1, message: "manifest.json: versions[0].version is 0") { c in
                try self.addDrop2(c)
                try self.editFirstVersion(c) { $0["version"] = 0 }
            },
            Case(name: "manifest-version-repeated", base: .trained, exit: 1, message: "manifest.json: versions[1].version repeats version 1") { c in
                try self.addDrop2(c)
                try self.editManifest(c) { m in
                    let v = m["versions"] as? [[String: Any]] ?? []
                    m["versions"] = v + v
                }
            },
            Case(name: "manifest-rows-Int64.min", base: .trained, exit: 1, message: "manifest.json: versions[0].data.rows is -9223372036854775808") { c in
                try self.addDrop2(c)
                try self.editFirstVersion(c) { v in
                    var d = v["data"] as? [String: Any] ?? [:]
                    d["rows"] = Int64.min
                    v["data"] = d
                }
            },
            Case(name: "manifest-file-elsewhere", base: .trained, exit: 1, message: "manifest.json: versions[0].file is '../../canary/canary.txt'") { c in
                try self.addDrop2(c)
                try self.editFirstVersion(c) { $0["file"] = "../../canary/canary.txt" }
            },
            Case(name: "stray-next-version-file", base: .trained, exit: 1, message: "v0002.safetensors: exists although manifest.json does not name version 2; refusing to overwrite it") { c in
                try self.addDrop2(c)
                try self.write("a file someone put here\n", c.registry + "/v0002.safetensors")
            },
            Case(name: "checkpoint-symlink-on-resume", base: .trained, exit: 0, orExit: 3, message: "", plant: { c in
                // A run killed after recording its state; then its checkpoint is a planted link.
                try self.addDrop2(c)
                guard let bin = self.binary() else { return }
                let killed = try self.forecast(bin, ["retrain", "--job", c.job, "--quiet"], env: ["FORECAST_RETRAIN_KILL_AT": "after-state"], tag: "checkpoint-kill")
                XCTAssertEqual(killed.status, SIGKILL, "the kill point was not reached: \(killed.stdout) \(killed.stderr)")
                try self.symlink(lookAlikes(c) + "/checkpoint.safetensors", c.registry + "/.work/checkpoint.safetensors")
            }, after: { c in
                XCTAssertFalse(FileManager.default.fileExists(atPath: c.registry + "/.work"), "the work folder is cleared after the run")
                XCTAssertNoThrow(try Forecaster.load(from: c.registry + "/v0002.safetensors"))
                let report = try String(contentsOfFile: c.registry + "/last_run.json", encoding: .utf8)
                XCTAssert(report.contains("resuming run") && !report.contains("from its checkpoint"), "the planted checkpoint was not resumed from: \(report)")
            }),
            // FIFO inputs: refused, never waited on.
            Case(name: "fifo-data-path", base: .fresh, exit: 5, message: "data.fifo: is a FIFO (named pipe), expected a CSV file") { c in
                try self.makeFIFO(c.dir + "/data.fifo")
                try self.replaceInJob(c, "path: drops ", "path: data.fifo ")
            },
            Case(name: "fifo-drop", base: .fresh, exit: 5, message: "drop-02.csv: is a FIFO (named pipe), expected a regular file") { c in
                try self.makeFIFO(c.dir + "/drops/drop-02.csv")
            },
            Case(name: "drop-is-a-folder", base: .fresh, exit: 5, message: "drop-02.csv: is a directory, expected a regular file") { c in
                try FileManager.default.createDirectory(atPath: c.dir + "/drops/drop-02.csv", withIntermediateDirectories: false)
            },
            Case(name: "fifo-job-file", base: .fresh, exit: 2, message: "job.fifo: is a FIFO (named pipe), expected a regular file",
                 jobPath: { $0.dir + "/job.fifo" }) { c in
                try self.makeFIFO(c.dir + "/job.fifo")
            },
            Case(name: "job-file-is-a-folder", base: .fresh, exit: 2, message: "job.d: is a directory, expected a regular file",
                 jobPath: { $0.dir + "/job.d" }) { c in
                try FileManager.default.createDirectory(atPath: c.dir + "/job.d", withIntermediateDirectories: false)
            },
            // Job files past the limits.
            Case(name: "yaml-flow-50000-deep", base: .fresh, exit: 2, message: "job.yaml:1: the job file nests too deep") { c in
                try self.write("data: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n", c.job)
            },
            Case(name: "yaml-block-50000-deep", base: .fresh, exit: 2, message: "job.yaml:2: the job file nests too deep") { c in
                try self.write("data:\n" + String(repeating: "- ", count: 50_000) + "x\n", c.job)
            },
            Case(name: "yaml-indented-60-deep", base: .fresh, exit: 2, message: "the job file nests too deep") { c in
                try self.write((0..<60).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n", c.job)
            },
            Case(name: "yaml-2-MiB", base: .fresh, exit: 2, message: "job.yaml: is 2097152 bytes, more than the limit of 1048576") { c in
                try self.write(String(repeating: "#" + String(repeating: "x", count: 1023), count: 2048), c.job)
            },
            // Junk drops: data errors, not skips.
            Case(name: "junk-drop-binary", base: .fresh, exit: 5, message: "drop-02.csv: not a CSV file (binary data") { c in
                try Data(self.junk(4096, seed: 18, nul: true)).write(to: URL(fileURLWithPath: c.dir + "/drops/drop-02.csv"))
            },
            Case(name: "junk-drop-not-utf8-one-line", base: .fresh, exit: 5, message: "drop-02.csv: not a CSV file (not UTF-8 text) and no data rows") { c in
                try Data(self.junk(4096, seed: 19, nul: false).map { $0 | 0x80 }).write(to: URL(fileURLWithPath: c.dir + "/drops/drop-02.csv"))
            },
            Case(name: "empty-drop", base: .fresh, exit: 5, message: "drop-02.csv: is empty") { c in
                try self.write("", c.dir + "/drops/drop-02.csv")
            },
            Case(name: "one-line-drop-not-a-header", base: .fresh, exit: 5, message: "drop-02.csv: has no data rows and its only line is not a header") { c in
                try self.write("lorem ipsum dolor sit amet\n", c.dir + "/drops/drop-02.csv")
            },
        ]
    }

    // MARK: The test

    func testHostileInputsAreRefusedAndNothingOutsideChanges() throws {
        guard let bin = binary() else { return }
        // The canary folder: outside every case folder; every planted link points into it.
        try FileManager.default.createDirectory(atPath: canary + "/dir", withIntermediateDirectories: true)
        try write("canary: must never change\n", canary + "/canary.txt")
        for name in ["v0001.safetensors", "x.tmp-1", "state.json", "checkpoint.safetensors", "retrain.lock"] {
            try write("look-alike \(name)\n", canary + "/dir/" + name)
        }

        // The fresh base: the example job (short training) and its first drop.
        let fresh = scratch + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh + "/drops", withIntermediateDirectories: true)
        var text = try String(contentsOfFile: example + "/job.yaml", encoding: .utf8)
        for (a, b) in [("  epochs: 60", "  epochs: 4"), ("warm_epochs: 30", "warm_epochs: 2"), ("  seed: 42\n", "  seed: 42\n  workers: 1\n")] {
            XCTAssert(text.contains(a), a)
            text = text.replacingOccurrences(of: a, with: b)
        }
        try write(text, fresh + "/job.yaml")
        try FileManager.default.copyItem(atPath: example + "/drops/drop-01.csv", toPath: fresh + "/drops/drop-01.csv")
        // The trained base: one promoted version.
        let trained = scratch + "/trained"
        try FileManager.default.copyItem(atPath: fresh, toPath: trained)
        let first = try forecast(bin, ["retrain", "--job", trained + "/job.yaml", "--quiet"], tag: "trained")
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        try FileManager.default.copyItem(atPath: trained + "/registry/air-passengers/manifest.json", toPath: canary + "/manifest.json")
        let canaryBefore = snapshot(canary)

        var passed = 0
        let all = cases
        for (i, c) in all.enumerated() {
            let ctx = Ctx(dir: scratch + "/case-\(i)-\(c.name)", canary: canary)
            try FileManager.default.copyItem(atPath: c.base == .trained ? trained : fresh, toPath: ctx.dir)
            let champion = c.base == .trained ? try? AtomicFile.read(ctx.registry + "/v0001.safetensors") : nil
            try c.plant(ctx)
            let outsideBefore = snapshot(ctx.dir, skip: c.untouched ? nil : ctx.registryRoot)
            let failuresBefore = testRun?.failureCount ?? 0

            let r = try forecast(bin, ["retrain", "--job", c.jobPath?(ctx) ?? ctx.job, "--quiet"], tag: c.name)
            let said = "\(c.name): exit \(r.status)\nstdout: \(r.stdout)\nstderr: \(r.stderr)"
            XCTAssertFalse(r.hung, "\(c.name): the run hung and was killed by the watchdog")
            XCTAssert(r.status == c.exit || r.status == c.orExit, said)
            let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            if [0, 3, 4].contains(r.status) && [0, 3, 4].contains(c.exit) {
                XCTAssertEqual(errorLines.count, 0, said)
            } else {
                XCTAssertEqual(errorLines.count, 1, said)
                XCTAssert(errorLines.first?.contains(c.message) ?? false, "\(c.name): expected '\(c.message)' in the error line\n\(said)")
            }
            XCTAssertFalse(r.stderr.contains("Error Domain") || r.stdout.contains("Error Domain"), "raw Foundation error: \(said)")
            XCTAssertEqual(snapshot(canary), canaryBefore, "\(c.name): the canary folder outside the registry changed")
            XCTAssertEqual(snapshot(ctx.dir, skip: c.untouched ? nil : ctx.registryRoot), outsideBefore,
                           "\(c.name): files outside the registry changed")
            if let champion, let now = try? AtomicFile.read(ctx.registry + "/v0001.safetensors"), c.name != "version-file-symlink" {
                XCTAssertEqual(now, champion, "\(c.name): the champion's file changed")
            }
            try c.after?(ctx)
            if (testRun?.failureCount ?? 0) == failuresBefore { passed += 1 }
            // FIFOs left in a case folder must not block its removal or a later walk.
            try? FileManager.default.removeItem(atPath: ctx.dir)
        }
        print("retrain hostile test: \(passed) of \(all.count) cases passed; canary folder byte-identical: \(snapshot(canary) == canaryBefore)")
        XCTAssertEqual(passed, all.count)
    }
}

/// A small seeded generator for reproducible junk.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

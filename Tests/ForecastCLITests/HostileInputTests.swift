import Foundation
import XCTest
import Forecast
import _TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The red-team cases of issue 18 as one table: the real binary on crafted model files, FIFOs,
/// sockets, folders and devices as inputs, `--out` naming an input (directly or through a hard
/// or symbolic link) or a device, absurd and non-finite options, and data whose metrics would
/// look perfect. Every case must end with exit code 1 (data or model) or 2 (usage), exactly one
/// `error:` line on stderr (with the expected words), and no file changed, created or removed in
/// the test folder or in Fixtures/, with /dev/null still a device.
final class HostileInputTests: XCTestCase {
    struct Case {
        let name: String
        let args: [String]
        let exit: Int32
        /// Words the error line must contain (the file, the field or the option).
        let says: [String]
    }

    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("hostile") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testHostileInputsGetOneClearErrorAndChangeNoFile() throws {
        try makeCorpus()
        let cases = Self.cases
        XCTAssertGreaterThanOrEqual(cases.count, 50)
        let fixturesBefore = try snapshot(fixturePath(""))
        for c in cases {
            let before = try snapshot(dir)
            let r = try ForecastBinary.run(c.args, in: dir)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            XCTAssert(r.status == c.exit, "\(c.name): exit \(r.status), expected \(c.exit); stderr: \(r.stderr)")
            XCTAssertEqual(errors.count, 1, "\(c.name): expected one error line; stderr: \(r.stderr)")
            for word in c.says {
                XCTAssert(errors.first?.contains(word) == true, "\(c.name): the error does not say '\(word)': \(r.stderr)")
            }
            XCTAssertEqual(try snapshot(dir), before, "\(c.name): files in the test folder changed")
        }
        XCTAssertEqual(try snapshot(fixturePath("")), fixturesBefore, "files in Fixtures/ changed")
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a character device")
    }

    // MARK: The table

    static let cases: [Case] = {
        var c: [Case] = []
        func add(_ name: String, _ args: [String], _ exit: Int32, _ says: [String] = []) { c.append(Case(name: name, args: args, exit: exit, says: says)) }
        // Model files edited with the checksums recomputed (a hostile user), and as damaged files.
        add("edited config, checksum not recomputed", ["inspect", "stale-sum.st"], 1, ["stale-sum.st", "sha256_file"])
        add("hiddenSize 10^9", ["inspect", "hidden-1e9.st"], 1, ["hidden-1e9.st", "hiddenSize"])
        add("numLayers -1", ["inspect", "layers-neg.st"], 1, ["numLayers"])
        add("numLayers 0", ["predict", "--model", "layers-0.st", "--data", "d.csv"], 1, ["numLayers"])
        add("outputs -2^31", ["inspect", "outputs-neg.st"], 1, ["architecture.outputs"])
        add("outputs 10^6 (within limits, no such head)", ["inspect", "outputs-big.st"], 1, ["architecture.outputs"])
        add("inputSize 3 with tensors for 1", ["predict", "--model", "input-3.st", "--data", "d.csv"], 1, ["inputNames"])
        add("inputNames longer than inputSize", ["predict", "--model", "names-long.st", "--data", "d.csv"], 1, ["inputNames"])
        add("horizon larger than the head", ["predict", "--model", "horizon-24.st", "--data", "d.csv"], 1, ["architecture.outputs"])
        add("season -1", ["evaluate", "--model", "season-neg.st", "--data", "d.csv"], 1, ["seasonLength"])
        add("season 10^12", ["evaluate", "--model", "season-big.st", "--data", "d.csv"], 1, ["seasonLength"])
        add("lookback 10^9", ["predict", "--model", "lookback-big.st", "--data", "d.csv"], 1, ["window.lookback"])
        add("bidirectional flipped", ["inspect", "bidir.st"], 1, ["tensors"])
        add("scaler scale 0", ["predict", "--model", "scale-0.st", "--data", "d.csv"], 1, ["scaler"])
        add("scaler with no entries", ["predict", "--model", "scaler-empty.st", "--data", "d.csv"], 1, ["scaler"])
        add("quantile loss with no quantiles", ["inspect", "quantiles-0.st"], 1, ["loss.quantile"])
        add("split fractions NaN", ["evaluate", "--model", "split-nan.st", "--data", "d.csv"], 1, ["split"])
        add("legacy file with hiddenSize 10^9", ["inspect", "legacy-hidden.st"], 1, ["hiddenSize"])
        add("seq2seq numLayers 10^18", ["inspect", "s2s-layers.st"], 1, ["model.encoder.numLayers"])
        add("seq2seq decoderHidden 0", ["predict", "--model", "s2s-dec0.st", "--data", "d.csv"], 1, ["decoderHidden"])
        add("seq2seq horizon 10^6", ["predict", "--model", "s2s-horizon.st", "--data", "d.csv"], 1, ["horizon"])
        add("grid hidden 10^9", ["inspect", "grid-hidden.st"], 1, ["hidden"])
        add("grid height -1", ["predict", "--model", "grid-height.st", "--data", "d.csv"], 1, ["height"])
        add("grid kernel 10^6", ["inspect", "grid-kernel.st"], 1, ["kernel"])
        add("tensor shape 2^40 x 2^40", ["inspect", "shape-huge.st"], 1, ["shape"])
        add("tensor shape with a negative dimension", ["inspect", "shape-neg.st"], 1, ["shape"])
        add("header length past the end", ["inspect", "header-long.st"], 1, ["header length"])
        add("truncated model", ["inspect", "truncated.st"], 1, ["truncated.st"])
        add("empty model file", ["inspect", "empty.st"], 1, ["empty.st"])
        add("a CSV as the model", ["inspect", "d.csv"], 1, ["d.csv"])
        add("NaN weights: every forecast NaN", ["evaluate", "--model", "nan-weights.st", "--data", "d.csv"], 1, ["no (actual, forecast) pair", "NaN or infinite forecast"])
        // Inputs that are not regular files.
        add("FIFO as --data", ["predict", "--model", "m.st", "--data", "fifo"], 1, ["fifo", "FIFO"])
        add("FIFO as the model", ["inspect", "fifo"], 1, ["FIFO"])
        add("FIFO as train --data", ["train", "--data", "fifo", "--target", "value", "--out", "new.st"], 1, ["FIFO"])
        add("socket as --data", ["predict", "--model", "m.st", "--data", "sock"], 1, ["socket"])
        add("folder as --data", ["evaluate", "--model", "m.st", "--data", "folder"], 1, ["directory"])
        add("/dev/zero as --data", ["train", "--data", "/dev/zero", "--target", "value", "--out", "new.st"], 1, ["character device"])
        add("/dev/zero as the model", ["predict", "--model", "/dev/zero", "--data", "d.csv"], 1, ["character device"])
        add("CSV header over 1 MiB", ["train", "--data", "long-header.csv", "--target", "value", "--out", "new.st"], 1, ["longer than"])
        add("all test actuals missing", ["evaluate", "--model", "m.st", "--data", "miss.csv"], 1, ["missing actual"])
        // Outputs that would destroy an input or a device.
        add("train --out = --data", ["train", "--data", "d.csv", "--target", "value", "--out", "d.csv"], 2, ["--out", "input"])
        add("predict --out = --data", ["predict", "--model", "m.st", "--data", "d.csv", "--out", "d.csv"], 2, ["--out"])
        add("predict --out = --model", ["predict", "--model", "m.st", "--data", "d.csv", "--out", "m.st"], 2, ["--out"])
        add("--out a symbolic link to the data", ["train", "--data", "d.csv", "--target", "value", "--out", "link.csv"], 2, ["link"])
        add("--out a hard link to the data", ["train", "--data", "d.csv", "--target", "value", "--out", "hard.csv"], 2, ["--out"])
        add("--out a symbolic link to the model", ["predict", "--model", "m.st", "--data", "d.csv", "--out", "mlink.st"], 2, ["--out"])
        add("--attention-out = --data", ["predict", "--model", "s2s.st", "--data", "d.csv", "--attention-out", "d.csv"], 2, ["--attention-out"])
        add("plot --out = --model", ["plot", "--model", "m.st", "--data", "d.csv", "--out", "m.st"], 2, ["--out"])
        add("--out /dev/null", ["predict", "--model", "m.st", "--data", "d.csv", "--out", "/dev/null"], 2, ["character device"])
        add("train --out /dev/null", ["train", "--data", "d.csv", "--target", "value", "--out", "/dev/null"], 2, ["character device"])
        add("--out a folder", ["train", "--data", "d.csv", "--target", "value", "--out", "folder"], 2, ["directory"])
        add("--out ''", ["train", "--data", "d.csv", "--target", "value", "--out", ""], 2, ["--out is empty"])
        add("--checkpoint-dir at a file", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--checkpoint-dir", "d.csv"], 2, ["--checkpoint-dir"])
        // Options.
        add("--hidden 100000", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--hidden", "100000"], 2, ["--hidden"])
        add("--batch 10^9", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--batch", "1000000000"], 2, ["--batch"])
        add("--layers 1000", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--layers", "1000"], 2, ["--layers"])
        add("--lookback 10^9", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--lookback", "1000000000"], 2, ["--lookback"])
        add("--epochs 10^12", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--epochs", "1000000000000"], 2, ["--epochs"])
        add("memory: --hidden 16384 --batch 65536", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--hidden", "16384", "--batch", "65536"], 2, ["memory"])
        add("--grid --hidden 100000", ["train", "--grid", "--data", "d.csv", "--out", "new.st", "--hidden", "100000"], 2, ["--hidden"])
        add("--val-fraction nan", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--val-fraction", "nan"], 2, ["--val-fraction"])
        add("--test-fraction inf", ["backtest", "--data", "d.csv", "--target", "value", "--test-fraction", "inf"], 2, ["--test-fraction"])
        add("--lr nan", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--lr", "nan"], 2, ["--lr"])
        add("--dropout nan", ["train", "--data", "d.csv", "--target", "value", "--out", "new.st", "--dropout", "nan"], 2, ["--dropout"])
        add("--teacher-forcing linear:0.5:1e30", ["train", "--model", "seq2seq", "--data", "d.csv", "--target", "value", "--out", "new.st", "--teacher-forcing", "linear:0.5:1e30"], 2, ["--teacher-forcing"])
        add("--recursive --steps 10^9", ["predict", "--model", "m.st", "--data", "d.csv", "--recursive", "--steps", "1000000000"], 2, ["--steps"])
        add("--folds 10^9", ["backtest", "--data", "d.csv", "--target", "value", "--folds", "1000000000"], 2, ["--folds"])
        return c
    }()

    // MARK: The corpus

    func makeCorpus() throws {
        let fm = FileManager.default
        func path(_ name: String) -> String { dir + "/" + name }
        try fm.copyItem(atPath: fixturePath("air_passengers.csv"), toPath: path("d.csv"))
        try fm.copyItem(atPath: fixturePath("models/legacy-seq2seq.safetensors"), toPath: path("s2s.st"))
        // A current-format model (full checksum) to edit.
        let train = try ForecastBinary.run(["train", "--model", "lstm", "--data", "d.csv", "--target", "value", "--out", "m.st", "--epochs", "1", "--hidden", "4", "--quiet"], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        let m = path("m.st"), s2s = fixturePath("models/legacy-seq2seq.safetensors"), grid = fixturePath("models/legacy-nowcast.safetensors")
        try ModelEdit.write(m, to: path("stale-sum.st"), recompute: false) { $0.set(["architecture", "recurrent", "hiddenSize"], 9) }
        try ModelEdit.write(m, to: path("hidden-1e9.st")) { $0.set(["architecture", "recurrent", "hiddenSize"], 1_000_000_000) }
        try ModelEdit.write(m, to: path("layers-neg.st")) { $0.set(["architecture", "recurrent", "numLayers"], -1) }
        try ModelEdit.write(m, to: path("layers-0.st")) { $0.set(["architecture", "recurrent", "numLayers"], 0) }
        try ModelEdit.write(m, to: path("outputs-neg.st")) { $0.set(["architecture", "outputs"], -2_147_483_648) }
        try ModelEdit.write(m, to: path("outputs-big.st")) { $0.set(["architecture", "outputs"], 1_000_000) }
        try ModelEdit.write(m, to: path("input-3.st")) { $0.set(["architecture", "recurrent", "inputSize"], 3) }
        try ModelEdit.write(m, to: path("names-long.st")) { $0.set(["inputNames"], ["value", "value", "value", "value"]) }
        try ModelEdit.write(m, to: path("horizon-24.st")) { $0.set(["window", "horizon"], 24) }
        try ModelEdit.write(m, to: path("season-neg.st")) { $0.set(["seasonLength"], -1) }
        try ModelEdit.write(m, to: path("season-big.st")) { $0.set(["seasonLength"], 1_000_000_000_000) }
        try ModelEdit.write(m, to: path("lookback-big.st")) { $0.set(["window", "lookback"], 1_000_000_000) }
        try ModelEdit.write(m, to: path("bidir.st")) { $0.set(["architecture", "recurrent", "bidirectional"], true) }
        try ModelEdit.write(m, to: path("scale-0.st")) { $0.set(["scaler", "scalers"], [["kind": "standard", "offset": 0, "scale": 0]]) }
        try ModelEdit.write(m, to: path("scaler-empty.st")) { $0.set(["scaler", "scalers"], [Any]()) }
        try ModelEdit.write(m, to: path("quantiles-0.st")) { $0.set(["loss"], ["quantile": ["_0": [Any]()]]) }
        try ModelEdit.write(m, to: path("split-nan.st")) { $0.set(["split", "test"], "nan") }
        try ModelEdit.write(fixturePath("models/legacy-recurrent.safetensors"), to: path("legacy-hidden.st"), recompute: false) {
            $0.set(["architecture", "recurrent", "hiddenSize"], 1_000_000_000)
        }
        try ModelEdit.write(s2s, to: path("s2s-layers.st")) { $0.set(["model", "encoder", "numLayers"], 1_000_000_000_000_000_000) }
        try ModelEdit.write(s2s, to: path("s2s-dec0.st")) { $0.set(["model", "decoderHidden"], 0) }
        try ModelEdit.write(s2s, to: path("s2s-horizon.st")) { $0.set(["model", "horizon"], 1_000_000); $0.set(["window", "horizon"], 1_000_000) }
        try ModelEdit.write(grid, to: path("grid-hidden.st")) { $0.set(["architecture", "hidden"], [1_000_000_000, 4]) }
        try ModelEdit.write(grid, to: path("grid-height.st")) { $0.set(["architecture", "height"], -1) }
        try ModelEdit.write(grid, to: path("grid-kernel.st")) { $0.set(["architecture", "kernel"], 1_000_001) }
        try ModelEdit.write(m, to: path("nan-weights.st"), tensors: { tensors in
            for i in tensors.indices where tensors[i].name == "head.bias" {
                tensors[i].tensor.scalars = [Float](repeating: .nan, count: tensors[i].tensor.count)
            }
        })
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: m)))
        try ModelEdit.rawHeader(good, to: path("shape-huge.st")) { ModelEdit.firstShape($0, prefix: "1099511627776,1099511627776,") }
        try ModelEdit.rawHeader(good, to: path("shape-neg.st")) { ModelEdit.firstShape($0, prefix: "-4,") }
        var long = good
        long.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0])
        try Data(long).write(to: URL(fileURLWithPath: path("header-long.st")))
        try Data(good.prefix(good.count - 100)).write(to: URL(fileURLWithPath: path("truncated.st")))
        try Data().write(to: URL(fileURLWithPath: path("empty.st")))
        // Inputs that are not regular files, links, long lines, missing actuals.
        XCTAssertEqual(mkfifo(path("fifo"), 0o644), 0)
        try makeSocket(path("sock"))
        try fm.createDirectory(atPath: path("folder"), withIntermediateDirectories: false)
        try fm.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: "d.csv")
        try fm.createSymbolicLink(atPath: path("mlink.st"), withDestinationPath: "m.st")
        try fm.linkItem(atPath: path("d.csv"), toPath: path("hard.csv"))
        try Data(("time," + String(repeating: "x", count: 1_100_000) + "\n1,2\n").utf8).write(to: URL(fileURLWithPath: path("long-header.csv")))
        var lines = try String(contentsOfFile: path("d.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        for i in (lines.count - 20)..<lines.count { var cells = lines[i].split(separator: ",", omittingEmptySubsequences: false); cells[2] = ""; lines[i] = cells.joined(separator: ",") }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path("miss.csv"), atomically: false, encoding: .utf8)
    }

    func makeSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        XCTAssertLessThan(bytes.count, MemoryLayout.size(ofValue: addr.sun_path))
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        XCTAssertEqual(rc, 0)
        close(fd)
    }

    /// Relative path -> kind and content digest of every entry under `root` (FIFOs and
    /// sockets are never opened).
    func snapshot(_ root: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: root) else { return out }
        while let rel = e.nextObject() as? String {
            let full = root + "/" + rel
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFREG: out[rel] = "file \(st.st_ino) " + SHA256.hex(try [UInt8](Data(contentsOf: URL(fileURLWithPath: full))))
            case S_IFLNK: out[rel] = "link " + ((try? fm.destinationOfSymbolicLink(atPath: full)) ?? "?")
            default: out[rel] = "kind \(st.st_mode & S_IFMT)"
            }
        }
        return out
    }
}

/// Edits a model file's `config` (or another) section or tensors, then writes it with the checksums
/// recomputed (what a hostile user would do) or left stale.
enum ModelEdit {
    struct Config {
        var object: [String: Any]
        mutating func set(_ keys: [String], _ value: Any) { object = Self.setting(object, keys[...], value) }
        static func setting(_ o: [String: Any], _ keys: ArraySlice<String>, _ value: Any) -> [String: Any] {
            var o = o
            guard let k = keys.first else { return o }
            if keys.count == 1 { o[k] = value } else { o[k] = setting(o[k] as? [String: Any] ?? [:], keys.dropFirst(), value) }
            return o
        }
    }

    /// `section`: the metadata section `config` edits (default `config`).
    static func write(_ source: String, to destination: String, recompute: Bool = true, section: String = "config",
                      tensors: ((inout [(name: String, tensor: Tensor)]) -> Void)? = nil,
                      config edit: ((inout Config) -> Void)? = nil) throws {
        var file = try SafeTensorsFile.read(path: source)
        if let edit {
            let json = try JSONSerialization.jsonObject(with: Data((file.metadata[section] ?? "{}").utf8))
            var c = Config(object: json as? [String: Any] ?? [:])
            edit(&c)
            file.metadata[section] = String(decoding: try JSONSerialization.data(withJSONObject: c.object, options: [.sortedKeys]), as: UTF8.self)
        }
        tensors?(&file.tensors)
        if recompute {
            file.metadata[ArchiveChecksum.tensorKey] = ArchiveChecksum.tensors(file.tensors)
            file.metadata[ArchiveChecksum.fileKey] = nil
            file.metadata[ArchiveChecksum.fileKey] = ArchiveChecksum.file(metadata: file.metadata, tensors: file.tensors)
        }
        try Data(file.encode()).write(to: URL(fileURLWithPath: destination))
    }

    /// `header` with `prefix` inserted before the first dimension of its first shape.
    static func firstShape(_ header: String, prefix: String) -> String {
        guard let r = header.range(of: "\"shape\":[") else { return header }
        return header.replacingCharacters(in: r, with: "\"shape\":[" + prefix)
    }

    /// Rewrites the JSON header text of `bytes` (the length prefix follows).
    static func rawHeader(_ bytes: [UInt8], to destination: String, _ edit: (String) -> String) throws {
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let header = edit(String(decoding: bytes[8..<(8 + n)], as: UTF8.self))
        let h = Array(header.utf8)
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) }
        out += h
        out += bytes[(8 + n)...]
        try Data(out).write(to: URL(fileURLWithPath: destination))
    }
}

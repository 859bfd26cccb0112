import Foundation
import Forecast

/// One libFuzzer input: a model file. It is loaded with its checksums recomputed (as a hostile
/// user who edits the metadata would) by the loader the CLI would pick for it (grid, seq2seq,
/// checkpoint or series model), and, when the recomputation changed the bytes, also as it is
/// (the checksum paths). A model that loads is then run: a direct and a recursive forecast and
/// an evaluation on a small synthetic series (series models), a forecast on zeros (grid
/// models). Any thrown error is a fine outcome; a trap, a sanitizer report, a hang (libFuzzer
/// -timeout) or a large allocation (-rss_limit_mb) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var file = try? SafeTensorsFile.decode(bytes) else {
        load(bytes, config: nil, kind: nil)       // the format errors, through a loader
        return 0
    }
    file.metadata[ArchiveChecksum.tensorKey] = ArchiveChecksum.tensors(file.tensors)
    file.metadata[ArchiveChecksum.fileKey] = nil
    file.metadata[ArchiveChecksum.fileKey] = ArchiveChecksum.file(metadata: file.metadata, tensors: file.tensors)
    let fixed = file.encode()
    load(fixed, config: file.metadata["config"], kind: file.metadata["kind"])
    if fixed != bytes { load(bytes, config: file.metadata["config"], kind: file.metadata["kind"]) }
    return 0
}

/// A per-process file in memory-backed /dev/shm (or /tmp) that the loaders read.
let scratch: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/fuzz-model-\(getpid()).safetensors"
}()

/// Writes `bytes` to the scratch file and loads it as the CLI would: by `kind` and `config`.
func load(_ bytes: [UInt8], config: String?, kind: String?) {
    guard (try? AtomicFile.write(bytes, to: scratch)) != nil else { return }
    let c = config ?? ""
    if kind == "checkpoint" {
        // A checkpoint of any family: each family's resume validates the trainer section first.
        _ = try? Trainer<WindowedRegressor>.resume(from: scratch, epochs: 1, workers: 1)
        _ = try? Trainer<WindowedSeq2Seq>.resume(from: scratch, epochs: 1, workers: 1)
        _ = try? Trainer<EncoderForecaster>.resume(from: scratch, epochs: 1, workers: 1)
    } else if c.contains("\"task\":\"nowcast\"") {
        guard let n = try? Nowcaster.load(from: scratch) else { return }
        let a = n.spec.architecture
        if let count = ConfigLimits.product(a.inFrames, a.channels, a.height, a.width, limit: 4_096) {
            _ = n.forecast([Float](repeating: 0.5, count: count), windows: 1)
        }
    } else if c.contains("seq2seq") {
        if let s = try? Seq2SeqForecaster.load(from: scratch) { exercise(s) }
    } else {
        if let f = try? Forecaster.load(from: scratch) { exercise(f) }
    }
}

/// A small CSV holding the window's input columns (no time column), long enough for one
/// test window; nil when the model's window is too large to exercise cheaply.
func syntheticSeries(columns: [String], lookback: Int, horizon: Int) -> TimeSeriesSet? {
    guard !columns.isEmpty, columns.count <= 16, lookback <= 256, horizon <= 64 else { return nil }
    let rows = 2 * (lookback + horizon) + 8
    var text = columns.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ",") + "\n"
    for r in 0..<rows {
        text += columns.indices.map { c in String(Float(r % 7) + Float(c)) }.joined(separator: ",") + "\n"
    }
    guard let table = try? CSVReader.read(text: text) else { return nil }
    return try? TimeSeriesSet(table: table)
}

func exercise(_ f: Forecaster) {
    let w = f.spec.window
    guard let set = syntheticSeries(columns: w.inputColumns, lookback: w.lookback, horizon: w.horizon) else { return }
    _ = try? f.predict(set)
    _ = try? f.predictRecursive(set, steps: 3)
    _ = try? f.evaluate(set)
}

func exercise(_ s: Seq2SeqForecaster) {
    let w = s.spec.window
    guard let set = syntheticSeries(columns: w.inputColumns, lookback: w.lookback, horizon: w.horizon) else { return }
    _ = try? s.predict(set)
    _ = try? s.evaluate(set)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ cb: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`; hand over to libFuzzer.
@_cdecl("FuzzModel_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
}

import Foundation
import Forecast

/// What `forecast train|predict|evaluate|plot --grid` do: gridded (radar) data in long format
/// `time,y,x,value`, an encoder–forecaster ConvLSTM (docs/nowcasting.md). The commands parse
/// their flags and call these functions with plain values; errors are thrown (data problems:
/// `DataError`, model files: `ModelArchive.ArchiveError`) and printed by `main` as one line.
enum GridCLI {
    /// Reads the grid of `data` with the value column `value` (nil: its only value column).
    static func readGrid(_ data: String, value: String?) throws -> GridData {
        try GridData.read(path: data, values: value.map { [ColumnRef.name($0)] })
    }

    /// The nowcasting options that the shared model flags and the grid flags describe. Options
    /// left nil take the nowcasting defaults (``NowcastOptions``), which differ from the series
    /// defaults (e.g. 2 layers of 32 channels, 40 epochs, batch 8, lr 2e-3, patience 8, test
    /// fraction 0.2).
    static func options(settings: ModelOptions, grid: GridOptions) -> NowcastOptions {
        var o = NowcastOptions()
        o.value = grid.value
        o.inFrames = grid.inFrames
        o.outFrames = grid.outFrames
        let layers = settings.layers ?? 2
        if let h = settings.hidden { o.hidden = Array(repeating: h, count: layers) }
        else if let l = settings.layers { o.hidden = Array(repeating: 32, count: l) }
        o.kernel = grid.kernel
        o.patch = grid.patch
        if let e = settings.epochs { o.training.epochs = e }
        if let b = settings.batch { o.training.batchSize = b }
        if let lr = settings.lr { o.training.learningRate = lr }
        if let p = settings.patience { o.training.patience = p > 0 ? p : nil }
        o.training.workers = settings.workers ?? ProcessInfo.processInfo.activeProcessorCount
        o.training.seed = settings.seed
        if let v = settings.valFraction { o.split.validation = v }
        if let t = settings.testFraction { o.split.test = t }
        o.output = grid.output
        o.transform = grid.transform
        return o
    }

    /// `forecast train --grid`: trains a nowcaster on `data` and writes it to `out`. Prints
    /// progress (bar, lines or JSON lines) and a model-vs-persistence summary of the test split.
    static func train(data: String, options o: NowcastOptions,
                      out: String, checkpoint: String? = nil, resume: Bool = false, json: Bool = false, quiet: Bool = false) throws {
        let grid = try readGrid(data, value: o.value)
        let progress = ProgressReporter(json: json, quiet: quiet)
        let model = try Nowcaster.fit(grid, options: o, dataFile: data, checkpointPath: checkpoint, resume: resume) { progress.handle($0) }
        try model.save(to: out)
        let report = model.provenance?.testReport
        if json {
            var obj: [String: Any] = ["event": "done", "model": out]
            if let report { obj["test"] = report.jsonObject() }
            Output.json(obj)
        } else if !quiet {
            if let report { print(table(report)) }
            Output.note("saved \(out)")
        }
    }

    /// `forecast predict --grid` (or a nowcasting model file): the `outFrames` frames after
    /// the end of `data`, as long-format CSV `time,y,x,value` to `out` (atomically) or stdout.
    static func predict(model m: Nowcaster, data: String, out: String?) throws {
        let grid = try readGrid(data, value: nil)
        let frames = try m.predict(grid, source: data)
        let csv = m.csv(frames)
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(frames.labels.count) frames of \(frames.height)x\(frames.width) to \(out)")
        } else {
            print(csv, terminator: "")
        }
    }

    /// `forecast evaluate --grid`: model and persistence scores per lead time and averaged on
    /// the test split of `data` (every window with `allWindows`). `json` prints one object
    /// with keys `model` and `persistence` (each: `mse`, `mae`, `correlation`, `csi@0.5`,
    /// `csi@2`, `csi@5`, `pod@…`, `far@…`, `per_lead`).
    static func evaluate(model m: Nowcaster, data: String, json: Bool, allWindows: Bool = false) throws {
        let grid = try readGrid(data, value: nil)
        let report = try m.evaluate(grid, on: allWindows ? .all : .test, source: data)
        if json { Output.json(report.jsonObject()) } else { print(table(report)) }
    }

    /// `forecast plot --grid`: an SVG frame strip (observed, model, persistence at every lead
    /// time) for the window starting at frame `window` (default: the rainiest test window).
    static func plot(model m: Nowcaster, data: String, out: String, window: Int? = nil) throws {
        let grid = try readGrid(data, value: nil)
        let svg = try m.frameStrip(grid, start: window, source: data)
        try AtomicFile.write(svg, to: out)
        Output.note("wrote \(out)")
    }

    /// `forecast bench --workload convlstm` (and part of a full `forecast bench`): times the
    /// convlstm train step and prints one line, or one JSON object with the keys of
    /// torch_rnn_bench.py (`workload`, `train_step_ms`, `samples_per_s`) plus `blas_core`,
    /// `workers`, `shards`, `gflops`.
    static func benchConvLSTM(seconds: Double = 2, workers: Int? = nil, shards: Int = 4, json: Bool = false) throws {
        let w = ConvLSTMWorkload()
        let workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let s = w.measure(seconds: seconds, workers: workers, shards: shards)
        let obj = w.report(seconds: s, workers: workers, shards: shards)
        if json {
            Output.json(obj)
        } else {
            print("\(w.name): \(obj["train_step_ms"] ?? "?") ms per train step, \(obj["samples_per_s"] ?? "?") samples/s, \(obj["gflops"] ?? "?") GFLOP/s  [\(BLASRuntime.coreName), \(workers) workers, \(shards) shards]")
            fflush(stdout)
        }
    }

    /// `forecast inspect` with a nowcasting model file: architecture, tensors, scaling, split,
    /// provenance and test scores (`json`: config and provenance as one JSON document).
    static func inspect(_ m: Nowcaster, path: String, json: Bool) throws {
        let spec = m.spec, a = spec.architecture
        if json {
            struct Doc: Encodable { let family: String; let config: NowcastSpec; let provenance: NowcastProvenance?; let parameters: Int; let tensors: [String: [Int]] }
            let tensors = Dictionary(uniqueKeysWithValues: m.model.layout.entries.map { ($0.name, $0.shape.dims) })
            Output.json(encodable: Doc(family: ModelFamily.nowcast.rawValue, config: spec, provenance: m.provenance,
                                       parameters: m.model.layout.parameterCount, tensors: tensors), pretty: true)
            return
        }
        print("model:        \(path)")
        print("family:       \(ModelFamily.nowcast)")
        print("architecture: ConvLSTM encoder-forecaster, hidden \(a.hidden.map(String.init).joined(separator: ",")), kernel \(a.kernel), patch \(a.patch), output \(a.output.rawValue)")
        print("grid:         \(a.height)x\(a.width), \(a.channels) channel(s); value '\(spec.value)' (columns \(spec.timeColumn), \(spec.yColumn), \(spec.xColumn))")
        print("frames:       in \(a.inFrames), out \(a.outFrames)\(spec.frequency.map { ", frequency \($0)" } ?? "")")
        print("parameters:   \(m.model.layout.parameterCount) in \(m.model.layout.entries.count) tensors")
        for t in m.model.layout.entries { print("  \(t.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(t.shape)") }
        print("value:        \(spec.value), \(spec.scaling.transform.rawValue) scaling (scale \(Output.format(Double(spec.scaling.scale))))")
        print("split:        validation \(Output.format(spec.split.validation)), test \(Output.format(spec.split.test))")
        if let p = m.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed), \(Output.duration(p.trainingSeconds))")
            print("data:         \(p.dataFile) (\(p.frames) frames\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let line = InspectLines.epochs(p.history, best: p.bestEpoch) { print(line) }
            if let r = p.testReport { print(InspectLines.table("test scores:", table(r))) }
        }
    }

    /// A plain-text table: per lead time and the mean, model vs persistence.
    static func table(_ r: NowcastReport) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "  -  " }
        func csi(_ s: NowcastScores.Lead, _ k: String) -> Double? { s.csi[k] ?? nil }
        var lines: [String] = []
        lines.append("\(r.windows) windows, \(r.leadTimes) lead times\(r.minutesPerLead.map { " of \(Int($0)) min" } ?? ""); model / persistence")
        lines.append("lead   MSE             MAE             corr            CSI@0.5         CSI@2           CSI@5           POD@0.5         FAR@0.5")
        for (m, p) in zip(r.model.leads, r.persistence.leads) {
            var row = String(format: "%-6d", m.lead)
            row += "\(f(m.mse)) / \(f(p.mse))   \(f(m.mae)) / \(f(p.mae))   \(f(m.correlation)) / \(f(p.correlation))   "
            for k in ["0.5", "2", "5"] { row += "\(f(csi(m, k))) / \(f(csi(p, k)))   " }
            row += "\(f(m.pod["0.5"] ?? nil)) / \(f(p.pod["0.5"] ?? nil))   \(f(m.far["0.5"] ?? nil)) / \(f(p.far["0.5"] ?? nil))"
            lines.append(row)
        }
        let m = r.model, p = r.persistence
        var row = "mean  \(f(m.mse)) / \(f(p.mse))   \(f(m.mae)) / \(f(p.mae))   \(f(m.correlation)) / \(f(p.correlation))   "
        for k in ["0.5", "2", "5"] { row += "\(f(m.csi[k] ?? nil)) / \(f(p.csi[k] ?? nil))   " }
        row += "\(f(m.pod["0.5"] ?? nil)) / \(f(p.pod["0.5"] ?? nil))   \(f(m.far["0.5"] ?? nil)) / \(f(p.far["0.5"] ?? nil))"
        lines.append(row)
        return lines.joined(separator: "\n")
    }
}

import Foundation

/// Everything needed to turn a gridded CSV into model inputs and predictions back into
/// frames: the `config` section of a nowcasting model file (`"task": "nowcast"`).
public struct NowcastSpec: Codable, Sendable, Equatable {
    /// Always "nowcast": tells grid model files from series model files.
    public var task: String = "nowcast"
    public var architecture: EncoderForecaster.Config
    /// The value column forecast, and the coordinate columns of the long format.
    public var value: String
    public var timeColumn: String = "time"
    public var yColumn: String = "y"
    public var xColumn: String = "x"
    public var scaling: FrameScaling
    public var split: FrameSplit
    /// Of the training data: the step between frames and the time format.
    public var frequency: Frequency?
    public var timeFormat: TimeFormat?
}

/// Forecast frames after the end of a grid: `frames [outFrames, H, W]` in the data's units.
public struct NowcastFrames: Sendable, Equatable {
    public var times: [Int64]
    public var labels: [String]
    public var height: Int, width: Int
    public var yOrigin: Int, xOrigin: Int
    public var frames: [Float]
}

/// The high-level nowcasting API: an encoder–forecaster ConvLSTM trained on gridded data
/// (e.g. rain radar in mm/h), forecasting the next `outFrames` frames from the last `inFrames`.
///
/// ```swift
/// let grid = try GridData.read(path: "radar.csv", values: ["rain_mmh"])
/// let model = try Nowcaster.fit(grid)                 // test split held out and scored
/// let next = try model.predict(grid)                  // the 10 frames after the file's end
/// let report = try model.evaluate(grid)               // model vs persistence, per lead time
/// try model.save(to: "radar.safetensors")
/// ```
///
/// A nowcaster is immutable after `fit`/`load`; prediction uses per-call workspaces and is
/// safe from many threads at once.
public final class Nowcaster: @unchecked Sendable {
    public let spec: NowcastSpec
    public let model: EncoderForecaster
    public let params: ParameterStore
    public let provenance: NowcastProvenance?

    public init(spec: NowcastSpec, params: ParameterStore, provenance: NowcastProvenance?) {
        self.spec = spec
        self.model = EncoderForecaster(spec.architecture)
        self.params = params
        self.provenance = provenance
    }

    /// The frames of the value column `name` (or the only one), `[T, H, W]`.
    static func channel(_ grid: GridData, _ name: String?, source: String) throws -> (name: String, frames: [Float]) {
        let c: Int
        if let name {
            guard let i = grid.channels.firstIndex(of: name) else {
                throw DataError.invalidArgument("\(source): no value column '\(name)' (it has \(grid.channels.joined(separator: ", ")))")
            }
            c = i
        } else {
            guard grid.channels.count == 1 else {
                throw DataError.invalidArgument("\(source): several value columns (\(grid.channels.joined(separator: ", "))); choose one with --value")
            }
            c = 0
        }
        let C = grid.channels.count, P = grid.height * grid.width, T = grid.frames.shape.count / max(C * P, 1)
        if C == 1 { return (grid.channels[c], grid.frames.scalars) }
        var out = [Float](repeating: 0, count: T * P)
        for t in 0..<T { for q in 0..<P { out[t * P + q] = grid.frames.scalars[(t * C + c) * P + q] } }
        return (grid.channels[c], out)
    }

    // MARK: Fit

    /// Trains on the first `1 - validation - test` share of the frames (validation for early
    /// stopping and the best epoch), then scores the held-out test windows against persistence.
    ///
    /// With `checkpointPath`, a checkpoint is written atomically after every epoch; with
    /// `resume` and an existing checkpoint there, training continues from it exactly.
    public static func fit(_ grid: GridData, options: NowcastOptions = NowcastOptions(), dataFile: String? = nil,
                           checkpointPath: String? = nil, resume: Bool = false,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Nowcaster {
        let source = dataFile ?? "the grid"
        if let p = options.split.problem { throw DataError.invalidArgument(p) }
        let (value, raw) = try channel(grid, options.value, source: source)
        let T = raw.count / max(grid.height * grid.width, 1)
        let arch = EncoderForecaster.Config(channels: 1, height: grid.height, width: grid.width,
                                            patch: options.patch(height: grid.height, width: grid.width),
                                            hidden: options.hidden, kernel: options.kernel,
                                            inFrames: options.inFrames, outFrames: options.outFrames, output: options.output)
        if let p = arch.problem { throw DataError.invalidArgument(p) }
        let ranges = options.split.ranges(frames: T)
        let span = options.inFrames + options.outFrames
        guard ranges.train.count >= span else {
            throw DataError.invalidArgument("\(source): \(T) frames leave \(ranges.train.count) for training, fewer than in-frames + out-frames = \(span); use a longer file or smaller fractions")
        }
        let P = grid.height * grid.width
        let scaling = FrameScaling.fit(options.transform, values: raw[0..<(ranges.train.upperBound * P)])
        let scaled = raw.map { scaling.forward($0) }
        let train = FrameWindows(frames: scaled, frameSize: P, inFrames: options.inFrames, outFrames: options.outFrames, range: ranges.train)
        let validation = FrameWindows(frames: scaled, frameSize: P, inFrames: options.inFrames, outFrames: options.outFrames, range: ranges.validation)
        let test = FrameWindows(frames: scaled, frameSize: P, inFrames: options.inFrames, outFrames: options.outFrames, range: ranges.test)
        let model = EncoderForecaster(arch)
        // Frames are scored by mean squared error in model units.
        var training = options.training
        training.loss = .mse
        let spec = NowcastSpec(architecture: arch, value: value, scaling: scaling, split: options.split,
                               frequency: grid.frequency, timeFormat: grid.timeFormat)
        let trainer = try Trainer.starting(model: model, config: training, checkpointPath: checkpointPath, resume: resume, spec: spec)
        trainer.onEvent = onEvent
        trainer.exchange = options.exchange
        let start = DispatchTime.now().uptimeNanoseconds
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation,
                        checkpointPath: options.writesCheckpoints ? checkpointPath : nil,
                        checkpointSections: try Trainer<EncoderForecaster>.specSection(spec))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let params = trainer.params
        let untested = Nowcaster(spec: spec, params: params, provenance: nil)
        let report = test.isEmpty ? nil : untested.evaluate(frames: raw, range: ranges.test)
        let provenance = NowcastProvenance(
            dataFile: dataFile, source: source, training: options.training, history: trainer.history, bestEpoch: trainer.bestEpoch,
            trainWindows: train.count, validationWindows: validation.count, testWindows: test.count,
            extra: NowcastRecord(frames: T, trainingSeconds: seconds, testReport: report))
        return Nowcaster(spec: spec, params: params, provenance: provenance)
    }

    // MARK: Predict

    /// Forecasts for `count` windows `x [count, inFrames, H, W]` in the data's units; returns
    /// `[count, outFrames, H, W]` in the data's units (never negative with softplus/ReLU output).
    /// Thread-safe.
    public func forecast(_ x: [Float], windows count: Int) -> [Float] {
        let I = model.inputCount, P = model.predictionCount
        precondition(x.count == count * I, "expected \(count) windows of \(I) values")
        let scaled = x.map { spec.scaling.forward($0) }
        var out = [Float](repeating: 0, count: count * P)
        let chunk = 16
        var ws: EncoderForecaster.Workspace? = nil, wsRows = 0
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            if ws == nil || wsRows != n { ws = model.makeWorkspace(batch: n); wsRows = n }
            guard let w = ws else { break }
            let pred = scaled.withUnsafeBufferPointer { model.forward($0.baseAddress! + start * I, workspace: w, params: params) }
            for i in 0..<(n * P) { out[start * P + i] = max(0, spec.scaling.inverse(pred[i])) }
            start += n
        }
        return out
    }

    /// Checks that `grid` has the model's grid size and returns its frames `[T, H, W]`.
    func frames(of grid: GridData, source: String) throws -> [Float] {
        let a = spec.architecture
        guard grid.height == a.height, grid.width == a.width else {
            throw DataError.invalidArgument("\(source): the grid is \(grid.height)x\(grid.width), but the model was trained on \(a.height)x\(a.width) grids")
        }
        return try Self.channel(grid, grid.channels.contains(spec.value) ? spec.value : nil, source: source).frames
    }

    /// The `outFrames` frames after the end of `grid`, from its last `inFrames` frames.
    public func predict(_ grid: GridData, source: String = "the grid") throws -> NowcastFrames {
        let raw = try frames(of: grid, source: source)
        let a = spec.architecture, P = a.height * a.width
        let T = raw.count / P
        guard T >= a.inFrames else {
            throw DataError.invalidArgument("\(source): \(T) frames, but the model needs the last \(a.inFrames)")
        }
        let x = Array(raw[((T - a.inFrames) * P)..<(T * P)])
        let out = forecast(x, windows: 1)
        var times: [Int64] = [], labels: [String] = []
        if let freq = grid.frequency ?? spec.frequency, let last = grid.times.last {
            times = freq.continuing(after: last, count: a.outFrames, offsetMinutes: grid.timeFormat.offsetMinutes)
            labels = times.map { grid.timeFormat.format($0) }
        } else {
            labels = (1...a.outFrames).map { "+\($0)" }
        }
        return NowcastFrames(times: times, labels: labels, height: a.height, width: a.width,
                             yOrigin: grid.yOrigin, xOrigin: grid.xOrigin, frames: out)
    }

    /// Long-format CSV `time,y,x,value` of forecast frames (same column names as the input).
    public func csv(_ f: NowcastFrames) -> String {
        var s = "\(spec.timeColumn),\(spec.yColumn),\(spec.xColumn),\(spec.value)\n"
        s.reserveCapacity(f.frames.count * 32)
        let P = f.height * f.width
        for (t, label) in f.labels.enumerated() {
            for y in 0..<f.height {
                for x in 0..<f.width {
                    let v = f.frames[t * P + y * f.width + x]
                    s += "\(label),\(y + f.yOrigin),\(x + f.xOrigin),\(String(format: "%.3f", Double(v)))\n"
                }
            }
        }
        return s
    }

    // MARK: Evaluate

    /// Which windows ``evaluate(_:on:)`` scores.
    public enum EvaluationSet: String, Sendable, CaseIterable {
        /// The test split (the last `split.test` share of the frames, as at training time).
        case test
        /// Every complete window of the file.
        case all
    }

    /// Scores the model and persistence (the last input frame repeated) on `grid`.
    public func evaluate(_ grid: GridData, on set: EvaluationSet = .test, source: String = "the grid") throws -> NowcastReport {
        let raw = try frames(of: grid, source: source)
        let T = raw.count / max(spec.architecture.height * spec.architecture.width, 1)
        let range = set == .all ? 0..<T : spec.split.ranges(frames: T).test
        let span = spec.architecture.inFrames + spec.architecture.outFrames
        guard range.count >= span else {
            throw DataError.invalidArgument("\(source): the \(set == .all ? "file" : "test split") holds \(range.count) frames, fewer than in-frames + out-frames = \(span)\(set == .test ? "; evaluate on all windows or use a longer file" : "")")
        }
        var report = evaluate(frames: raw, range: range)
        if let f = grid.frequency ?? spec.frequency, !f.isCalendar { report.minutesPerLead = Double(f.nominalMillis) / 60_000 }
        return report
    }

    /// Scores windows inside `range` of `frames [T, H, W]` (data units).
    func evaluate(frames raw: [Float], range: Range<Int>) -> NowcastReport {
        let a = spec.architecture, P = a.height * a.width
        let windows = FrameWindows(frames: raw, frameSize: P, inFrames: a.inFrames, outFrames: a.outFrames, range: range)
        var model = NowcastScoreAccumulator(leads: a.outFrames), persistence = NowcastScoreAccumulator(leads: a.outFrames)
        let chunk = 32
        var start = 0
        var x = [Float](repeating: 0, count: chunk * a.inFrames * P), y = [Float](repeating: 0, count: chunk * a.outFrames * P)
        while start < windows.count {
            let n = min(chunk, windows.count - start)
            x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                windows.gather(start..<(start + n), x: xp.baseAddress!, y: yp.baseAddress!)
            } }
            let pred = forecast(Array(x[0..<(n * a.inFrames * P)]), windows: n)
            pred.withUnsafeBufferPointer { pp in x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
                for w in 0..<n {
                    let last = xp.baseAddress! + (w * a.inFrames + a.inFrames - 1) * P
                    for l in 0..<a.outFrames {
                        let o = yp.baseAddress! + (w * a.outFrames + l) * P
                        model.add(lead: l, forecast: pp.baseAddress! + (w * a.outFrames + l) * P, observed: o, count: P)
                        persistence.add(lead: l, forecast: last, observed: o, count: P)
                    }
                }
            } } }
            start += n
        }
        return NowcastReport(model: model.scores(), persistence: persistence.scores(), windows: windows.count,
                             leadTimes: a.outFrames, thresholds: model.thresholds, minutesPerLead: nil)
    }

    // MARK: Files

    /// Writes the model file atomically: tensors under their PyTorch-style names, the spec as
    /// the `config` section, the provenance as `provenance`.
    public func save(to path: String) throws {
        try ModelArchive.model(family: .nowcast, params: params, spec: spec, provenance: provenance).write(path: path)
    }

    /// Whether the model file at `path` holds a nowcasting model (its config has `"task": "nowcast"`).
    public static func isNowcastModel(_ archive: ModelArchive) -> Bool {
        archive.sections["config"].map { $0.contains("\"task\":\"nowcast\"") } ?? false
    }

    /// Loads and verifies a nowcasting model file.
    public static func load(from path: String) throws -> Nowcaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        guard isNowcastModel(archive) else {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "not a nowcasting (grid) model; use it without --grid")
        }
        let spec = try archive.section("config", as: NowcastSpec.self, path: path)
        try ModelFileCheck.check(spec, tensors: archive.tensors, path: path)
        if let p = spec.architecture.problem { throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: p) }
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: NowcastProvenance.self, path: path)
        let model = EncoderForecaster(spec.architecture)
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            guard let t = archive[e.name] else { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(e.name)'") }
            do { try params.assign(e.name, t) }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(error)") }
        }
        return Nowcaster(spec: spec, params: params, provenance: provenance)
    }
}

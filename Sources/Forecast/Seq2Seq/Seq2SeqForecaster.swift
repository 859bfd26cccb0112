import Foundation

/// A seq2seq forecast of every series, with the attention weights behind it.
public struct Seq2SeqPrediction: Sendable {
    public var forecasts: [SeriesForecast]
    /// Per series: attention weights `[horizon][lookback]` (row k: how much forecast step k
    /// looked at each input step; rows sum to 1). Empty for a model without attention.
    public var attention: [[[Float]]]
    /// Per series: labels of the lookback input steps (timestamps or row numbers).
    public var inputLabels: [[String]]
    /// Things the caller should know (e.g. how missing future covariates were filled).
    public var notes: [String]
}

/// The high-level seq2seq API, shaped like ``Forecaster``: fit on a time-series set, forecast
/// (with attention weights), evaluate against the same baselines, save and load.
///
/// ```swift
/// var o = Seq2SeqOptions()
/// o.base.horizon = 48
/// o.base.knownFuture = ["Temperature", "WorkDay"]
/// let model = try Seq2SeqForecaster.fit(set, targets: ["Demand"], options: o)
/// let next = try model.predict(set)          // forecasts + attention weights
/// try model.save(to: "demand.safetensors")
/// ```
///
/// Immutable after `fit`/`load`; `predict` and `evaluate` use per-call workspaces and are safe
/// from many threads at once.
public final class Seq2SeqForecaster: @unchecked Sendable {
    public let spec: Seq2SeqSpec
    public let model: Seq2Seq
    public let params: ParameterStore
    public let provenance: Seq2SeqProvenance?

    public init(spec: Seq2SeqSpec, params: ParameterStore, provenance: Seq2SeqProvenance?) {
        self.spec = spec
        self.model = Seq2Seq(spec.model)
        self.params = params
        self.provenance = provenance
    }

    // MARK: Fit

    /// Trains on `set`; the last `split.test` share of every series is held out and scored
    /// (model and baselines) into `provenance.testMetrics`.
    public static func fit(_ set: TimeSeriesSet, targets: [String], options: Seq2SeqOptions = Seq2SeqOptions(),
                           dataFile: String? = nil, checkpointPath: String? = nil, resume: Bool = false,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Seq2SeqForecaster {
        let started = Date()
        guard !targets.isEmpty else { throw DataError.invalidArgument("no target column given") }
        let o = options.base
        guard o.cell == .lstm || o.cell == .gru else {
            throw DataError.invalidArgument("seq2seq needs an LSTM or GRU encoder (got \(o.cell.rawValue))")
        }
        let (window, season) = try Forecaster.resolveWindow(set, targets: targets, options: o)
        let data = try PreparedData(set, spec: window, split: o.split, scaler: o.scaler, missing: o.missing)
        if data.train.isEmpty {
            let shortest = set.series.map(\.count).min() ?? 0
            throw DataError.invalidArgument("\(set.source): no training windows: the shortest series has \(shortest) rows, too few for lookback \(window.lookback) + horizon \(window.horizon) after holding out \(Int((o.split.validation + o.split.test) * 100))% for validation and test")
        }
        let loss = o.training.loss
        let pointBlock: Int
        switch loss {
        case .quantile: pointBlock = loss.pointIndex(target: 0, targets: 1)
        default: pointBlock = 0
        }
        let encoder = RecurrentConfig(cell: o.cell, inputSize: data.inputNames.count, hiddenSize: o.hidden, numLayers: o.layers,
                                      bidirectional: o.bidirectional, dropout: o.dropout)
        let cfg = Seq2SeqConfig(encoder: encoder, decoderCell: options.decoderCell, decoderHidden: options.decoderHidden,
                                attention: options.attention, attentionSize: options.attentionSize, bridge: options.bridge,
                                targets: targets.count, futureInputs: data.knownFutureInputs.count, horizon: window.horizon,
                                outputsPerTarget: loss.outputsPerTarget, pointBlock: pointBlock)
        do { try cfg.validate() } catch { throw DataError.invalidArgument("\(error)") }
        let spec = Seq2SeqSpec(
            shared: SeriesDataSpec(loss: loss, window: window, scaler: data.scaler, missing: o.missing,
                                   levelNormalization: o.levelNormalization, inputNames: data.inputNames,
                                   timeColumn: set.timeColumn, seriesKey: set.seriesKeyColumn, frequency: set.frequency,
                                   seasonLength: season, split: o.split),
            own: Seq2SeqNetworkSpec(model: cfg, futureInputIndices: data.knownFutureInputs,
                                        futureInputNames: data.knownFutureInputs.map { data.inputNames[$0] },
                                        teacherForcing: options.teacherForcing))
        var train = try Seq2SeqWindows(data.train.materialized(), set: set, spec: window, futureIndices: data.knownFutureInputs, scaler: data.scaler, missing: o.missing)
        var validation = try Seq2SeqWindows(data.validation.materialized(), set: set, spec: window, futureIndices: data.knownFutureInputs, scaler: data.scaler, missing: o.missing)
        if o.levelNormalization {
            LevelNormalization.apply(to: &train.windows, targets: targets.count)
            LevelNormalization.apply(to: &validation.windows, targets: targets.count)
        }
        let model = WindowedSeq2Seq(.init(model: cfg, length: window.lookback, teacherForcing: options.teacherForcing))
        let trainer = try Trainer.starting(model: model, config: o.training, checkpointPath: checkpointPath, resume: resume, spec: spec)
        trainer.onEvent = onEvent
        trainer.exchange = o.exchange
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation,
                        checkpointPath: o.writesCheckpoints ? checkpointPath : nil,
                        checkpointSections: try Trainer<WindowedSeq2Seq>.specSection(spec))
        let params = trainer.params
        let samplingProbabilities = trainer.history.indices.map { options.teacherForcing.samplingProbability(epoch: $0) }
        let untested = Seq2SeqForecaster(spec: spec, params: params, provenance: nil)
        let report = data.test.isEmpty ? nil : try untested.evaluate(set, prepared: data)
        let provenance = Seq2SeqProvenance(
            dataFile: dataFile, source: set.source, training: o.training, history: trainer.history, bestEpoch: trainer.bestEpoch,
            trainWindows: data.train.count, validationWindows: data.validation.count, testWindows: data.test.count,
            extra: Seq2SeqRecord(rows: set.rowCount, series: set.series.count, samplingProbabilities: samplingProbabilities,
                                 seconds: Date().timeIntervalSince(started), testMetrics: report))
        return Seq2SeqForecaster(spec: spec, params: params, provenance: provenance)
    }

    /// Warm start: continues training this model on `set` for `training.epochs` epochs with a
    /// fresh optimizer, keeping its architecture, windowing, teacher-forcing schedule and scaler
    /// (so the weights keep their meaning), as ``Forecaster/fineTuned(on:training:dataFile:checkpointPath:resume:onEvent:)``
    /// does for the recurrent family. Returns a new forecaster whose provenance history
    /// continues this one's; `self` is unchanged. Checkpoints and resume as in `fit`.
    public func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String? = nil,
                          checkpointPath: String? = nil, resume: Bool = false,
                          onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Seq2SeqForecaster {
        let started = Date()
        let data = try PreparedData(set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        let trainWindows = rescale(data.train.materialized(), from: data.scaler), validationWindows = rescale(data.validation.materialized(), from: data.scaler)
        if trainWindows.isEmpty { throw TrainingError.emptyTrainingSet }
        // Future covariates are scaled with the model's own scaler, like the rescaled windows.
        var train = try Seq2SeqWindows(trainWindows, set: set, spec: spec.window, futureIndices: spec.futureInputIndices,
                                       scaler: spec.scaler, missing: spec.missing)
        var validation = try Seq2SeqWindows(validationWindows, set: set, spec: spec.window, futureIndices: spec.futureInputIndices,
                                            scaler: spec.scaler, missing: spec.missing)
        if spec.levelNormalization {
            LevelNormalization.apply(to: &train.windows, targets: spec.window.targets.count)
            LevelNormalization.apply(to: &validation.windows, targets: spec.window.targets.count)
        }
        var cfg = training
        cfg.loss = spec.loss
        let network = WindowedSeq2Seq(.init(model: spec.model, length: spec.window.lookback, teacherForcing: spec.teacherForcing))
        let trainer = try Trainer.starting(model: network, config: cfg, initial: params, checkpointPath: checkpointPath, resume: resume, spec: spec)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation, checkpointPath: checkpointPath,
                        checkpointSections: try Trainer<WindowedSeq2Seq>.specSection(spec))
        let tuned = Seq2SeqForecaster(spec: spec, params: trainer.params, provenance: nil)
        let report = data.test.isEmpty ? nil : try tuned.evaluate(set, prepared: data)
        let probabilities = trainer.history.indices.map { spec.teacherForcing.samplingProbability(epoch: $0) }
        let prov = Seq2SeqProvenance(
            dataFile: dataFile, source: set.source, training: cfg, history: (provenance?.history ?? []) + trainer.history,
            bestEpoch: trainer.bestEpoch, trainWindows: data.train.count, validationWindows: data.validation.count, testWindows: data.test.count,
            extra: Seq2SeqRecord(rows: set.rowCount, series: set.series.count,
                                 samplingProbabilities: (provenance?.samplingProbabilities ?? []) + probabilities,
                                 seconds: Date().timeIntervalSince(started), testMetrics: report))
        return Seq2SeqForecaster(spec: spec, params: trainer.params, provenance: prov)
    }

    // MARK: Predict

    /// Raw outputs for encoder windows `x [N, T, F]` and future inputs `future [N, S, F_k]`
    /// (scaled, before level normalisation): `[N, K, S, P]` in model units (levels added back),
    /// and the attention weights `[N, S, T]` (empty without attention). Free running. Thread-safe.
    public func predictScaled(_ x: [Float], future: [Float], windows n: Int) -> (outputs: [Float], attention: [Float]) {
        let T = spec.window.lookback, F = spec.inputNames.count, P = spec.window.targets.count
        let S = spec.window.horizon, M = S * P, K = spec.loss.outputsPerTarget, Fk = spec.model.futureInputs
        var input = x
        var levels: [Float] = []
        if spec.levelNormalization {
            levels = input.withUnsafeBufferPointer { LevelNormalization.levels(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
            input.withUnsafeMutableBufferPointer { LevelNormalization.normalizeInputs($0.baseAddress!, levels: levels, windows: n, lookback: T, features: F, targets: P) }
        }
        var out = [Float](repeating: 0, count: n * M * K)
        var attention: [Float] = []
        if spec.model.attention != .none { attention.reserveCapacity(n * S * T) }
        let chunk = 64
        var rng = SeededGenerator(seed: 0)
        var ws: Seq2SeqWorkspace? = nil
        var start = 0
        while start < n {
            let b = min(chunk, n - start)
            if ws?.batch != b { ws = Seq2SeqWorkspace(model: model, batch: b, length: T) }
            let pred = input.withUnsafeBufferPointer { xp in future.withUnsafeBufferPointer { fp in
                model.forward(xp.baseAddress! + start * T * F, future: Fk > 0 ? fp.baseAddress! + start * S * Fk : nil, teacher: nil,
                              workspace: ws!, params: params, rng: &rng)
            } }
            out.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * M * K).update(from: pred.pointer, count: b * M * K) }
            if spec.model.attention != .none { attention += ws!.attentionWeights() }
            start += b
        }
        if spec.levelNormalization {
            let levelBlocks: Int
            switch spec.loss { case .gaussian: levelBlocks = 1; default: levelBlocks = K }
            out.withUnsafeMutableBufferPointer {
                LevelNormalization.shift($0.baseAddress!, levels: levels, windows: n, stepsTimesP: M, targets: P, blocks: K, levelBlocks: levelBlocks, sign: 1)
            }
        }
        return (out, attention)
    }

    /// Decoding and scoring of this model's raw outputs (shared with the other series family).
    var outputs: SeriesOutputs {
        SeriesOutputs(loss: spec.loss, scaler: spec.scaler, targets: spec.window.targets, steps: spec.window.targetLength / max(1, spec.window.targets.count))
    }
    var intervalBlocks: (lower: Int, upper: Int, level: Float)? { outputs.intervalBlocks }
    /// Converts raw outputs of one window to (point, lower, upper) per `[step][P]` in data units.
    func decode(_ out: ArraySlice<Float>) -> (values: [[Float]], lower: [[Float]]?, upper: [[Float]]?) { outputs.decode(out) }

    /// Forecasts the `horizon` steps after the history of every series in `set`.
    ///
    /// Known-future covariates for the forecast steps: calendar features come from the future
    /// timestamps. Data columns (e.g. a temperature forecast, a working-day flag) are read from
    /// the file's last `horizon` rows when those rows have empty target cells (the history is
    /// then everything before them); without such rows, the model's known-future data columns
    /// repeat the values of the last `horizon` history rows and `notes` says so.
    public func predict(_ set: TimeSeriesSet) throws -> Seq2SeqPrediction {
        let w = spec.window
        let T = w.lookback, S = w.horizon, F = spec.inputNames.count, Fk = spec.model.futureInputs
        let dataColumns = w.inputColumns
        let offset = set.timeFormat?.offsetMinutes ?? 0
        let targetColumns = try w.targets.map { name -> Int in
            guard let c = set.columnIndex(name) else { throw DataError.invalidArgument("\(set.source): no column '\(name)'; the model forecasts \(w.targets.joined(separator: ", "))") }
            return c
        }
        let inputColumns = try dataColumns.map { name -> Int in
            guard let c = set.columnIndex(name) else { throw DataError.invalidArgument("\(set.source): no column '\(name)', an input of this model") }
            return c
        }
        if !w.calendar.isEmpty && !set.series.allSatisfy({ $0.times != nil }) {
            throw DataError.invalidArgument("\(set.source): the model uses calendar features, which need timestamps (give a time column, or --step and --start)")
        }
        var x = [Float](), future = [Float]()
        var forecasts: [SeriesForecast] = [], inputLabels: [[String]] = [], notes: [String] = []
        var labelsPerSeries: [[String]] = [], timesPerSeries: [[Int64]] = []
        for (s, series) in set.series.enumerated() {
            let name = series.key.map { "series '\($0)'" } ?? "the series"
            // Trailing rows whose targets are all empty are the forecast steps.
            var trailing = 0
            while trailing < series.count && targetColumns.allSatisfy({ series.values[$0][series.count - 1 - trailing].isNaN }) { trailing += 1 }
            if trailing > 0 && trailing != S {
                throw DataError.invalidArgument("\(set.source): \(name) ends with \(trailing) rows without target values; a seq2seq model reads its \(S) forecast steps' known-future covariates from exactly \(S) such rows (or give none)")
            }
            let n = series.count - trailing
            guard n >= T else {
                throw DataError.invalidArgument("\(set.source): \(name) has \(n) rows of history, fewer than the lookback of \(T)")
            }
            // History: filled and scaled inputs of the last T rows.
            var columns: [[Float]] = []
            for (i, c) in inputColumns.enumerated() {
                var v = Array(series.values[c][0..<n])
                if spec.missing == .error || spec.missing == .drop, let r = v[(n - T)..<n].firstIndex(where: { $0.isNaN }) {
                    let line = r < series.lines.count ? series.lines[r] : 0
                    throw DataError.missingValue(SourceLocation(file: set.source, line: line > 0 ? line : nil),
                                                 "missing value in column '\(dataColumns[i])' of the last window; choose the missing-value policy ffill or interpolate")
                }
                if !spec.missing.fill(&v, times: series.times.map { Array($0[0..<n]) }) {
                    throw DataError.missingValue(SourceLocation(file: set.source), "column '\(dataColumns[i])' has no values at all")
                }
                columns.append(v)
            }
            var labels: [String] = []
            for r in (n - T)..<n {
                for (i, name) in dataColumns.enumerated() { x.append(spec.scaler.scaler(for: name).transform(columns[i][r])) }
                if let times = series.times {
                    for f in w.calendar { let (a, b) = f.encode(times[r], offsetMinutes: offset); x.append(a); x.append(b) }
                    labels.append(set.format(times[r]))
                } else {
                    labels.append(String(r + 1))
                }
            }
            inputLabels.append(labels)
            // Forecast steps: timestamps and known-future inputs.
            let futureTimes: [Int64]
            if trailing > 0, let times = series.times { futureTimes = Array(times[n..<series.count]) }
            else { futureTimes = set.futureTimes(series: s, horizon: S) }
            var repeated: [String] = []
            for k in 0..<S {
                for i in spec.futureInputIndices {
                    if i < dataColumns.count {
                        let raw = series.values[inputColumns[i]]
                        var v: Float
                        if trailing > 0 {
                            v = raw[n + k]
                            if v.isNaN {
                                throw DataError.missingValue(SourceLocation(file: set.source, line: series.lines[n + k] > 0 ? series.lines[n + k] : nil),
                                                             "known-future column '\(dataColumns[i])' is empty in forecast row \(k + 1) of \(S)")
                            }
                        } else {
                            v = columns[i][max(0, n - S + k)]
                            if k == 0 { repeated.append(dataColumns[i]) }
                        }
                        future.append(spec.scaler.scaler(for: dataColumns[i]).transform(v))
                    } else {
                        let c = i - dataColumns.count
                        guard k < futureTimes.count else {
                            throw DataError.invalidArgument("\(set.source): no timestamps for the forecast steps of \(name) (calendar features need a known frequency)")
                        }
                        let (a, b) = w.calendar[c / 2].encode(futureTimes[k], offsetMinutes: offset)
                        future.append(c % 2 == 0 ? a : b)
                    }
                }
            }
            if !repeated.isEmpty {
                notes.append("\(name): no future rows with the known-future column\(repeated.count > 1 ? "s" : "") \(repeated.joined(separator: ", ")); repeated the last \(S) rows' values (append \(S) rows with empty targets to supply them)")
            }
            timesPerSeries.append(futureTimes)
            labelsPerSeries.append(futureTimes.isEmpty ? (1...S).map { "+\($0)" } : futureTimes.map { set.format($0) })
        }
        let count = set.series.count
        precondition(x.count == count * T * F && future.count == count * S * Fk, "seq2seq prediction input size")
        let (out, attention) = predictScaled(x, future: future, windows: count)
        let width = spec.outputs
        for (s, series) in set.series.enumerated() {
            let d = decode(out[(s * width)..<((s + 1) * width)])
            forecasts.append(SeriesForecast(key: series.key, times: timesPerSeries[s], labels: labelsPerSeries[s], targets: w.targets,
                                            values: d.values, lower: d.lower, upper: d.upper, intervalLevel: intervalBlocks?.level))
        }
        var attn: [[[Float]]] = []
        if !attention.isEmpty {
            for s in 0..<count {
                attn.append((0..<S).map { k in Array(attention[((s * S + k) * T)..<((s * S + k + 1) * T)]) })
            }
        }
        return Seq2SeqPrediction(forecasts: forecasts, attention: attn, inputLabels: inputLabels, notes: notes)
    }

    // MARK: Evaluate

    /// Scores the model (free running) and the baselines on the test split of `set`.
    public func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport {
        let data = try PreparedData(set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        return try evaluate(set, prepared: data)
    }

    func evaluate(_ set: TimeSeriesSet, prepared data: PreparedData) throws -> EvaluationReport {
        guard !data.test.isEmpty else {
            throw DataError.invalidArgument("\(set.source): the test split holds no complete window (lookback \(spec.window.lookback) + horizon \(spec.window.horizon)); use a longer file or a larger test fraction")
        }
        let test = rescale(data.test.materialized(), from: data.scaler)
        let windows = try Seq2SeqWindows(test, set: set, spec: spec.window, futureIndices: spec.futureInputIndices, scaler: spec.scaler, missing: spec.missing)
        let out = predictScaled(test.x, future: windows.future, windows: test.count).outputs
        return outputs.score(set, test: test, outputs: out, width: spec.outputs, split: spec.split, season: spec.seasonLength)
    }

    /// Re-expresses windows scaled with `other` in this model's scaling.
    func rescale(_ w: Windows, from other: Scaler) -> Windows {
        w.rescaled(from: other, to: spec.scaler, inputColumns: spec.window.inputColumns, targets: spec.window.targets)
    }

    // MARK: Files

    /// Writes the model file atomically: tensors under their PyTorch names, `config` (the
    /// ``Seq2SeqSpec``, `"architecture": "seq2seq"`) and `provenance` sections.
    public func save(to path: String) throws {
        try ModelArchive.model(family: .seq2seq, params: params, spec: spec, provenance: provenance).write(path: path)
    }

    /// Loads and verifies a seq2seq model file (format, version, checksum, tensor names and shapes).
    public static func load(from path: String) throws -> Seq2SeqForecaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        guard isSeq2SeqConfig(archive.sections["config"]) else {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "not a seq2seq model (load it with Forecaster.load)")
        }
        let spec = try archive.section("config", as: Seq2SeqSpec.self, path: path)
        try ModelFileCheck.check(spec, tensors: archive.tensors, path: path)
        do { try spec.model.validate() } catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "\(error)") }
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: Seq2SeqProvenance.self, path: path)
        let model = Seq2Seq(spec.model)
        guard spec.inputNames.count == spec.model.encoder.inputSize, spec.futureInputIndices.count == spec.model.futureInputs,
              spec.futureInputIndices.allSatisfy({ $0 >= 0 && $0 < spec.inputNames.count }),
              spec.window.targets.count == spec.model.targets, spec.window.horizon == spec.model.horizon,
              spec.loss.outputsPerTarget == spec.model.outputsPerTarget else {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "inputs, targets, horizon or loss do not match the network")
        }
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            guard let t = archive[e.name] else { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(e.name)'") }
            do { try params.assign(e.name, t) }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(error)") }
        }
        return Seq2SeqForecaster(spec: spec, params: params, provenance: provenance)
    }

    /// Whether `path` is a forecast model file whose `config` says `"architecture": "seq2seq"`
    /// (false for direct models, other files and unreadable files; the checksum is not verified
    /// here, ``load(from:)`` does that).
    public static func isSeq2SeqModel(path: String) -> Bool {
        guard let file = try? SafeTensorsFile.read(path: path), file.metadata["format"] == ModelArchive.format else { return false }
        return isSeq2SeqConfig(file.metadata["config"])
    }

    static func isSeq2SeqConfig(_ json: String?) -> Bool {
        struct Discriminator: Decodable { let architecture: String? }
        guard let json, let d = try? JSONDecoder().decode(Discriminator.self, from: Data(json.utf8)) else { return false }
        return d.architecture == "seq2seq"
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--model eshybrid`: the ES-hybrid family (after Smyl's ES-RNN, winner of M4). Per-series
/// Holt–Winters level and seasonality (α, γ and the initial seasonal indices, learned by
/// gradient descent) feed a global LSTM that forecasts the deseasonalised, level-normalised
/// horizon (``ESHybridModel``); one network serves every series of the set.
///
/// Training (``fit(_:target:options:dataFile:onEvent:)``): windows of E history rows and H
/// target rows from every series' training rows (validation windows for early stopping from
/// its validation rows), values divided by the series' scale (mean |y| of its training rows);
/// seasonal indices start from a classical decomposition of the training rows; pinball loss at
/// τ = 0.5 (or mse). Deterministic: bit-identical for any worker count (the one ``Trainer``).
///
/// Forecasts from any origin read the E rows before it (missing values interpolated as the
/// ensemble does); forecasts after the end of a series read its last E rows.
public final class ESHybridForecaster: @unchecked Sendable {
    public let spec: ESHybridSpec
    public let model: ESHybridModel
    public let params: ParameterStore
    public let provenance: Provenance?

    public init(spec: ESHybridSpec, params: ParameterStore, provenance: Provenance?) {
        self.spec = spec
        self.model = ESHybridModel(spec.model)
        self.params = params
        self.provenance = provenance
    }

    // MARK: Form

    /// Multiplicative or additive, from the training rows of every series (`rows[series]`):
    ///
    /// - any value ≤ 0 (or missing) → additive (a ratio or log needs positive values);
    /// - no seasonality (m = 1) → multiplicative (the log-ratio to the level is scale-free);
    /// - else, per complete season k of every series: its level μ_k (mean) and amplitude a_k
    ///   (max − min). The slope b of log a_k on log μ_k (pooled within series) says how the
    ///   amplitude grows with the level: a ∝ μ^b, b ≈ 1 multiplicative, b ≈ 0 additive.
    ///   Multiplicative when b > 0.5, or when the level moves by less than 10% (no evidence
    ///   either way; the ratio form is the one Smyl used for every M4 series).
    public static func chooseForm(_ rows: [ArraySlice<Double>], season m: Int) -> (multiplicative: Bool, reason: String) {
        if rows.contains(where: { $0.contains { !($0 > 0) } }) { return (false, "additive: the training rows hold values <= 0") }
        guard m > 1 else { return (true, "multiplicative: positive values, no seasonality") }
        var xs: [Double] = [], ys: [Double] = []
        for y in rows {
            var lx: [Double] = [], ly: [Double] = []
            var k = y.startIndex
            while k + m <= y.endIndex {
                let block = y[k..<(k + m)]
                let mu = block.reduce(0, +) / Double(m)
                let amp = (block.max() ?? 0) - (block.min() ?? 0)
                if amp > 0 { lx.append(log(mu)); ly.append(log(amp)) }
                k += m
            }
            guard lx.count >= 2 else { continue }
            let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
            xs += lx.map { $0 - mx }; ys += ly.map { $0 - my }
        }
        let sxx = xs.reduce(0) { $0 + $1 * $1 }
        guard xs.count >= 3, sxx / Double(xs.count) > 0.1 * 0.1 / 4 else {
            return (true, "multiplicative: positive values; the level moves too little to tell the forms apart")
        }
        let b = zip(xs, ys).reduce(0) { $0 + $1.0 * $1.1 } / sxx
        let slope = String(format: "%.2f", b)
        return b > 0.5 ? (true, "multiplicative: seasonal amplitude grows with the level (slope \(slope) of log amplitude on log level)")
                       : (false, "additive: seasonal amplitude does not grow with the level (slope \(slope) of log amplitude on log level)")
    }

    // MARK: Fit

    public static func fit(_ set: TimeSeriesSet, target: String, options: ESHybridOptions = ESHybridOptions(),
                           dataFile: String? = nil, initial: ESHybridForecaster? = nil,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> ESHybridForecaster {
        guard set.columnIndex(target) != nil else { throw DataError.invalidArgument("\(set.source): no column '\(target)'") }
        var base = options.base
        base.features = []; base.knownFuture = []; base.calendar = []
        let (window, season) = try Forecaster.resolveWindow(set, targets: [target], options: base)
        let T = window.lookback, H = window.horizon
        let split = base.split
        let filled = EnsembleForecaster.filledTargets(set, targets: [target]).map { $0[0] }
        let bounds = set.series.map { split.boundaries(rows: $0.count) }
        let minTrain = bounds.map(\.validationStart).min() ?? 0
        guard T + H <= minTrain else {
            throw DataError.invalidArgument("\(set.source): a series has \(minTrain) training rows; the ES-hybrid model needs lookback \(T) + horizon \(H) of them (use --lookback/--horizon or a longer file)")
        }
        let m = season > 1 && minTrain >= 2 * season ? season : 1
        var E = options.history ?? (T + (m > 1 ? m : 0))
        E = max(T, min(E, max(T, minTrain - H - 7)))
        let scales = zip(filled, bounds).map { y, b -> Double in
            let part = y[0..<b.validationStart]
            let mean = part.reduce(0) { $0 + abs($1) } / Double(max(1, part.count))
            return mean.isFinite && mean > 0 ? mean : 1
        }
        let form = options.multiplicative.map { ($0, $0 ? "multiplicative (set by the caller)" : "additive (set by the caller)") }
            ?? chooseForm(zip(filled, bounds).map { $0.0[0..<$0.1.validationStart] }, season: m)
        let layers = max(1, options.layers)
        let dilations = options.dilations ?? (0..<layers).map { $0 == 0 ? 1 : 3 }
        let recurrent = RecurrentConfig(cell: .lstm, inputSize: 1, hiddenSize: options.hidden, numLayers: layers, dilations: dilations)
        let config = ESHybridModel.Config(series: set.series.count, season: m, history: E, lookback: T, horizon: H,
                                          multiplicative: form.0, recurrent: recurrent)
        try ESHybridModel.checkConfig(config, field: "model")
        let spec = ESHybridSpec(model: config, window: WindowSpec(lookback: T, horizon: H, targets: [target], features: [], knownFuture: [], calendar: []),
                                split: split, missing: base.missing, seasonLength: season, timeColumn: set.timeColumn,
                                seriesKey: set.seriesKeyColumn, frequency: set.frequency, seriesKeys: set.series.map(\.key),
                                scales: scales, loss: options.loss, formReason: form.1)
        try spec.check()
        let model = ESHybridModel(config)
        var training = base.training
        training.loss = options.loss
        var rng = SeededGenerator(seed: training.seed)
        let params = model.makeParameters(rng: &rng)
        if let initial {
            guard initial.spec.model == config else {
                throw DataError.invalidArgument("\(set.source): the data changes the model's series, season or windows; train a new model instead")
            }
            params.copy(from: initial.params)
        }
        else { startSeasonality(params, filled: filled, bounds: bounds.map(\.validationStart), scales: scales, config: config) }
        // Windows: training rows; validation windows' targets lie in the validation rows.
        var train = ESHybridSamples(history: E, horizon: H), validation = ESHybridSamples(history: E, horizon: H)
        let total = bounds.reduce(0) { $0 + max(0, $1.validationStart - E - H + 1) }
        let stride = max(1, total / 4000)
        for (i, y) in filled.enumerated() {
            let z = y.map { Float($0 / scales[i]) }
            train.append(z, series: i, season: m, firstTarget: 0, rows: 0..<bounds[i].validationStart, stride: stride)
            validation.append(z, series: i, season: m, firstTarget: bounds[i].validationStart, rows: 0..<bounds[i].testStart, stride: stride)
        }
        let trainer = Trainer(model: model, params: params, config: training)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation)
        let untested = ESHybridForecaster(spec: spec, params: trainer.params, provenance: nil)
        let report = try? untested.evaluate(set)
        var history = initial?.provenance?.history ?? []
        history += trainer.history
        let provenance = Provenance(dataFile: dataFile, source: set.source, training: training, history: history, bestEpoch: trainer.bestEpoch,
                                    trainWindows: train.count, validationWindows: validation.count, testWindows: report?.windows ?? 0,
                                    extra: SeriesRecord(rows: set.rowCount, series: set.series.count, testMetrics: report))
        return ESHybridForecaster(spec: spec, params: trainer.params, provenance: provenance)
    }

    /// Initial seasonal indices from a classical decomposition of each series' training rows
    /// (log indices when multiplicative, indices over the scale when additive); flat when a
    /// series holds fewer than two seasons.
    static func startSeasonality(_ params: ParameterStore, filled: [[Double]], bounds: [Int], scales: [Double], config c: ESHybridModel.Config) {
        guard c.seasonal, let view = params.view("es.season0") else { return }
        let m = c.season
        for (i, y) in filled.enumerated() {
            guard let idx = SeasonalDecomposition.indices(y[0..<bounds[i]], period: m, kind: c.multiplicative ? .multiplicative : .additive) else { continue }
            for k in 0..<m {
                let v = c.multiplicative ? log(max(idx[k], 1e-3)) : idx[k] / scales[i]
                view[i * m + k] = Float(v.isFinite ? v : 0)
            }
        }
        params.markModified()
    }

    // MARK: Forecasts

    /// Forecasts `[origin][step]` (data units) from `origins` (series of `set`, last row read),
    /// each from the E rows up to its origin of `filled[series]`.
    func forecasts(_ set: TimeSeriesSet, filled: [[Double]], origins: [(series: Int, end: Int)]) throws -> [[Float]] {
        let c = spec.model
        let E = c.history, H = c.horizon, I = model.inputCount
        let index = try seriesIndex(set)
        var out: [[Float]] = []
        out.reserveCapacity(origins.count)
        let chunk = 256
        var start = 0
        while start < origins.count {
            let part = origins[start..<min(origins.count, start + chunk)]
            var input = [Float](repeating: 0, count: part.count * I)
            for (k, o) in part.enumerated() {
                let y = filled[o.series]
                guard o.end + 1 >= E else {
                    throw DataError.invalidArgument("\(set.source): series '\(set.series[o.series].key ?? "")' has \(o.end + 1) rows before the forecast origin; this model reads \(E)")
                }
                let r = o.end + 1 - E, i = index[o.series], scale = spec.scales[i]
                input[k * I] = Float(i)
                input[k * I + 1] = Float(r % max(1, c.season))
                for t in 0..<E { input[k * I + 2 + t] = Float(y[r + t] / scale) }
            }
            let ws = model.makeWorkspace(batch: part.count)
            let pred = input.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params) }
            for (k, o) in part.enumerated() {
                let scale = Float(spec.scales[index[o.series]])
                out.append((0..<H).map { pred[k * H + $0] * scale })
            }
            start += chunk
        }
        return out
    }

    /// For every series of `set`, the index of its smoothing parameters.
    func seriesIndex(_ set: TimeSeriesSet) throws -> [Int] {
        try set.series.map { series in
            if spec.seriesKeys.count == 1, series.key == nil || spec.seriesKeys[0] == nil { return 0 }
            guard let i = spec.seriesKeys.firstIndex(of: series.key) else {
                throw DataError.invalidArgument("\(set.source): series '\(series.key ?? "")' was not in the training data of this ES-hybrid model (its smoothing parameters are per series)")
            }
            return i
        }
    }

    // MARK: Evaluate and predict

    /// Scores the model and the baselines on the test split of `set` (the windows every series
    /// family is scored on).
    public func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport {
        guard set.columnIndex(spec.window.targets[0]) != nil else { throw DataError.invalidArgument("\(set.source): no column '\(spec.window.targets[0])'") }
        let data = try PreparedData(set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        guard !data.test.isEmpty else {
            throw DataError.invalidArgument("\(set.source): the test split holds no complete window (lookback \(spec.window.lookback) + horizon \(spec.window.horizon)); use a longer file or a larger test fraction")
        }
        let test = data.test.materialized()
        let filled = EnsembleForecaster.filledTargets(set, targets: spec.window.targets).map { $0[0] }
        let f = try forecasts(set, filled: filled, origins: (0..<test.count).map { (test.series[$0], test.end[$0]) })
        let H = spec.window.horizon
        let scaler = data.scaler.scaler(for: spec.window.targets[0])
        var raw = [Float](repeating: .nan, count: test.count * H)
        for w in 0..<test.count { for h in 0..<H { raw[w * H + h] = scaler.transform(f[w][h]) } }
        let outputs = SeriesOutputs(loss: .mse, scaler: data.scaler, targets: spec.window.targets, steps: H)
        return outputs.score(set, test: test, outputs: raw, width: H, split: spec.split, season: spec.seasonLength)
    }

    /// Forecasts the `horizon` steps after the end of every series in `set`.
    public func predict(_ set: TimeSeriesSet) throws -> [SeriesForecast] {
        guard set.columnIndex(spec.window.targets[0]) != nil else { throw DataError.invalidArgument("\(set.source): no column '\(spec.window.targets[0])'") }
        let filled = EnsembleForecaster.filledTargets(set, targets: spec.window.targets).map { $0[0] }
        for (s, y) in filled.enumerated() where y.contains(where: { !$0.isFinite }) {
            throw DataError.invalidArgument("\(set.source): series '\(set.series[s].key ?? "")' has no value in column '\(spec.window.targets[0])'")
        }
        let f = try forecasts(set, filled: filled, origins: set.series.indices.map { ($0, set.series[$0].count - 1) })
        let H = spec.window.horizon
        return set.series.indices.map { s in
            let times = set.futureTimes(series: s, horizon: H)
            let labels = times.isEmpty ? (1...H).map { "+\($0)" } : times.map { set.format($0) }
            return SeriesForecast(key: set.series[s].key, times: times, labels: labels, targets: spec.window.targets,
                                  values: f[s].map { [$0] }, lower: nil, upper: nil, intervalLevel: nil)
        }
    }

    // MARK: Files

    /// Writes the model file atomically: tensors `rnn.*`, `head.*`, `es.*`, the ``ESHybridSpec``
    /// as `config`.
    public func save(to path: String) throws {
        try ModelArchive.model(family: .eshybrid, params: params, spec: spec, provenance: provenance).write(path: path)
    }

    /// Loads and verifies an ES-hybrid model file: the config (``ESHybridSpec/check()``), every
    /// tensor present with its shape, and finite smoothing parameters.
    public static func load(from path: String) throws -> ESHybridForecaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        let spec = try archive.section("config", as: ESHybridSpec.self, path: path)
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: Provenance.self, path: path)
        do { try spec.check() } catch {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "\(error)")
        }
        return try loadMember(spec: spec, tensors: archive.tensors.map { (name: $0.name, tensor: $0.tensor) }, path: path, provenance: provenance)
    }

    /// Builds the model of a checked `spec` from `tensors` (names without `prefix`, which is only
    /// used in messages): every tensor of the layout present with its shape, finite smoothing
    /// parameters. Used for ES-hybrid files and for the ES-hybrid member of an ensemble file.
    static func loadMember(spec: ESHybridSpec, tensors: [(name: String, tensor: Tensor)], path: String, prefix: String = "",
                           provenance: Provenance? = nil) throws -> ESHybridForecaster {
        let model = ESHybridModel(spec.model)
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            guard let t = tensors.first(where: { $0.name == e.name })?.tensor else {
                throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(prefix)\(e.name)'")
            }
            do { try params.assign(e.name, t) }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(prefix)\(e.name): \(error)") }
        }
        for name in ["es.alpha", "es.gamma", "es.season0"] where params.view(name)?.contains(where: { !$0.isFinite }) ?? true {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(prefix)\(name) holds a value that is not a finite number")
        }
        return ESHybridForecaster(spec: spec, params: params, provenance: provenance)
    }

    // MARK: Inspection

    /// α, γ per series (after the sigmoid).
    public var smoothing: [(alpha: Double, gamma: Double)] {
        guard let a = params.view("es.alpha"), let g = params.view("es.gamma") else { return [] }   // always in the layout
        func sigmoid(_ v: Float) -> Double { 1 / (1 + exp(-Double(v))) }
        var out: [(alpha: Double, gamma: Double)] = []
        for i in 0..<spec.model.series { out.append((sigmoid(a[i]), sigmoid(g[i]))) }
        return out
    }
}

extension ESHybridForecaster: SeriesForecasting {
    public var family: ModelFamily { .eshybrid }
    public var horizon: Int { spec.window.horizon }
    public func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast] { try predict(set) }

    /// Continues training on `set` (same series, windowing and scales) with a fresh optimizer.
    public func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String?, checkpointPath: String?, resume: Bool,
                          onEvent: ((TrainingEvent) -> Void)?) throws -> ESHybridForecaster {
        var o = ESHybridOptions()
        o.base.lookback = spec.window.lookback
        o.base.horizon = spec.window.horizon
        o.base.split = spec.split
        o.base.missing = spec.missing
        o.base.training = training
        o.hidden = spec.model.recurrent.hiddenSize
        o.layers = spec.model.recurrent.numLayers
        o.dilations = spec.model.recurrent.dilations
        o.history = spec.model.history
        o.loss = spec.loss
        o.multiplicative = spec.model.multiplicative
        let tuned = try ESHybridForecaster.fit(set, target: spec.window.targets[0], options: o, dataFile: dataFile, initial: self, onEvent: onEvent)
        guard tuned.spec.model == spec.model else {
            throw DataError.invalidArgument("\(set.source): the new data changes the model's series or windows; train a new model instead")
        }
        return tuned
    }
}

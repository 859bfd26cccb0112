import Foundation

/// One series' forecast: `horizon` future steps of every target, in the data's own units.
public struct SeriesForecast: Sendable, Equatable {
    public var key: String?
    /// Timestamps of the forecast steps (ms since the epoch), empty without a time axis.
    public var times: [Int64]
    /// The same, formatted like the input's time column (or step numbers).
    public var labels: [String]
    public var targets: [String]
    /// Point forecasts `[horizon][P]`.
    public var values: [[Float]]
    /// Prediction interval bounds `[horizon][P]` (Gaussian: 80% central interval; quantile
    /// loss: the lowest and highest quantile), nil for point losses.
    public var lower: [[Float]]?
    public var upper: [[Float]]?
    /// Nominal coverage of the interval.
    public var intervalLevel: Float?
    /// Levels of ``quantiles`` (sorted), when the model gives a distribution.
    public var quantileLevels: [Float]? = nil
    /// Quantiles `[horizon][P][K]` at ``quantileLevels`` (ascending per element).
    public var quantiles: [[[Float]]]? = nil
    /// Sample paths `[N][horizon][P]`, when the model samples.
    public var samples: [[[Float]]]? = nil
}

/// The high-level API: fit a recurrent forecaster on a time-series set, forecast, evaluate,
/// save and load.
///
/// ```swift
/// let set = try TimeSeriesSet(table: CSVReader.read(path: "air_passengers.csv"))
/// let model = try Forecaster.fit(set, targets: ["value"])
/// let forecast = try model.predict(set)            // [SeriesForecast], one per series
/// try model.save(to: "air.safetensors")
/// let again = try Forecaster.load(from: "air.safetensors")
/// ```
///
/// A forecaster is immutable after `fit`/`load`; `predict` and `evaluate` use per-call
/// workspaces and are safe to call from many threads at once.
public final class Forecaster: @unchecked Sendable {
    public let spec: ModelSpec
    public let model: SequenceRegressor
    public let params: ParameterStore
    public let provenance: Provenance?
    /// Split conformal calibration (point losses trained with ``ForecasterOptions/conformal``):
    /// the model's intervals at any level.
    public let conformal: ConformalCalibration?

    public init(spec: ModelSpec, params: ParameterStore, provenance: Provenance?, conformal: ConformalCalibration? = nil) {
        self.spec = spec
        self.model = SequenceRegressor(spec.architecture)
        self.params = params
        self.provenance = provenance
        self.conformal = conformal
    }

    // MARK: Fit

    /// Trains a model to forecast `targets` of `set`. The last `split.test` share of every
    /// series is held out (never trained on) and scored into `provenance.testMetrics`.
    ///
    /// With `checkpointPath`, a checkpoint is written atomically after every epoch; with
    /// `resume` and an existing checkpoint there, training continues from it exactly where it
    /// stopped (same data and options give the same final weights as an uninterrupted run).
    public static func fit(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions = ForecasterOptions(),
                           dataFile: String? = nil, checkpointPath: String? = nil, resume: Bool = false,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Forecaster {
        guard !targets.isEmpty else { throw DataError.invalidArgument("no target column given") }
        var options = options
        if let statics = options.statics {
            options.features += statics.names.filter { !options.features.contains($0) && !targets.contains($0) }
        }
        let shards = options.seriesShards
        let shortest = shards?.shortestSeries(set) ?? (set.series.map(\.count).min() ?? 0)
        let (window, season) = try resolveWindow(set, targets: targets, options: options, shortest: shortest)
        try shards?.requireSame([window.lookback, window.horizon, season], what: "lookback, horizon and season")
        let lookback = window.lookback, horizon = window.horizon
        // Per-series scaling of the targets for a global model (several series), unless told
        // otherwise. A series-sharded run (forecast-mpi --shard-series) scales globally: no rank
        // holds every series' factors to save.
        let scope = options.scalerScope ?? (set.series.count > 1 && shards == nil ? .series : .global)
        if shards != nil && scope == .series {
            throw DataError.invalidArgument("--scaler-scope series is not available with --shard-series (each rank holds only its own series); use --scaler-scope global")
        }
        let seriesScaling = scope == .series ? SeriesScaling.fit(set, columns: targets, split: options.split) : nil
        let scaled = seriesScaling.map { $0.apply(to: set, split: options.split) }
        // Category indices are read by the embeddings unscaled.
        let categorical = options.statics?.categorical ?? []
        let data = try PreparedData(scaled?.set ?? set, spec: window, split: options.split, scaler: options.scaler,
                                    columnScalers: Dictionary(categorical.map { ($0.name, ScalerKind.none) }, uniquingKeysWith: { a, _ in a }),
                                    missing: options.missing,
                                    fitScaler: shards.map { plan in { plan.fitScaler($0, $1) } })
        let windowCounts = [data.train.count, data.validation.count, data.test.count].map { shards?.sum($0) ?? $0 }
        if windowCounts[0] == 0 {
            throw DataError.invalidArgument("\(set.source): no training windows: the shortest series has \(shortest) rows, too few for lookback \(lookback) + horizon \(horizon) after holding out \(Int((options.split.validation + options.split.test) * 100))% for validation and test")
        }
        let loss = options.training.loss
        if options.windowScaling != nil {
            if options.levelNormalization {
                throw DataError.invalidArgument("window scaling and level normalisation both re-centre each window; choose one (--window-scaling none or --no-level-norm)")
            }
            if case .gaussian = loss {
                throw DataError.invalidArgument("window scaling is for point and quantile losses; the gaussian loss's log-variances are not in target units (use --window-scaling none)")
            }
        }
        let embeddings = categorical.compactMap { c in data.inputNames.firstIndex(of: c.name).map {
            EmbeddingInput(column: $0, cardinality: (c.levels?.count ?? 0) + 1, dimension: EmbeddingInput.dimension(levels: c.levels?.count ?? 0))
        } }
        let inputSize = data.inputNames.count - embeddings.count + embeddings.reduce(0) { $0 + $1.dimension }
        let architecture = SequenceRegressor.Config(
            recurrent: RecurrentConfig(cell: options.cell, inputSize: inputSize, hiddenSize: options.hidden,
                                       numLayers: options.layers, bidirectional: options.bidirectional, dropout: options.dropout,
                                       dilations: options.dilations, tau: options.tau, learnsTau: options.learnsTau),
            outputs: window.targetLength * loss.outputsPerTarget, embeddings: embeddings)
        do { try architecture.recurrent.validate() } catch { throw DataError.invalidArgument("\(error)") }
        let spec = ModelSpec(
            shared: SeriesDataSpec(loss: loss, window: window, scaler: data.scaler, missing: options.missing,
                                   levelNormalization: options.levelNormalization, inputNames: data.inputNames,
                                   timeColumn: set.timeColumn, seriesKey: set.seriesKeyColumn, frequency: set.frequency,
                                   seasonLength: season, split: options.split, seriesScaling: seriesScaling, statics: options.statics,
                                   windowScaling: options.windowScaling),
            own: RecurrentNetworkSpec(architecture: architecture))
        let trained: (params: ParameterStore, history: [EpochRecord], bestEpoch: Int)
        if let span = options.training.span, span > 1 {
            guard options.windowScaling == nil, shards == nil, !options.bidirectional else {
                throw DataError.invalidArgument("span training reads the rows of consecutive windows in one pass; it is not available with window scaling, series-sharded training or a bidirectional network (its reverse direction would read later windows' targets)")
            }
            var training = options.training
            training.windowsPerEpoch = training.windowsPerEpoch ?? spansPerEpoch
            let trainer = try makeSpanTrainer(spec: spec, training: training, span: span, checkpointPath: checkpointPath, resume: resume)
            trainer.onEvent = onEvent
            trainer.exchange = options.exchange
            try fitSpans(trainer, train: data.train, validation: data.validation, span: span, levelNormalization: options.levelNormalization,
                         checkpointPath: options.writesCheckpoints ? checkpointPath : nil, checkpointSections: try specSection(spec))
            trained = (trainer.params, trainer.history, trainer.bestEpoch)
        } else {
            let trainer = try makeTrainer(spec: spec, training: options.training, checkpointPath: checkpointPath, resume: resume)
            trainer.onEvent = onEvent
            trainer.exchange = options.exchange
            try fitViews(trainer, train: data.train, validation: data.validation, levelNormalization: options.levelNormalization,
                         windowScaling: options.windowScaling, targets: targets.count, checkpointPath: options.writesCheckpoints ? checkpointPath : nil,
                         checkpointSections: try specSection(spec), shards: shards)
            trained = (trainer.params, trainer.history, trainer.bestEpoch)
        }
        let params = trained.params
        var calibration: ConformalCalibration? = nil
        if options.conformal {
            guard shards == nil else { throw DataError.invalidArgument("conformal intervals are not available with series-sharded training") }
            guard !data.validation.isEmpty else {
                throw DataError.invalidArgument("\(set.source): conformal intervals need validation windows, and the validation split holds none (lookback \(lookback) + horizon \(horizon)); raise --val-fraction")
            }
            let model = Forecaster(spec: spec, params: params, provenance: nil)
            let extra = options.conformalRule == .cross
                ? try crossResiduals(set, targets: targets, options: options, window: window, scaleRows: model.conformalScaleRows, factors: scaled?.factors,
                                     validation: model.heldOutResiduals(data, set: scaled?.set ?? set, rows: model.conformalScaleRows) { s in
                                         let (vStart, tStart) = options.split.boundaries(rows: set.series[s].count)
                                         return vStart..<tStart
                                     }) : nil
            calibration = model.calibrate(data, set: scaled?.set ?? set, score: options.conformalScore, rule: options.conformalRule, extra: extra)
        }
        let untested = Forecaster(spec: spec, params: params, provenance: nil, conformal: calibration)
        // Series-sharded: each process sees only its series, so no test metrics in the file.
        let report = data.test.isEmpty || shards != nil ? nil : try untested.evaluate(set, prepared: data, factors: scaled?.factors)
        let provenance = Provenance(
            dataFile: dataFile, source: set.source, training: options.training, history: trained.history, bestEpoch: trained.bestEpoch,
            trainWindows: windowCounts[0], validationWindows: windowCounts[1], testWindows: windowCounts[2],
            extra: SeriesRecord(rows: shards?.sum(set.rowCount) ?? set.rowCount, series: shards?.seriesCount ?? set.series.count,
                                testMetrics: report))
        return Forecaster(spec: spec, params: params, provenance: provenance, conformal: calibration)
    }

    /// The window (lookback, horizon, columns) and season length `fit` uses for `options` on
    /// `set`: season from the frequency (detected from the first target's autocorrelation when
    /// the file has no time axis); horizon one season (1 without); lookback two seasons, at
    /// least 8, at most half the training rows of the shortest series.
    /// `shortest`: the shortest series' rows when `set` holds only part of the data (sharded).
    public static func resolveWindow(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions,
                                     shortest: Int? = nil) throws -> (WindowSpec, season: Int) {
        var season = max(1, set.report.seasonLength ?? set.frequency?.seasonLength ?? 1)
        let shortest = shortest ?? (set.series.map(\.count).min() ?? 0)
        if set.frequency == nil, let first = targets.first, let c = set.columnIndex(first), let series = set.series.first {
            // No time axis: detect the period from the training rows of the first target.
            let end = options.split.boundaries(rows: series.count).validationStart
            season = SeasonDetection.detect(series.values[c][0..<end]) ?? 1
        }
        let horizon = options.horizon ?? (season > 1 ? season : 1)
        let trainRows = Int(Double(shortest) * (1 - options.split.validation - options.split.test))
        let lookback = options.lookback ?? max(8, min(2 * season, max(1, (trainRows - horizon) / 2)))
        guard lookback >= 1, horizon >= 1 else { throw DataError.invalidArgument("lookback and horizon must be at least 1") }
        let window = WindowSpec(lookback: lookback, horizon: horizon, targets: targets, features: options.features,
                                knownFuture: options.knownFuture, calendar: options.calendar)
        return (window, season)
    }

    /// A fresh trainer, or one restored from `checkpointPath` when `resume` is set and the file
    /// exists (its model must match `spec`).
    static func makeTrainer(spec: ModelSpec, training: TrainingConfig, checkpointPath: String?, resume: Bool,
                            initial: ParameterStore? = nil) throws -> Trainer<WindowedRegressor> {
        try Trainer.starting(model: WindowedRegressor(.init(regressor: spec.architecture, length: spec.window.lookback)),
                             config: training, initial: initial, checkpointPath: checkpointPath, resume: resume, spec: spec)
    }

    /// Spans drawn per epoch of span training unless `windowsPerEpoch` says otherwise: 125
    /// minibatches of 32 (all spans when there are fewer).
    public static let spansPerEpoch = 4_000

    /// A fresh span trainer (``SpanRegressor``) for `spec`'s windowed model, or one restored from
    /// `checkpointPath` when `resume` is set and the file exists.
    static func makeSpanTrainer(spec: ModelSpec, training: TrainingConfig, span: Int, checkpointPath: String?, resume: Bool,
                                initial: ParameterStore? = nil) throws -> Trainer<SpanRegressor> {
        let model = SpanRegressor(.init(regressor: spec.architecture, length: spec.window.lookback, span: span,
                                        outputsPerTarget: spec.loss.outputsPerTarget, truncation: training.spanTruncation))
        return try Trainer.starting(model: model, config: training, initial: initial, checkpointPath: checkpointPath, resume: resume, spec: spec)
    }

    /// Trains on spans of `span` consecutive windows (``WindowSpans``): training spans start at
    /// every window, validation spans tile the validation windows.
    static func fitSpans(_ trainer: Trainer<SpanRegressor>, train: WindowViews, validation: WindowViews, span: Int, levelNormalization: Bool,
                         checkpointPath: String?, checkpointSections: [String: String]) throws {
        let t = WindowSpans(train, span: span, step: 1, levelNormalized: levelNormalization)
        let v = WindowSpans(validation, span: span, step: span, levelNormalized: levelNormalization)
        try trainer.fit(train: t, validation: v.isEmpty ? nil : v, checkpointPath: checkpointPath, checkpointSections: checkpointSections)
    }

    /// Trains on window views, level-normalised or window-scaled as they are gathered when the
    /// model asks for it.
    static func fitViews(_ trainer: Trainer<WindowedRegressor>, train: WindowViews, validation: WindowViews, levelNormalization: Bool,
                         windowScaling: WindowScaling? = nil,
                         targets P: Int, checkpointPath: String?, checkpointSections: [String: String],
                         shards: SeriesShardPlan? = nil) throws {
        func fit<T: TrainingSamples>(_ t: T, _ v: T) throws {
            if let shards {   // global windows over every process's series (collectives, in the same order on every rank)
                let n = shards.globalSeries.count
                let st = shards.samples(t, counts: train.windowCounts(series: n))
                let sv = shards.samples(v, counts: validation.windowCounts(series: n))
                try trainer.fit(train: st, validation: sv.isEmpty ? nil : sv, checkpointPath: checkpointPath, checkpointSections: checkpointSections)
            } else {
                try trainer.fit(train: t, validation: v.isEmpty ? nil : v, checkpointPath: checkpointPath, checkpointSections: checkpointSections)
            }
        }
        if let windowScaling {
            try fit(train.windowScaled(windowScaling, targets: P), validation.windowScaled(windowScaling, targets: P))
        } else if levelNormalization {
            try fit(train.levelNormalized(targets: P), validation.levelNormalized(targets: P))
        } else {
            try fit(train, validation)
        }
    }

    static func specSection(_ spec: ModelSpec) throws -> [String: String] { try Trainer<WindowedRegressor>.specSection(spec) }

    /// Warm start: continues training this model on `set` for `training.epochs` epochs with a
    /// fresh optimizer, keeping its architecture, windowing and scaler (so the weights keep
    /// their meaning). Returns a new forecaster; `self` is unchanged.
    public func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String? = nil,
                          checkpointPath: String? = nil, resume: Bool = false,
                          onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Forecaster {
        let scaled = seriesScaled(set, split: spec.split)
        let data = try PreparedData(scaled.set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        let train = rescale(data.train, from: data.scaler), validation = rescale(data.validation, from: data.scaler)
        if train.isEmpty { throw TrainingError.emptyTrainingSet }
        var cfg = training
        cfg.loss = spec.loss
        let trainer = try Forecaster.makeTrainer(spec: spec, training: cfg, checkpointPath: checkpointPath, resume: resume, initial: params)
        trainer.onEvent = onEvent
        try Forecaster.fitViews(trainer, train: train, validation: validation, levelNormalization: spec.levelNormalization,
                                windowScaling: spec.windowScaling,
                                targets: spec.window.targets.count, checkpointPath: checkpointPath,
                                checkpointSections: try Forecaster.specSection(spec))
        // A conformal model is recalibrated on the new validation windows (its residuals change with the weights).
        // A cross calibration becomes rolling: a refit at an earlier origin would start from weights that saw its held-out rows.
        var calibration = conformal
        if let c = conformal, !validation.isEmpty {
            calibration = Forecaster(spec: spec, params: trainer.params, provenance: nil)
                .calibrate(data, set: scaled.set, score: c.score, rule: c.rule == .cross ? .rolling : c.rule)
        }
        let tuned = Forecaster(spec: spec, params: trainer.params, provenance: nil, conformal: calibration)
        let report = data.test.isEmpty ? nil : try tuned.evaluate(set, prepared: data, factors: scaled.factors)
        let prov = Provenance(
            dataFile: dataFile, source: set.source, training: cfg, history: (provenance?.history ?? []) + trainer.history,
            bestEpoch: trainer.bestEpoch, trainWindows: data.train.count, validationWindows: data.validation.count, testWindows: data.test.count,
            extra: SeriesRecord(rows: set.rowCount, series: set.series.count, testMetrics: report))
        return Forecaster(spec: spec, params: trainer.params, provenance: prov, conformal: calibration)
    }

    // MARK: Predict

    /// Raw model outputs for windows `x [N, lookback, F]` in model units: `[N, outputs]`
    /// (level normalisation or window scaling undone). Thread-safe.
    public func predictScaled(_ x: [Float], windows n: Int) -> [Float] {
        let T = spec.window.lookback, F = spec.inputNames.count, P = spec.window.targets.count
        let M = spec.window.targetLength, K = spec.loss.outputsPerTarget
        var input = x
        var levels: [Float] = []
        var windowStats: (centre: [Float], scale: [Float]) = ([], [])
        if let scaling = spec.windowScaling {
            windowStats = input.withUnsafeBufferPointer { scaling.statistics(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
            input.withUnsafeMutableBufferPointer {
                WindowScaling.normalizeInputs($0.baseAddress!, centre: windowStats.centre, scale: windowStats.scale, windows: n, lookback: T, features: F, targets: P)
            }
        } else if spec.levelNormalization {
            levels = input.withUnsafeBufferPointer { LevelNormalization.levels(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
            input.withUnsafeMutableBufferPointer { LevelNormalization.normalizeInputs($0.baseAddress!, levels: levels, windows: n, lookback: T, features: F, targets: P) }
        }
        var out = [Float](repeating: 0, count: n * M * K)
        let chunk = 256
        var rng = SeededGenerator(seed: 0)
        var ws: SequenceRegressor.Workspace? = nil
        var start = 0
        while start < n {
            let b = min(chunk, n - start)
            if ws?.batch != b { ws = SequenceRegressor.Workspace(model: model, batch: b, length: T) }
            let pred = input.withUnsafeBufferPointer { model.forward($0.baseAddress! + start * T * F, workspace: ws!, params: params, rng: &rng) }
            out.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * M * K).update(from: pred.pointer, count: b * M * K) }
            start += b
        }
        if spec.windowScaling != nil {
            out.withUnsafeMutableBufferPointer {
                WindowScaling.denormalize($0.baseAddress!, centre: windowStats.centre, scale: windowStats.scale, windows: n, stepsTimesP: M, targets: P, blocks: K)
            }
        } else if spec.levelNormalization {
            let levelBlocks: Int
            switch spec.loss { case .gaussian: levelBlocks = 1; default: levelBlocks = K }
            out.withUnsafeMutableBufferPointer {
                LevelNormalization.shift($0.baseAddress!, levels: levels, windows: n, stepsTimesP: M, targets: P, blocks: K, levelBlocks: levelBlocks, sign: 1)
            }
        }
        return out
    }

    /// Decoding and scoring of this model's raw outputs (shared with the other series family).
    var outputs: SeriesOutputs {
        SeriesOutputs(loss: spec.loss, scaler: spec.scaler, targets: spec.window.targets, steps: spec.window.targetLength / max(1, spec.window.targets.count),
                      conformal: conformal)
    }
    var intervalBlocks: (lower: Int, upper: Int, level: Float)? { outputs.intervalBlocks }
    /// Converts raw outputs of one window to (point, lower, upper) per `[step][P]` in data units.
    func decode(_ out: ArraySlice<Float>) -> (values: [[Float]], lower: [[Float]]?, upper: [[Float]]?) { outputs.decode(out) }

    /// Forecasts the `horizon` steps after the end of every series in `set`, with quantiles at
    /// `levels` (default: the levels the model is scored on) when the model gives a
    /// distribution (Gaussian or quantile head, conformal calibration). Thread-safe.
    public func predict(_ set: TimeSeriesSet, levels: [Float]? = nil) throws -> [SeriesForecast] {
        guard spec.window.mode == .manyToOne else { throw DataError.invalidArgument("this model forecasts per input step (many-to-many); use predictScaled") }
        let scaled = seriesScaled(set, split: nil)
        let input = try ForecastInput(scaled.set, spec: spec.window, scaler: spec.scaler, missing: spec.missing == .drop ? .error : spec.missing)
        let n = input.seriesKeys.count
        let out = predictScaled(input.x, windows: n)
        let width = spec.outputs
        let scales = conformalScales(input.x, windows: n)
        return try (0..<n).map { s in
            let raw = out[(s * width)..<((s + 1) * width)]
            let d = decode(raw)
            let labels = input.futureLabels[s].isEmpty ? (1...spec.window.horizon).map { "+\($0)" } : input.futureLabels[s]
            let qLevels = (levels ?? outputs.scoreLevels)?.sorted()
            let q = try qLevels.flatMap { try outputs.quantiles(raw, levels: $0, scales: scales?[s]) }
            var f = SeriesForecast(key: input.seriesKeys[s], times: input.futureTimes[s], labels: labels, targets: spec.window.targets,
                                   values: d.values, lower: d.lower, upper: d.upper, intervalLevel: intervalBlocks?.level,
                                   quantileLevels: q == nil ? nil : qLevels, quantiles: q)
            if let factors = scaled.factors { f.multiply(by: factors[s]) }
            return f
        }
    }

    /// Recursive forecasting: predicts one step, appends it to the window as if observed, and
    /// repeats `steps` times (default: the model's horizon), using only each prediction's first
    /// step. For models whose inputs are their targets alone (no covariates, whose future values
    /// would be unknown). Point forecasts only. Thread-safe.
    public func predictRecursive(_ set: TimeSeriesSet, steps: Int? = nil) throws -> [SeriesForecast] {
        let w = spec.window
        guard w.features.isEmpty, w.knownFuture.isEmpty, w.calendar.isEmpty, spec.inputNames.count == w.targets.count else {
            throw DataError.invalidArgument("--recursive needs a model whose only inputs are its targets; this one also reads \(spec.inputNames.filter { !w.targets.contains($0) }.joined(separator: ", ")), whose future values are unknown")
        }
        guard w.mode == .manyToOne else { throw DataError.invalidArgument("--recursive needs a many-to-one model") }
        let H = steps ?? w.horizon
        let scaled = seriesScaled(set, split: nil)
        let input = try ForecastInput(scaled.set, spec: w, scaler: spec.scaler, missing: spec.missing == .drop ? .error : spec.missing)
        let n = input.seriesKeys.count, T = w.lookback, P = w.targets.count
        var x = input.x                                              // [n, T, P], scaled
        var values = [[[Float]]](repeating: [], count: n)           // [n][H][P], scaled
        let width = spec.outputs
        for _ in 0..<H {
            let out = predictScaled(x, windows: n)
            for s in 0..<n {
                var next = [Float](repeating: 0, count: P)
                for p in 0..<P { next[p] = out[s * width + spec.loss.pointIndex(target: p, targets: w.targetLength)] }
                values[s].append(next)
                let base = s * T * P
                for i in 0..<((T - 1) * P) { x[base + i] = x[base + P + i] }
                for p in 0..<P { x[base + (T - 1) * P + p] = next[p] }
            }
        }
        return (0..<n).map { s in
            let decoded = values[s].map { row in row.enumerated().map { p, v in spec.scaler.scaler(for: w.targets[p]).inverse(v) } }
            var times: [Int64] = []
            var labels: [String] = []
            if let last = set.series[s].times?.last, let f = set.frequency {
                times = f.continuing(after: last, count: H, offsetMinutes: set.timeFormat?.offsetMinutes ?? 0)
                labels = times.map { set.format($0) }
            } else {
                labels = (1...H).map { "+\($0)" }
            }
            var f = SeriesForecast(key: input.seriesKeys[s], times: times, labels: labels, targets: w.targets, values: decoded,
                                   lower: nil, upper: nil, intervalLevel: nil)
            if let factors = scaled.factors { f.multiply(by: factors[s]) }
            return f
        }
    }

    // MARK: Evaluate

    /// Scores the model and the baselines on the test split of `set` (the last `split.test`
    /// share of each series, as at training time).
    public func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport {
        let scaled = seriesScaled(set, split: spec.split)
        let data = try PreparedData(scaled.set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        return try evaluate(set, prepared: data, factors: scaled.factors)
    }

    /// `set` with this model's per-series scaling applied (``SeriesScaling/apply(to:split:)``:
    /// series it never saw get factors from their own rows, the training rows under `split`),
    /// and the factors per series; `set` itself and nil for a model without it.
    public func seriesScaled(_ set: TimeSeriesSet, split: SplitSpec?) -> (set: TimeSeriesSet, factors: [[Float]]?) {
        guard let scaling = spec.seriesScaling else { return (set, nil) }
        let r = scaling.apply(to: set, split: split)
        return (r.set, r.factors)
    }

    /// Scores `data` (prepared from `set` after per-series scaling with `factors`, when given)
    /// against the actual values of `set`.
    func evaluate(_ set: TimeSeriesSet, prepared data: PreparedData, factors: [[Float]]? = nil) throws -> EvaluationReport {
        guard !data.test.isEmpty else {
            throw DataError.invalidArgument("\(set.source): the test split holds no complete window (lookback \(spec.window.lookback) + horizon \(spec.window.horizon)); use a longer file or a larger test fraction")
        }
        let test = rescale(data.test, from: data.scaler)
        let out = predictScaled(test)
        let scales = conformal?.isLocallyScaled == true ? test.materialized().x : nil
        let local = scales.flatMap { conformalScales($0, windows: test.count) }
        var scoring = outputs
        scoring.seriesFactors = factors
        return scoring.score(set, test: test, outputs: out, width: spec.outputs, split: spec.split, season: spec.seasonLength, localScales: local)
    }

    /// Raw model outputs `[N, outputs]` for every window of `windows` (scaled like this
    /// model), gathered and forecast 256 windows at a time: memory O(256 windows), outputs
    /// identical to ``predictScaled(_:windows:)`` on the copied windows.
    public func predictScaled(_ windows: WindowViews) -> [Float] {
        let n = windows.count, chunk = 256
        let xs = windows.lookback * windows.features, width = spec.outputs
        var out = [Float](repeating: 0, count: n * width)
        var x = [Float](repeating: 0, count: min(chunk, n) * xs)
        var y = [Float](repeating: 0, count: min(chunk, n) * windows.targetLength)
        var start = 0
        while start < n {
            let b = min(chunk, n - start)
            x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                windows.gather(start..<(start + b), input: xp.baseAddress!, target: yp.baseAddress!)
            } }
            let part = predictScaled(b == chunk ? x : Array(x[0..<(b * xs)]), windows: b)
            out.withUnsafeMutableBufferPointer { o in part.withUnsafeBufferPointer { p in
                (o.baseAddress! + start * width).update(from: p.baseAddress!, count: b * width)
            } }
            start += b
        }
        return out
    }

    /// Re-expresses windows scaled with `other` in this model's scaling (data columns only;
    /// calendar features are not scaled).
    func rescale(_ w: Windows, from other: Scaler) -> Windows {
        w.rescaled(from: other, to: spec.scaler, inputColumns: spec.window.inputColumns, targets: spec.window.targets)
    }

    func rescale(_ w: WindowViews, from other: Scaler) -> WindowViews {
        w.rescaled(from: other, to: spec.scaler, inputColumns: spec.window.inputColumns)
    }

    // MARK: Files

    /// Writes the model file atomically (see docs/model-format.md).
    public func save(to path: String) throws {
        var archive = try ModelArchive.model(family: .recurrent, params: params, spec: spec, provenance: provenance)
        if let conformal { try archive.setSection("conformal", conformal) }
        try archive.write(path: path)
    }

    /// Loads and verifies a model file (format, version, checksum, tensor names and shapes).
    public static func load(from path: String) throws -> Forecaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        let spec = try archive.section("config", as: ModelSpec.self, path: path)
        try ModelFileCheck.check(spec, tensors: archive.tensors, path: path)
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: Provenance.self, path: path)
        let model = SequenceRegressor(spec.architecture)
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            guard let t = archive[e.name] else { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(e.name)'") }
            do { try params.assign(e.name, t) }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(error)") }
        }
        let conformal = archive.sections["conformal"] == nil ? nil : try archive.section("conformal", as: ConformalCalibration.self, path: path)
        if let c = conformal, c.residuals.count != spec.window.targetLength {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "conformal", reason: "holds \(c.residuals.count) residual lists for \(spec.window.targetLength) forecast elements")
        }
        return Forecaster(spec: spec, params: params, provenance: provenance, conformal: conformal)
    }
}

/// The toolkit's version, recorded in model provenance.
public let forecastVersion = "0.1.0"

extension SeriesForecast {
    /// Multiplies every value of target p (points, bounds, quantiles, samples) by `factors[p]`:
    /// undoes per-series scaling (``SeriesScaling``). Positive factors keep bounds ordered.
    mutating func multiply(by factors: [Float]) {
        guard factors.contains(where: { $0 != 1 }) else { return }
        func scale(_ rows: [[Float]]) -> [[Float]] { rows.map { row in row.enumerated().map { $1 * factors[$0] } } }
        values = scale(values)
        lower = lower.map(scale)
        upper = upper.map(scale)
        quantiles = quantiles?.map { step in step.enumerated().map { p, qs in qs.map { $0 * factors[p] } } }
        samples = samples?.map(scale)
    }
}

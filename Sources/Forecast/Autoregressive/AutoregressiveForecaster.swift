import Foundation

/// Settings of ``AutoregressiveForecaster/fit(_:target:options:dataFile:checkpointPath:resume:onEvent:)``.
public struct AutoregressiveOptions: Sendable {
    public var likelihood: Likelihood = .gaussian
    public var cell: CellKind = .lstm
    public var hidden = 40
    public var layers = 2
    /// Steps the network reads before forecasting; nil: two seasons (at least 8).
    public var context: Int? = nil
    /// Steps to forecast; nil: one season (1 without).
    public var horizon: Int? = nil
    public var split = SplitSpec(validation: 0.1, test: 0.1)
    /// Sample paths drawn per series when evaluating (scores) and by default when forecasting.
    public var samples = 200
    /// Rows between consecutive training windows; nil: 1 (every window; large sets are
    /// sampled per epoch, `windowsPerEpoch`).
    public var windowStride: Int? = nil
    /// Extra lags of the target fed at every step (``AutoregressiveInputs``); nil: one season
    /// back when the data has a season (and the training rows leave room for it).
    public var lags: [Int]? = nil
    /// Covariate columns, known at every step including the forecast ones (the evaluation
    /// reads their actual values; `predict` reads them from rows with an empty target after
    /// the history).
    public var covariates: [String] = []
    /// Calendar inputs; nil: by frequency (``AutoregressiveInputs/defaultCalendar(_:)``) when
    /// the data has timestamps, else a season-phase pair by row index when it has a season.
    public var calendar: [CalendarFeature]? = nil
    /// false: no calendar or phase inputs at all.
    public var timeFeatures = true
    /// Stretch the paths' spread per step to the validation split's coverage
    /// (``AutoregressiveForecaster/spreadFactors(_:workers:)``).
    public var calibrateSpread = true
    /// Window scaling; nil: `standard` for the Gaussian and Student-t likelihoods, `mean` for
    /// the negative binomial (counts need a non-negative mean).
    public var scaling: AutoregressiveScaling? = nil
    /// Training size; each nil is chosen from the number of training windows W
    /// (``AutoregressiveOptions/sized(windows:)``) and replaces `training`'s value.
    public var epochs: Int? = nil
    public var batchSize: Int? = nil
    public var patience: Int? = nil
    public var windowsPerEpoch: Int? = nil
    /// The rest of the training settings (learning rate, seed, workers, ...).
    public var training: TrainingConfig

    public init() {
        var t = TrainingConfig()
        t.epochs = 40
        t.batchSize = 64
        t.learningRate = 3e-3
        t.patience = 8
        t.workers = defaultWorkers()
        training = t
    }

    /// Training settings for W training windows, the unset ones by size: N = min(W, 2,000)
    /// windows per epoch (sampled when W is larger), batch 64 (down to 16 for small sets: N/8),
    /// enough epochs for about 2,000 optimizer steps (40 to 400) and patience a tenth of them
    /// (at least 8). A 144-row series then trains for hundreds of small epochs instead of 40
    /// steps in all.
    public func sized(windows W: Int) -> TrainingConfig {
        var t = training
        let N = windowsPerEpoch.map { min(max(1, $0), W) } ?? min(W, 2_000)
        t.windowsPerEpoch = N < W ? N : nil
        t.batchSize = batchSize ?? max(16, min(64, N / 8))
        let steps = max(1, (N + t.batchSize - 1) / t.batchSize)
        t.epochs = epochs ?? max(40, min(400, (2_000 + steps - 1) / steps))
        t.patience = patience ?? max(8, t.epochs / 10)
        return t
    }
}

/// What the model file's `config` section holds for the autoregressive family.
public struct AutoregressiveSpec: Codable, Sendable, Equatable {
    public var model: AutoregressiveRegressor.Config
    public var likelihood: Likelihood
    public var context: Int
    public var horizon: Int
    public var target: String
    public var timeColumn: String?
    public var seriesKey: String?
    public var frequency: Frequency?
    public var seasonLength: Int
    public var split: SplitSpec
    public var samples: Int
    /// Seed of the sample paths (the training seed).
    public var seed: UInt64
    /// Inputs beyond the previous value (lags, covariates, calendar); nil in files of the
    /// family's first form, which read y_{t−1}/ν only.
    public var inputs: AutoregressiveInputs? = nil
    /// Spread calibration: per step the factor κ_h stretching the draws about their median
    /// (``AutoregressiveForecaster/spreadFactors(_:workers:)``); nil: the paths as drawn.
    public var spread: [Float]? = nil
}

/// The DeepAR-style family: an LSTM/GRU/RNN fed the previous value of the target (divided by
/// the series scale ν) at every step, trained with teacher forcing on the negative
/// log-likelihood of the next value (``Likelihood``: Gaussian, Student-t, negative binomial) through
/// the one ``Trainer``, and forecasting by ancestral sampling: N paths per series, each step's
/// draw fed back as the next input.
///
/// Sampling is seeded: path p draws from `SeededGenerator(seed).fork(p)` and paths run in fixed
/// chunks, so the paths are identical for any thread count.
public final class AutoregressiveForecaster: @unchecked Sendable {
    public let spec: AutoregressiveSpec
    public let model: AutoregressiveRegressor
    public let params: ParameterStore
    public let provenance: Provenance?

    public init(spec: AutoregressiveSpec, params: ParameterStore, provenance: Provenance?) {
        self.spec = spec
        self.model = AutoregressiveRegressor(spec.model)
        self.params = params
        self.provenance = provenance
    }

    // MARK: Fit

    public static func fit(_ set: TimeSeriesSet, target: String, options: AutoregressiveOptions = AutoregressiveOptions(),
                           dataFile: String? = nil, checkpointPath: String? = nil, resume: Bool = false,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> AutoregressiveForecaster {
        guard let col = set.columnIndex(target) else { throw DataError.invalidArgument("\(set.source): no column '\(target)'") }
        var base = ForecasterOptions()
        base.horizon = options.horizon
        base.lookback = options.context
        base.split = options.split
        let (window, season) = try Forecaster.resolveWindow(set, targets: [target], options: base)
        let C = window.lookback, H = window.horizon
        if options.likelihood == .negativeBinomial {
            for s in set.series {
                if let bad = s.values[col].firstIndex(where: { $0.isFinite && ($0 < 0 || $0 != $0.rounded()) }) {
                    throw DataError.invalidArgument("\(set.source): line \(s.lines[bad]): column '\(target)' holds \(s.values[col][bad]); the negative binomial likelihood needs counts (non-negative integers)")
                }
            }
        }
        let inputs = try resolveInputs(set, target: target, season: season, context: C, horizon: H, options: options)
        let offset = set.timeFormat?.offsetMinutes ?? 0
        let covariateColumns = inputs.covariates.compactMap { set.columnIndex($0) }
        var train = AutoregressiveSamples(context: C, horizon: H, inputs: inputs), validation = train
        let stride = max(1, options.windowStride ?? 1)
        for s in set.series {
            let (v, t) = options.split.boundaries(rows: s.count)
            let known = inputs.knownCount == 0 ? [] : inputs.known(s, columns: covariateColumns, rows: 0..<s.count, offsetMinutes: offset)
            train.append(s.values[col], known: known, rows: 0..<v, stride: stride)
            validation.append(s.values[col], known: known, rows: max(0, v - C)..<t, stride: stride)
        }
        if train.isEmpty {
            throw DataError.invalidArgument("\(set.source): no training windows: the series are too short for context \(C) + horizon \(H)\(inputs.reach > 1 ? " after the largest lag \(inputs.reach)" : "") after holding out \(Int((options.split.validation + options.split.test) * 100))% for validation and test")
        }
        let K = options.likelihood.parameterCount
        let config = AutoregressiveRegressor.Config(
            regressor: .init(recurrent: RecurrentConfig(cell: options.cell, inputSize: inputs.featureCount, hiddenSize: options.hidden, numLayers: options.layers),
                             outputs: K, readout: .everyStep),
            length: C + H)
        var training = options.sized(windows: train.count)
        training.loss = .likelihood(options.likelihood)
        let spec = AutoregressiveSpec(model: config, likelihood: options.likelihood, context: C, horizon: H, target: target,
                                      timeColumn: set.timeColumn, seriesKey: set.seriesKeyColumn, frequency: set.frequency,
                                      seasonLength: season, split: options.split, samples: options.samples, seed: training.seed, inputs: inputs)
        let trainer = try Trainer.starting(model: AutoregressiveRegressor(config), config: training, checkpointPath: checkpointPath,
                                           resume: resume, spec: spec)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation, checkpointPath: checkpointPath,
                        checkpointSections: try Trainer<AutoregressiveRegressor>.specSection(spec))
        var calibrated = spec
        if options.calibrateSpread {
            calibrated.spread = try AutoregressiveForecaster(spec: spec, params: trainer.params, provenance: nil).spreadFactors(set, workers: training.workers)
        }
        let untested = AutoregressiveForecaster(spec: calibrated, params: trainer.params, provenance: nil)
        let report = try? untested.evaluate(set)
        let provenance = Provenance(dataFile: dataFile, source: set.source, training: training, history: trainer.history, bestEpoch: trainer.bestEpoch,
            trainWindows: train.count, validationWindows: validation.count, testWindows: report?.windows ?? 0,
            extra: SeriesRecord(rows: set.rowCount, series: set.series.count, testMetrics: report))
        return AutoregressiveForecaster(spec: calibrated, params: trainer.params, provenance: provenance)
    }

    /// The inputs `options` ask for on `set`: lags (default one season back, when the training
    /// rows hold at least two windows past it), standardised covariates (training rows' mean and
    /// standard deviation), calendar or season-phase features.
    static func resolveInputs(_ set: TimeSeriesSet, target: String, season: Int, context C: Int, horizon H: Int,
                              options: AutoregressiveOptions) throws -> AutoregressiveInputs {
        let shortestTrain = set.series.map { options.split.boundaries(rows: $0.count).validationStart }.min() ?? 0
        var lags: [Int]
        if let given = options.lags {
            lags = Array(Set(given.filter { $0 > 1 })).sorted()
            if let bad = given.first(where: { $0 < 1 || $0 > 100_000 }) { throw DataError.invalidArgument("lag \(bad): lags must be in 1...100000 (1, the previous value, is always an input)") }
        } else {
            lags = season > 1 && shortestTrain >= season + C + H + 2 ? [season] : []
        }
        let scaling = options.scaling ?? (options.likelihood == .negativeBinomial ? .mean : .standard)
        if scaling != .mean && options.likelihood == .negativeBinomial {
            throw DataError.invalidArgument("the negative binomial likelihood needs mean scaling (counts cannot be shifted)")
        }
        var inputs = AutoregressiveInputs(lags: lags, scaling: scaling)
        for name in options.covariates where !inputs.covariates.contains(name) {
            guard name != target else { throw DataError.invalidArgument("\(set.source): '\(name)' is the target; the model reads its past already") }
            guard let c = set.columnIndex(name) else { throw DataError.invalidArgument("\(set.source): no column '\(name)'") }
            var sum = 0.0, sq = 0.0, n = 0
            for s in set.series {
                let v = options.split.boundaries(rows: s.count).validationStart
                for x in s.values[c][0..<v] where x.isFinite { sum += Double(x); sq += Double(x) * Double(x); n += 1 }
            }
            guard n > 0 else { throw DataError.invalidArgument("\(set.source): column '\(name)' has no values in the training rows") }
            let mean = sum / Double(n), sd = (max(0, sq / Double(n) - mean * mean)).squareRoot()
            inputs.covariates.append(name)
            inputs.covariateMean.append(Float(mean))
            inputs.covariateScale.append(sd > 1e-12 ? Float(sd) : 1)
        }
        if options.timeFeatures {
            let timed = set.series.allSatisfy { $0.times != nil }
            if let calendar = options.calendar {
                guard calendar.isEmpty || timed else {
                    throw DataError.invalidArgument("\(set.source): calendar features need timestamps (give a time column, or --step and --start)")
                }
                inputs.calendar = calendar
            } else if timed, let f = set.frequency {
                inputs.calendar = AutoregressiveInputs.defaultCalendar(f)
            } else if season > 1 {
                inputs.phasePeriod = season
            }
        }
        return inputs
    }

    // MARK: Sampling

    /// Paths per chunk: each chunk is one batched pass per step, whoever runs it.
    public static let chunk = 250

    /// Inputs per step of this model.
    public var features: Int { spec.inputs?.featureCount ?? 1 }
    /// Known inputs per step (covariates, calendar, phase): ``samplePaths(history:known:origin:paths:seed:stream:workers:)`` needs them.
    public var knownCount: Int { spec.inputs?.knownCount ?? 0 }
    /// Rows of history a forecast reads: context + the largest lag (at least 1).
    public var historyNeeded: Int { spec.context + (spec.inputs?.reach ?? 1) }

    /// `paths` sample paths `[paths][horizon]` of the `horizon` steps after `history` (data
    /// units; the last ``historyNeeded`` values are read), for a model without known inputs.
    /// `seed` and `stream` pick the random streams (path p of stream s draws from
    /// `SeededGenerator(seed).fork(s).fork(p)`); `workers` threads run the chunks — the result
    /// does not depend on it.
    public func samplePaths(history: ArraySlice<Float>, paths: Int, seed: UInt64, stream: UInt64 = 0, workers: Int = 1) throws -> [[Float]] {
        guard knownCount == 0 else {
            throw DataError.invalidArgument("the model reads covariates or time features at every step; give them (samplePaths(history:known:origin:...), or predict/evaluate a data set)")
        }
        return try samplePaths(history: history, known: [], origin: history.count, paths: paths, seed: seed, stream: stream, workers: workers)
    }

    /// Sample paths with known inputs, stretched by the model's spread calibration (when it has
    /// one; ``spreadFactors(_:workers:)``): `known` holds the known inputs
    /// (``AutoregressiveInputs/appendKnown(to:row:covariates:time:offsetMinutes:)``) of the
    /// `context` rows before `origin` and the `horizon` rows from it, `[(C + H), knownCount]`;
    /// `origin` is the row index of the first forecast step (`history` ends just before it).
    public func samplePaths(history: ArraySlice<Float>, known: [Float], origin: Int, paths: Int, seed: UInt64, stream: UInt64 = 0,
                            workers: Int = 1) throws -> [[Float]] {
        var out = try rawSamplePaths(history: history, known: known, origin: origin, paths: paths, seed: seed, stream: stream, workers: workers)
        if let factors = spec.spread { Self.stretch(&out, factors: factors) }
        return out
    }

    /// The paths as drawn (no spread calibration).
    func rawSamplePaths(history: ArraySlice<Float>, known: [Float], origin: Int, paths: Int, seed: UInt64, stream: UInt64,
                        workers: Int) throws -> [[Float]] {
        let C = spec.context, H = spec.horizon, F = features, Fk = knownCount
        let reach = spec.inputs?.reach ?? 1, lags = spec.inputs?.lags ?? []
        guard history.count >= C + reach else {
            throw DataError.invalidArgument("the series has \(history.count) rows; the model reads \(C + reach) before forecasting")
        }
        guard known.count == (C + H) * Fk else {
            throw DataError.invalidArgument("known inputs: \(known.count) values, the model needs \((C + H) * Fk) (\(C + H) rows x \(Fk))")
        }
        let recent = Array(history.suffix(C + reach))   // rows origin − C − reach ..< origin
        guard recent.allSatisfy(\.isFinite) else { throw DataError.invalidArgument("the last \(C + reach) values hold a missing value; fill them first") }
        guard known.allSatisfy(\.isFinite) else { throw DataError.invalidArgument("a covariate of the last \(C) or the next \(H) rows is missing") }
        let scaling = spec.inputs?.scaling ?? .mean
        let (loc, nu) = scaling.location(recent[reach...])
        let reg = model.regressor
        let rc = reg.config.recurrent
        // The context, once: steps for rows origin − C … origin − 1; its final state starts every path.
        let ctx = SequenceRegressor.Workspace(model: reg, batch: 1, length: C)
        var noRng = SeededGenerator(seed: 0)
        var x = [Float]()
        x.reserveCapacity(C * F)
        // (y − ℓ)/ν; ℓ = 0 exactly for mean scaling (y/ν, as the family's first form).
        let centred = scaling == .mean ? recent : recent.map { $0 - loc }
        for t in 0..<C {
            x.append(centred[t + reach - 1] / nu)
            for L in lags { x.append(centred[t + reach - L] / nu) }
            if Fk > 0 { x.append(contentsOf: known[(t * Fk)..<((t + 1) * Fk)]) }
        }
        x.withUnsafeBufferPointer { _ = reg.forward($0.baseAddress!, workspace: ctx, params: params, rng: &noRng) }
        let LD = rc.numLayers * rc.directions, Hd = rc.hiddenSize
        let hN = Array(UnsafeBufferPointer(start: ctx.cache.hN.pointer, count: LD * Hd))
        let cN = Array(UnsafeBufferPointer(start: ctx.cache.cN.pointer, count: rc.cell.hasCellState ? LD * Hd : 0))
        let root = SeededGenerator(seed: seed).fork(stream)
        let chunks = (paths + Self.chunk - 1) / Self.chunk
        var out = [[Float]](repeating: [], count: paths)
        let lock = NSLock()
        let likelihood = spec.likelihood, K = likelihood.parameterCount
        let w = max(1, min(workers, chunks))
        func run(_ c: Int) {
            let lo = c * Self.chunk, n = min(Self.chunk, paths - lo)
            let ws = SequenceRegressor.Workspace(model: reg, batch: n, length: 1)
            // The `workers` threads are shared out: chunks run on `w` of them, and each chunk's
            // steps split their batch over the rest (none when chunks take them all, so the cores
            // are not oversubscribed; one thread in all for `workers` 1). Same bits either way.
            ws.cache.pipelineThreads = max(1, workers / w)
            var h = [Float](repeating: 0, count: LD * n * Hd), cs = [Float](repeating: 0, count: rc.cell.hasCellState ? LD * n * Hd : 0)
            for l in 0..<LD { for b in 0..<n {
                for j in 0..<Hd { h[(l * n + b) * Hd + j] = hN[l * Hd + j] }
                if !cs.isEmpty { for j in 0..<Hd { cs[(l * n + b) * Hd + j] = cN[l * Hd + j] } }
            } }
            var rngs = (0..<n).map { root.fork(UInt64(lo + $0)) }
            var result = [[Float]](repeating: [Float](repeating: 0, count: H), count: n)
            // Path b's value k rows before the step h minus ℓ (history, or its own draws).
            var drawn = [[Float]](repeating: [Float](repeating: 0, count: H), count: n)
            func value(_ b: Int, step h: Int, back k: Int) -> Float {
                h - k >= 0 ? drawn[b][h - k] : centred[C + reach + h - k]
            }
            var xin = [Float](repeating: 0, count: n * F)
            var r0 = SeededGenerator(seed: 0)
            for step in 0..<H {
                for b in 0..<n {
                    var i = b * F
                    xin[i] = value(b, step: step, back: 1) / nu; i += 1
                    for L in lags { xin[i] = value(b, step: step, back: L) / nu; i += 1 }
                    for j in 0..<Fk { xin[i + j] = known[(C + step) * Fk + j] }
                }
                let pred = xin.withUnsafeBufferPointer { xp in h.withUnsafeBufferPointer { hp in cs.withUnsafeBufferPointer { cp in
                    reg.forward(xp.baseAddress!, workspace: ws, params: params, h0: hp.baseAddress!, c0: cp.isEmpty ? nil : cp.baseAddress!, rng: &r0)
                } } }.pointer
                for b in 0..<n {
                    let u = (0..<K).map { pred[b * K + $0] }
                    let y = likelihood.sample(u, scale: nu, rng: &rngs[b])
                    drawn[b][step] = y
                    result[b][step] = scaling == .mean ? y : y + loc
                }
                h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.hN.pointer, count: LD * n * Hd) }
                if !cs.isEmpty { cs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.cN.pointer, count: LD * n * Hd) } }
            }
            lock.lock(); for b in 0..<n { out[lo + b] = result[b] }; lock.unlock()
        }
        if w == 1 { for c in 0..<chunks { run(c) } }
        else { DispatchQueue.concurrentPerform(iterations: w) { t in for c in stride(from: t, to: chunks, by: w) { run(c) } } }
        return out
    }

    /// Known inputs of rows `origin − C ..< origin + H` of series `s` of `set` read from the
    /// series itself (the evaluation: covariates' actual values, the rows' timestamps).
    func knownFromSeries(_ set: TimeSeriesSet, series: TimeSeries, origin: Int, columns: [Int]) -> [Float] {
        guard let inputs = spec.inputs, inputs.knownCount > 0 else { return [] }
        return inputs.known(series, columns: columns, rows: (origin - spec.context)..<(origin + spec.horizon), offsetMinutes: set.timeFormat?.offsetMinutes ?? 0)
    }

    /// The data columns of the model's covariates in `set` (which must have timestamps when the
    /// model reads calendar inputs).
    func covariateColumns(_ set: TimeSeriesSet) throws -> [Int] {
        if let calendar = spec.inputs?.calendar, !calendar.isEmpty, !set.series.allSatisfy({ $0.times != nil }) {
            throw DataError.invalidArgument("\(set.source): the model reads calendar inputs, which need timestamps (give a time column, or --step and --start)")
        }
        return try (spec.inputs?.covariates ?? []).map { name in
            guard let c = set.columnIndex(name) else { throw DataError.invalidArgument("\(set.source): no column '\(name)', a covariate of this model") }
            return c
        }
    }

    // MARK: Predict

    /// Forecasts the `horizon` steps after the end of every series: `samples` paths each
    /// (default: the model's), their median as the point forecast and quantiles at `levels`
    /// (default: the standard levels).
    ///
    /// A model with covariates reads their forecast-step values from the file's last `horizon`
    /// rows when those rows have an empty target (the history is everything before them);
    /// without such rows it repeats the covariates of the last `horizon` history rows and
    /// `onNote` says so. Calendar inputs of the forecast steps come from their timestamps.
    public func predict(_ set: TimeSeriesSet, samples: Int? = nil, levels: [Float]? = nil, seed: UInt64? = nil, workers: Int = 1,
                        onNote: ((String) -> Void)? = nil) throws -> [SeriesForecast] {
        guard let col = set.columnIndex(spec.target) else { throw DataError.invalidArgument("\(set.source): no column '\(spec.target)'") }
        let N = samples ?? spec.samples
        let lv = (levels ?? QuantileLevels.standard).sorted()
        let C = spec.context, H = spec.horizon, Fk = knownCount
        let columns = try covariateColumns(set)
        let offset = set.timeFormat?.offsetMinutes ?? 0
        return try set.series.enumerated().map { s, series in
            let name = series.key.map { "series '\($0)'" } ?? "the series"
            var n = series.count, trailing = 0
            if !columns.isEmpty {
                while trailing < series.count && series.values[col][series.count - 1 - trailing].isNaN { trailing += 1 }
                if trailing > 0 && trailing != H {
                    throw DataError.invalidArgument("\(set.source): \(name) ends with \(trailing) rows without target values; the model reads its \(H) forecast steps' covariates from exactly \(H) such rows (or give none)")
                }
                n -= trailing
            }
            var times: [Int64] = [], labels: [String]
            if trailing > 0, let t = series.times { times = Array(t[n...]) }
            else if let last = series.times?.last, let f = set.frequency {
                times = f.continuing(after: last, count: H, offsetMinutes: offset)
            }
            labels = times.isEmpty ? (1...H).map { "+\($0)" } : times.map { set.format($0) }
            var known: [Float] = []
            if let inputs = spec.inputs, Fk > 0 {
                guard n >= C else { throw DataError.invalidArgument("\(set.source): \(name) has \(n) rows; the model reads \(historyNeeded)") }
                if !inputs.calendar.isEmpty && times.count < H {
                    throw DataError.invalidArgument("\(set.source): no timestamps for the forecast steps of \(name) (calendar inputs need a time column and a known frequency)")
                }
                known = inputs.known(series, columns: columns, rows: (n - C)..<n, offsetMinutes: offset)
                for k in 0..<H {
                    let row = trailing > 0 ? n + k : max(0, n - H + k)
                    let x = columns.map { series.values[$0][row] }
                    if let bad = x.firstIndex(where: { !$0.isFinite }) {
                        throw DataError.missingValue(SourceLocation(file: set.source, line: series.lines[row] > 0 ? series.lines[row] : nil),
                                                     "covariate '\(inputs.covariates[bad])' is empty in \(trailing > 0 ? "forecast row \(k + 1) of \(H)" : "a history row")")
                    }
                    inputs.appendKnown(to: &known, row: n + k, covariates: x, time: k < times.count ? times[k] : nil, offsetMinutes: offset)
                }
                if trailing == 0 && !columns.isEmpty {
                    onNote?("\(name): no future rows with the covariates \(inputs.covariates.joined(separator: ", ")); repeated the last \(H) rows' values (append \(H) rows with an empty target to supply them)")
                }
            }
            let paths = try samplePaths(history: series.values[col][0..<n], known: known, origin: n, paths: N, seed: seed ?? spec.seed,
                                        stream: UInt64(s), workers: workers)
            let q = SamplePaths.quantiles(paths, levels: lv)
            return SeriesForecast(key: series.key, times: times, labels: labels, targets: [spec.target],
                                  values: SamplePaths.median(paths).map { [$0] }, lower: nil, upper: nil, intervalLevel: nil,
                                  quantileLevels: lv, quantiles: q.map { [$0] }, samples: paths.map { $0.map { [$0] } })
        }
    }

    // MARK: Evaluate

    /// Scores the model on the test split: forecast origins every `horizon` rows from the
    /// start of each series' test rows, `spec.samples` paths each; points (the median) against
    /// the baselines, the distribution against seasonal naive's empirical quantiles.
    public func evaluate(_ set: TimeSeriesSet, workers: Int = 1) throws -> EvaluationReport {
        guard let col = set.columnIndex(spec.target) else { throw DataError.invalidArgument("\(set.source): no column '\(spec.target)'") }
        let H = spec.horizon, m = spec.seasonLength, levels = QuantileLevels.standard
        var acc = [MetricsAccumulator](repeating: MetricsAccumulator(), count: 4)
        var modelDist = DistributionAccumulator(levels: levels), referenceDist = DistributionAccumulator(levels: levels)
        var windows = 0
        var perSeries = PerSeriesAccumulator(series: set.series.count, levels: levels)
        let columns = try covariateColumns(set)
        for (s, series) in set.series.enumerated() {
            let values = series.values[col]
            let (vStart, tStart) = spec.split.boundaries(rows: series.count)
            let (sum, count) = Metrics.maseScale(values[0..<vStart], season: m)
            let scale = count > 0 && sum > 0 ? sum / Double(count) : 1
            let residuals = SeasonalNaiveIntervals.Residuals(values[0..<vStart], horizon: H, season: m)
            var origin = max(tStart, historyNeeded)
            while origin + H <= series.count {
                defer { origin += H }
                let history = values[0..<origin]
                guard history.suffix(historyNeeded).allSatisfy(\.isFinite) else { continue }
                let known = knownFromSeries(set, series: series, origin: origin, columns: columns)
                guard known.allSatisfy(\.isFinite) else { continue }
                let paths = try samplePaths(history: history, known: known, origin: origin, paths: spec.samples, seed: spec.seed,
                                            stream: UInt64(s) << 32 | UInt64(origin), workers: workers)
                let q = SamplePaths.quantiles(paths, levels: levels)
                let point = SamplePaths.median(paths)
                let baselines = Baseline.allCases.map { $0.forecast(history: history, horizon: H, season: m) }
                let reference = SeasonalNaiveIntervals.quantiles(history: history, residuals: residuals, horizon: H, season: m, levels: levels)
                for h in 0..<H {
                    let actual = values[origin + h]
                    acc[0].add(actual: actual, forecast: point[h], scale: scale)
                    for (b, f) in baselines.enumerated() { acc[b + 1].add(actual: actual, forecast: f[h], scale: scale) }
                    modelDist.add(actual: actual, quantiles: q[h], scale: scale)
                    referenceDist.add(actual: actual, quantiles: reference[h], scale: scale)
                    perSeries.model[s].add(actual: actual, forecast: point[h], scale: scale)
                    perSeries.seasonalNaive[s].add(actual: actual, forecast: baselines[Baseline.allCases.firstIndex(of: .seasonalNaive)!][h], scale: scale)
                    perSeries.distribution?[s].add(actual: actual, quantiles: q[h], scale: scale)
                }
                windows += 1
            }
        }
        guard windows > 0 else {
            throw DataError.invalidArgument("\(set.source): the test split holds no forecast origin (context \(spec.context) + horizon \(H)); use a longer file or a larger test fraction")
        }
        var model = acc[0].metrics(), reference = acc[2].metrics()
        model.distribution = modelDist.scores()
        reference.distribution = referenceDist.scores()
        var report = EvaluationReport(model: model, naive: acc[1].metrics(), seasonalNaive: reference, drift: acc[3].metrics(),
                                      windows: windows, horizon: H, seasonLength: m)
        report.perSeries = perSeries.scores(keys: set.series.map(\.key), nominalCoverage: nil)
        return report
    }

    // MARK: Files

    public func save(to path: String) throws {
        var archive = ModelArchive(kind: .model, tensors: params.namedTensors())
        archive.setFamily(.autoregressive)
        try archive.setSection("config", spec)
        if let provenance { try archive.setSection("provenance", provenance) }
        try archive.write(path: path)
    }

    public static func load(from path: String) throws -> AutoregressiveForecaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        let spec = try archive.section("config", as: AutoregressiveSpec.self, path: path)
        do { try AutoregressiveRegressor.checkConfig(spec.model, field: "config.model") }
        catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "\(error)") }
        if let f = spec.spread, f.count != spec.horizon || !f.allSatisfy({ $0.isFinite && $0 > 0 }) {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "spread: \(spec.horizon) positive factors expected")
        }
        if let inputs = spec.inputs {
            do { try inputs.validate() }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "\(error)") }
        }
        guard spec.model.regressor.outputs == spec.likelihood.parameterCount, spec.model.length == spec.context + spec.horizon,
              spec.model.regressor.recurrent.inputSize == (spec.inputs?.featureCount ?? 1), (1...100_000).contains(spec.samples) else {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "inconsistent autoregressive config (outputs, length, input size or samples)")
        }
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: Provenance.self, path: path)
        let model = AutoregressiveRegressor(spec.model)
        let params = ParameterStore(layout: model.layout)
        for e in model.layout.entries {
            guard let t = archive[e.name] else { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(e.name)'") }
            do { try params.assign(e.name, t) }
            catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(error)") }
        }
        return AutoregressiveForecaster(spec: spec, params: params, provenance: provenance)
    }
}

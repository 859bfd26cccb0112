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
    /// Rows between consecutive training windows; nil: 1, or more on long data so that about
    /// 2,000 windows cover the training rows (DeepAR samples windows rather than using all).
    public var windowStride: Int? = nil
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
        var train = AutoregressiveSamples(context: C, horizon: H), validation = AutoregressiveSamples(context: C, horizon: H)
        let trainRows = set.series.map { options.split.boundaries(rows: $0.count).validationStart }.reduce(0, +)
        let stride = max(1, options.windowStride ?? trainRows / 2000)
        for s in set.series {
            let (v, t) = options.split.boundaries(rows: s.count)
            train.append(s.values[col], rows: 0..<v, stride: stride)
            validation.append(s.values[col], rows: max(0, v - C)..<t, stride: stride)
        }
        if train.isEmpty {
            throw DataError.invalidArgument("\(set.source): no training windows: the series are too short for context \(C) + horizon \(H) after holding out \(Int((options.split.validation + options.split.test) * 100))% for validation and test")
        }
        let K = options.likelihood.parameterCount
        let config = AutoregressiveRegressor.Config(
            regressor: .init(recurrent: RecurrentConfig(cell: options.cell, inputSize: 1, hiddenSize: options.hidden, numLayers: options.layers),
                             outputs: K, readout: .everyStep),
            length: C + H)
        var training = options.training
        training.loss = .likelihood(options.likelihood)
        let spec = AutoregressiveSpec(model: config, likelihood: options.likelihood, context: C, horizon: H, target: target,
                                      timeColumn: set.timeColumn, seriesKey: set.seriesKeyColumn, frequency: set.frequency,
                                      seasonLength: season, split: options.split, samples: options.samples, seed: training.seed)
        let trainer = try Trainer.starting(model: AutoregressiveRegressor(config), config: training, checkpointPath: checkpointPath,
                                           resume: resume, spec: spec)
        trainer.onEvent = onEvent
        try trainer.fit(train: train, validation: validation.isEmpty ? nil : validation, checkpointPath: checkpointPath,
                        checkpointSections: try Trainer<AutoregressiveRegressor>.specSection(spec))
        let untested = AutoregressiveForecaster(spec: spec, params: trainer.params, provenance: nil)
        let report = try? untested.evaluate(set)
        let provenance = Provenance(dataFile: dataFile, source: set.source, training: training, history: trainer.history, bestEpoch: trainer.bestEpoch,
            trainWindows: train.count, validationWindows: validation.count, testWindows: report?.windows ?? 0,
            extra: SeriesRecord(rows: set.rowCount, series: set.series.count, testMetrics: report))
        return AutoregressiveForecaster(spec: spec, params: trainer.params, provenance: provenance)
    }

    // MARK: Sampling

    /// Paths per chunk: each chunk is one batched pass per step, whoever runs it.
    public static let chunk = 250

    /// `paths` sample paths `[paths][horizon]` of the `horizon` steps after `history` (data
    /// units; the last `context` + 1 values are read). `seed` and `stream` pick the random
    /// streams (path p of stream s draws from `SeededGenerator(seed).fork(s).fork(p)`); `workers`
    /// threads run the chunks — the result does not depend on it.
    public func samplePaths(history: ArraySlice<Float>, paths: Int, seed: UInt64, stream: UInt64 = 0, workers: Int = 1) throws -> [[Float]] {
        let C = spec.context, H = spec.horizon
        guard history.count >= C + 1 else {
            throw DataError.invalidArgument("the series has \(history.count) rows; the model reads \(C + 1) before forecasting")
        }
        let recent = Array(history.suffix(C + 1))
        guard recent.allSatisfy(\.isFinite) else { throw DataError.invalidArgument("the last \(C + 1) values hold a missing value; fill them first") }
        let nu = AutoregressiveSamples.scale(recent[1...])
        let reg = model.regressor
        let rc = reg.config.recurrent
        // The context, once: inputs y_{n−C} … y_{n−1} (scaled); its final state starts every path.
        let ctx = SequenceRegressor.Workspace(model: reg, batch: 1, length: C)
        var noRng = SeededGenerator(seed: 0)
        let x = recent[0..<C].map { $0 / nu }
        x.withUnsafeBufferPointer { _ = reg.forward($0.baseAddress!, workspace: ctx, params: params, rng: &noRng) }
        let LD = rc.numLayers * rc.directions, Hd = rc.hiddenSize
        let hN = Array(UnsafeBufferPointer(start: ctx.cache.hN.pointer, count: LD * Hd))
        let cN = Array(UnsafeBufferPointer(start: ctx.cache.cN.pointer, count: rc.cell.hasCellState ? LD * Hd : 0))
        let root = SeededGenerator(seed: seed).fork(stream)
        let chunks = (paths + Self.chunk - 1) / Self.chunk
        var out = [[Float]](repeating: [], count: paths)
        let lock = NSLock()
        let likelihood = spec.likelihood, K = likelihood.parameterCount
        func run(_ c: Int) {
            let lo = c * Self.chunk, n = min(Self.chunk, paths - lo)
            let ws = SequenceRegressor.Workspace(model: reg, batch: n, length: 1)
            var h = [Float](repeating: 0, count: LD * n * Hd), cs = [Float](repeating: 0, count: rc.cell.hasCellState ? LD * n * Hd : 0)
            for l in 0..<LD { for b in 0..<n {
                for j in 0..<Hd { h[(l * n + b) * Hd + j] = hN[l * Hd + j] }
                if !cs.isEmpty { for j in 0..<Hd { cs[(l * n + b) * Hd + j] = cN[l * Hd + j] } }
            } }
            var rngs = (0..<n).map { root.fork(UInt64(lo + $0)) }
            var prev = [Float](repeating: recent[C] / nu, count: n)
            var result = [[Float]](repeating: [Float](repeating: 0, count: H), count: n)
            var r0 = SeededGenerator(seed: 0)
            for step in 0..<H {
                let pred = prev.withUnsafeBufferPointer { xp in h.withUnsafeBufferPointer { hp in cs.withUnsafeBufferPointer { cp in
                    reg.forward(xp.baseAddress!, workspace: ws, params: params, h0: hp.baseAddress!, c0: cp.isEmpty ? nil : cp.baseAddress!, rng: &r0)
                } } }.pointer
                for b in 0..<n {
                    let u = (0..<K).map { pred[b * K + $0] }
                    let y = likelihood.sample(u, scale: nu, rng: &rngs[b])
                    result[b][step] = y
                    prev[b] = y / nu
                }
                h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.hN.pointer, count: LD * n * Hd) }
                if !cs.isEmpty { cs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.cN.pointer, count: LD * n * Hd) } }
            }
            lock.lock(); for b in 0..<n { out[lo + b] = result[b] }; lock.unlock()
        }
        let w = max(1, min(workers, chunks))
        if w == 1 { for c in 0..<chunks { run(c) } }
        else { DispatchQueue.concurrentPerform(iterations: w) { t in for c in stride(from: t, to: chunks, by: w) { run(c) } } }
        return out
    }

    // MARK: Predict

    /// Forecasts the `horizon` steps after the end of every series: `samples` paths each
    /// (default: the model's), their median as the point forecast and quantiles at `levels`
    /// (default: the standard levels).
    public func predict(_ set: TimeSeriesSet, samples: Int? = nil, levels: [Float]? = nil, seed: UInt64? = nil, workers: Int = 1) throws -> [SeriesForecast] {
        guard let col = set.columnIndex(spec.target) else { throw DataError.invalidArgument("\(set.source): no column '\(spec.target)'") }
        let N = samples ?? spec.samples
        let lv = (levels ?? QuantileLevels.standard).sorted()
        return try set.series.enumerated().map { s, series in
            let paths = try samplePaths(history: series.values[col][...], paths: N, seed: seed ?? spec.seed, stream: UInt64(s), workers: workers)
            let q = SamplePaths.quantiles(paths, levels: lv)
            var times: [Int64] = [], labels: [String]
            if let last = series.times?.last, let f = set.frequency {
                times = f.continuing(after: last, count: spec.horizon, offsetMinutes: set.timeFormat?.offsetMinutes ?? 0)
                labels = times.map { set.format($0) }
            } else {
                labels = (1...spec.horizon).map { "+\($0)" }
            }
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
        for (s, series) in set.series.enumerated() {
            let values = series.values[col]
            let (vStart, tStart) = spec.split.boundaries(rows: series.count)
            let (sum, count) = Metrics.maseScale(values[0..<vStart], season: m)
            let scale = count > 0 && sum > 0 ? sum / Double(count) : 1
            var origin = max(tStart, spec.context + 1)
            while origin + H <= series.count {
                defer { origin += H }
                let history = values[0..<origin]
                guard history.suffix(spec.context + 1).allSatisfy(\.isFinite) else { continue }
                let paths = try samplePaths(history: history, paths: spec.samples, seed: spec.seed, stream: UInt64(s) << 32 | UInt64(origin), workers: workers)
                let q = SamplePaths.quantiles(paths, levels: levels)
                let point = SamplePaths.median(paths)
                let baselines = Baseline.allCases.map { $0.forecast(history: history, horizon: H, season: m) }
                let reference = SeasonalNaiveIntervals.quantiles(history: history, residualHistory: values[0..<vStart], horizon: H, season: m, levels: levels)
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
        guard spec.model.regressor.outputs == spec.likelihood.parameterCount, spec.model.length == spec.context + spec.horizon,
              spec.model.regressor.recurrent.inputSize == 1, (1...100_000).contains(spec.samples) else {
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

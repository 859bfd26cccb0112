import Foundation
import Forecast

// What a retraining run does differently per model family, in one place: train a challenger
// (cold: the family's `fit`; warm: the champion's `fineTuned`, both through the one trainer
// with checkpoints and exact resume), score a model on the holdout, and stamp the provenance.
// Each is one exhaustive `switch` over ``AnyModel`` or ``ModelFamily``: a new family is a
// compile error here.

/// The split of a night's data: the last `test` share is the holdout (scored, never trained
/// on), the `validation` share before it drives early stopping.
struct HoldoutSplit: Equatable {
    var validation: Double
    var test: Double
    /// The series families' split.
    var series: SplitSpec { SplitSpec(validation: validation, test: test) }
    /// The grid family's split (shares of the frames).
    var frames: FrameSplit { FrameSplit(validation: validation, test: test) }
}

/// A model's score on the holdout: the promotion metric and the scores behind it.
struct HoldoutScore {
    var value: Double
    /// The model's holdout MAE (the fallback when a MASE is undefined: see `RetrainRun`).
    var mae: Double
    var series: EvaluationReport?
    var grid: NowcastReport?
}

/// The part of a checkpoint's `trainer` section a run needs to know whether training had
/// ended (the same keys for every family's trainer state).
struct CheckpointProgress: Decodable {
    var epoch: Int
    var badEpochs: Int
}

extension RetrainJob {
    /// The night's data in the shape the job's family reads.
    func readData() throws -> RetrainData {
        switch model.resolvedFamily {
        case .recurrent, .seq2seq: return try DataDrops.read(data, csv: csvOptions)
        case .nowcast: return try DataDrops.readGrid(data, csv: csvOptions)
        // Job files name only the three families above (ModelFamily(name:)); these cannot reach here.
        case .autoregressive, .ensemble, .eshybrid: throw RetrainError.invalidJob("\(self.data.path): the \(model.resolvedFamily) family is not retrained by jobs (recurrent, seq2seq and grid are)")
        }
    }

    /// Cold training: fresh weights, the family's `fit` on `data` with `split`.
    func trainCold(_ data: RetrainData, split: HoldoutSplit, epochs: Int?, checkpoint: String, resume: Bool,
                   onEvent: @escaping (TrainingEvent) -> Void) throws -> AnyModel {
        switch model.resolvedFamily {
        case .recurrent:
            var options = forecasterOptions(split: split.series)
            if let e = epochs { options.training.epochs = e }
            return .recurrent(try Forecaster.fit(try series(data), targets: self.data.targets, options: options, dataFile: nil,
                                                 checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .seq2seq:
            var options = seq2seqOptions(split: split.series)
            if let e = epochs { options.base.training.epochs = e }
            return .seq2seq(try Seq2SeqForecaster.fit(try series(data), targets: self.data.targets, options: options, dataFile: nil,
                                                      checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .nowcast:
            var options = nowcastOptions(split: split.frames)
            if let e = epochs { options.training.epochs = e }
            return .nowcast(try Nowcaster.fit(try grid(data), options: options, dataFile: nil,
                                              checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .autoregressive, .ensemble, .eshybrid: throw RetrainError.invalidJob("\(self.data.path): the \(model.resolvedFamily) family is not retrained by jobs (recurrent, seq2seq and grid are)")
        }
    }

    /// Warm start: the champion, with the night's `split`, fine-tuned on `data` (fresh
    /// optimizer, the warm epochs and learning rate).
    func trainWarm(_ champion: AnyModel, _ data: RetrainData, split: HoldoutSplit, epochs: Int?, checkpoint: String, resume: Bool,
                   onEvent: @escaping (TrainingEvent) -> Void) throws -> AnyModel {
        // A grid model's fine-tuning keeps the nowcasting defaults the job does not set (schedule, shards).
        var cfg = champion.family == .nowcast ? warmTrainingConfig(base: NowcastOptions().training) : warmTrainingConfig
        if let e = epochs { cfg.epochs = e }
        switch champion.withSplit(split) {
        case .recurrent(let m):
            return .recurrent(try m.fineTuned(on: try series(data), training: cfg, dataFile: nil, checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .seq2seq(let m):
            return .seq2seq(try m.fineTuned(on: try series(data), training: cfg, dataFile: nil, checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .nowcast(let m):
            return .nowcast(try m.fineTuned(on: try grid(data), training: cfg, dataFile: nil, checkpointPath: checkpoint, resume: resume, onEvent: onEvent))
        case .autoregressive, .ensemble, .eshybrid: throw RetrainError.registry("the champion is a \(champion.family) model, which jobs do not retrain")
        }
    }

    /// Scores `model` (with the night's `split`) on the holdout of `data` by the promotion
    /// metric: series against the naive baselines, a grid against persistence.
    func score(_ model: AnyModel, on data: RetrainData, split: HoldoutSplit) throws -> HoldoutScore {
        let metric = retrain.promotion.metric
        switch model.withSplit(split) {
        case .recurrent(let m):
            let r = try m.evaluate(try series(data))
            return HoldoutScore(value: metric.value(r.model), mae: r.model.mae, series: r, grid: nil)
        case .seq2seq(let m):
            let r = try m.evaluate(try series(data))
            return HoldoutScore(value: metric.value(r.model), mae: r.model.mae, series: r, grid: nil)
        case .nowcast(let m):
            let r = try m.evaluate(try grid(data), on: .test, source: self.data.path)
            return HoldoutScore(value: metric.value(r) ?? .nan, mae: r.model.mae, series: nil, grid: r)
        case .autoregressive(let m):
            let r = try m.evaluate(try series(data))
            return HoldoutScore(value: metric.value(r.model), mae: r.model.mae, series: r, grid: nil)
        case .ensemble: throw RetrainError.registry("an ensemble is not scored by retraining jobs")
        case .eshybrid: throw RetrainError.registry("an ES-hybrid model is not scored by retraining jobs")
        }
    }

    func series(_ data: RetrainData) throws -> TimeSeriesSet {
        guard let set = data.set else { throw RetrainError.registry("\(self.data.path): read as a grid, but the job trains a series model") }
        return set
    }

    func grid(_ data: RetrainData) throws -> GridData {
        guard let grid = data.grid else { throw RetrainError.registry("\(self.data.path): read as series, but the job trains a grid model") }
        return grid
    }
}

extension AnyModel {
    /// The same weights and provenance with the holdout split `split` (how the data is divided
    /// when the model is fine-tuned or scored).
    func withSplit(_ split: HoldoutSplit) -> AnyModel {
        switch self {
        case .recurrent(let m):
            var spec = m.spec
            spec.split = split.series
            return .recurrent(Forecaster(spec: spec, params: m.params, provenance: m.provenance))
        case .seq2seq(let m):
            var spec = m.spec
            spec.split = split.series
            return .seq2seq(Seq2SeqForecaster(spec: spec, params: m.params, provenance: m.provenance))
        case .nowcast(let m):
            var spec = m.spec
            spec.split = split.frames
            return .nowcast(Nowcaster(spec: spec, params: m.params, provenance: m.provenance))
        // Not retrained by jobs (refused when the job is read): unchanged.
        case .autoregressive, .ensemble, .eshybrid: return self
        }
    }

    /// Epochs trained so far (over every fit and fine-tune).
    var history: [EpochRecord] {
        switch self {
        case .recurrent(let m): return m.provenance?.history ?? []
        case .seq2seq(let m): return m.provenance?.history ?? []
        case .nowcast(let m): return m.provenance?.history ?? []
        case .autoregressive(let m): return m.provenance?.history ?? []
        case .ensemble(let m): return m.provenance?.history ?? []
        case .eshybrid(let m): return m.provenance?.history ?? []
        }
    }

    /// The best epoch of the last training.
    var bestEpoch: Int {
        switch self {
        case .recurrent(let m): return m.provenance?.bestEpoch ?? 0
        case .seq2seq(let m): return m.provenance?.bestEpoch ?? 0
        case .nowcast(let m): return m.provenance?.bestEpoch ?? 0
        case .autoregressive(let m): return m.provenance?.bestEpoch ?? 0
        case .ensemble(let m): return m.provenance?.bestEpoch ?? 0
        case .eshybrid(let m): return m.provenance?.bestEpoch ?? 0
        }
    }

    /// Input and output steps: lookback and horizon, or in-frames and out-frames.
    var window: (lookback: Int, horizon: Int) {
        switch self {
        case .recurrent(let m): return (m.spec.window.lookback, m.spec.window.horizon)
        case .seq2seq(let m): return (m.spec.window.lookback, m.spec.window.horizon)
        case .nowcast(let m): return (m.spec.architecture.inFrames, m.spec.architecture.outFrames)
        case .autoregressive(let m): return (m.spec.context, m.spec.horizon)
        case .ensemble(let m): return (m.spec.window.lookback, m.spec.window.horizon)
        case .eshybrid(let m): return (m.spec.window.lookback, m.spec.window.horizon)
        }
    }

    /// The provenance names the drops (`dataFile`), their SHA-256 and the planned epochs, so
    /// that a resumed run writes the bytes of an uninterrupted one.
    func recording(dataFile: String, dataSHA256: String, plannedEpochs: Int) -> AnyModel {
        switch self {
        case .recurrent(let m):
            guard var p = m.provenance else { return self }
            p.dataFile = dataFile; p.dataSHA256 = dataSHA256; p.training.epochs = plannedEpochs
            return .recurrent(Forecaster(spec: m.spec, params: m.params, provenance: p))
        case .seq2seq(let m):
            guard var p = m.provenance else { return self }
            p.dataFile = dataFile; p.dataSHA256 = dataSHA256; p.training.epochs = plannedEpochs
            return .seq2seq(Seq2SeqForecaster(spec: m.spec, params: m.params, provenance: p))
        case .nowcast(let m):
            guard var p = m.provenance else { return self }
            p.dataFile = dataFile; p.dataSHA256 = dataSHA256; p.training.epochs = plannedEpochs
            return .nowcast(Nowcaster(spec: m.spec, params: m.params, provenance: p))
        case .autoregressive, .ensemble, .eshybrid: return self
        }
    }
}

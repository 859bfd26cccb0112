import ArgumentParser
import Foundation
import Forecast

/// Model and training options shared by `forecast train` and `forecast backtest`.
/// Options whose default depends on the kind of model (series or `--grid`) are optional here.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Column to forecast (repeat for several).", valueName: "column"))
    var target: [String] = []

    @Option(help: ArgumentHelp("Extra input columns, comma-separated (past covariates).", valueName: "columns"))
    var features: String?

    @Option(name: .customLong("known-future"), help: ArgumentHelp("Input columns known in advance, comma-separated (e.g. a holiday flag).", valueName: "columns"))
    var knownFuture: String?

    @Option(help: ArgumentHelp("Calendar inputs from the timestamps, comma-separated: hour (hour of day), dow (day of week), doy (day of year), each as sin/cos.", valueName: "features"))
    var calendar: String?

    @Option(name: .customLong("model"), help: ArgumentHelp("Model: lstm, gru or rnn (windowed regressor), seq2seq (encoder-decoder with attention), deepar (autoregressive, sampled), auto (median ensemble of LSTMs, ETS and Theta chosen on the validation split; docs/ensembles.md), or eshybrid (per-series Holt-Winters smoothing learned with a global LSTM; docs/eshybrid.md). Default: auto (also with --intervals conformal), or lstm for a global model over intermittent series (as for --loss) or when an option only a single network serves is given (--loss other than mse, --quantiles, --dilations, --tau, --learn-tau, --bidirectional, --dropout, --checkpoint-dir, --resume).", valueName: "model"))
    var modelChoice: ModelChoice?

    /// The model to train: the one named, else `auto`, unless an option asks for something only a
    /// single network has (a distributional head, a cell variant, checkpoints): then the single
    /// LSTM, as before ensembles became the default. `--intervals conformal` keeps `auto` (the
    /// ensemble calibrates its combined forecast).
    var model: ModelChoice {
        get { modelChoice ?? (asksForSingleNetwork ? .recurrent(.lstm) : .auto) }
        set { modelChoice = newValue }
    }

    /// Options that configure one network (ensembles do not take them).
    var asksForSingleNetwork: Bool {
        loss != .mse || quantiles != nil || dilations != nil || tau != nil || learnTau
            || bidirectional || dropout != 0 || statics != nil || scalerScope != nil
    }

    @Option(help: "Input steps per window (default: two seasons).")
    var lookback: Int?

    @Option(help: ArgumentHelp("--model auto: recurrent (LSTM) members, 1 to 9 (default: 3 on sets of at most 2,000 rows in all, else 1; docs/ensembles.md).", valueName: "n"))
    var members: Int?

    @Option(help: "Steps to forecast (default: one season).")
    var horizon: Int?

    @Option(help: ArgumentHelp("Hidden units per layer (default 64; with --grid: channels per layer, default 32).", valueName: "n"))
    var hidden: Int?

    @Option(help: ArgumentHelp("Stacked recurrent layers (default 1; with --grid: 2).", valueName: "n"))
    var layers: Int?

    @Flag(help: "Bidirectional layers.")
    var bidirectional = false

    @Option(help: ArgumentHelp("Skip recurrence per layer, comma-separated (e.g. 1,2,4 with --layers 3: a dilated RNN); default 1 for every layer.", valueName: "list"))
    var dilations: String?

    @Option(help: ArgumentHelp("--model leaky-rnn: time constant of every unit, at least 1 (default 1, with --learn-tau 2).", valueName: "x"))
    var tau: Float?

    @Flag(name: .customLong("learn-tau"), help: "--model leaky-rnn: learn τ per unit (τ = 1 + softplus(ρ), starting at --tau).")
    var learnTau = false

    @Option(help: "Dropout between stacked layers (training only).")
    var dropout: Float = 0

    @Option(name: .customLong("loss"), help: ArgumentHelp("Loss: mse, mae, huber, gaussian (adds 80% intervals) or quantile (0.1/0.5/0.9). Default mse; mae for a global model over intermittent series (several series, no negative values, at least 24.2% zeros on the training rows; docs/performance.md).", valueName: "loss"))
    var lossChoice: LossKind?

    /// The loss given, else mse (``forecasterOptions(for:)`` may choose MAE for intermittent series).
    var loss: LossKind {
        get { lossChoice ?? .mse }
        set { lossChoice = newValue }
    }

    @Option(help: ArgumentHelp("Quantile levels of a quantile head, comma-separated, each in (0, 1) (e.g. 0.025,0.1,0.5,0.9,0.975); implies --loss quantile.", valueName: "list"))
    var quantiles: NumberList?

    @Option(help: ArgumentHelp("Intervals for a point loss: conformal (split conformal on the validation residuals per horizon step, kept in the model file).", valueName: "method"))
    var intervals: IntervalMethod?

    @Option(help: ArgumentHelp("--intervals conformal: the nonconformity score: auto (absolute or scaled, picked on the validation windows; default), absolute, scaled (|residual| / the window's mean absolute one-step change), signed or scaled-signed (separate tails).", valueName: "score"))
    var conformalScore: ConformalScore?

    @Option(help: ArgumentHelp("--intervals conformal: the residuals and quantile rule (default: cross for files of at most 5,000 rows, else rolling): rolling (every forecast origin and step whose target is a validation row; short series pool the steps, each divided by the model's in-sample error at that step; quantiles interpolated at (n+1)L) windows (whole validation windows only, order statistic ⌈(n+1)L⌉: the rule before rolling) or cross (rolling, plus the held-out residuals of --conformal-folds refits at earlier origins inside the training rows; costs a training per refit).", valueName: "rule"))
    var conformalCalibration: ConformalRule?

    @Option(help: ArgumentHelp("--conformal-calibration cross: refits of the model at earlier origins whose held-out residuals join the calibration (default 3; fewer when a refit would train on less than half the model's rows; a refit forecasting the model's validation rows more than 1.25 times worse is left out).", valueName: "k"))
    var conformalFolds: Int?

    @Option(help: ArgumentHelp("--model deepar: the likelihood of the next value: gaussian, student_t or negative_binomial (counts).", valueName: "name"))
    var likelihood: Likelihood?

    @Option(help: ArgumentHelp("--model deepar: sample paths per series for evaluation (default 200).", valueName: "n"))
    var samples: Int?

    @Option(help: ArgumentHelp("--model deepar: lags of the target fed at every step besides the previous value, comma-separated steps (e.g. 12,24), or none (default: one season back).", valueName: "list"))
    var lags: String?

    @Option(help: ArgumentHelp("--model deepar: window scaling: standard (centre on the context mean, divide by its standard deviation; default for gaussian and student_t) or mean (divide by 1 + mean |y|, DeepAR's; default and required for negative_binomial).", valueName: "name"))
    var scaling: AutoregressiveScaling?

    @Flag(name: .customLong("no-spread-calibration"), help: "--model deepar: keep the sample paths as drawn (default: stretch each step's spread to the validation split's coverage).")
    var noSpreadCalibration = false

    @Option(help: ArgumentHelp("Maximum epochs; early stopping usually ends sooner (default 60; with --grid 40).", valueName: "n"))
    var epochs: Int?

    @Option(help: ArgumentHelp("Windows per minibatch (default 32; with --grid 8).", valueName: "n"))
    var batch: Int?

    @Option(help: ArgumentHelp("Learning rate for Adam (default 3e-3; with --grid 2e-3).", valueName: "x"))
    var lr: Float?

    @Option(help: ArgumentHelp("Epochs without validation improvement before stopping; 0 disables early stopping (default 10; with --grid 8).", valueName: "n"))
    var patience: Int?

    @Option(name: .customLong("lr-schedule"), help: ArgumentHelp("Learning-rate schedule per epoch: constant (the default), step (halve every 10 epochs), cosine (2 warm-up epochs, then cosine decay to 5% at the last epoch) or plateau (halve after 5 epochs without validation improvement, down to 1%).", valueName: "name"))
    var lrSchedule: LearningRateSchedule?

    @Option(help: "Worker threads (default: number of cores). Results do not depend on it.")
    var workers: Int?

    @Option(help: "Random seed (weights, shuffles, dropout).")
    var seed: UInt64 = 42

    @Option(name: .customLong("val-fraction"), help: ArgumentHelp("Share of each series for validation (early stopping); default 0.1.", valueName: "f"))
    var valFraction: Double?

    @Option(name: .customLong("test-fraction"), help: ArgumentHelp("Share of each series held out for the test metrics; default 0.1 (with --grid 0.2).", valueName: "f"))
    var testFraction: Double?

    @Option(help: ArgumentHelp("Missing values in the columns used: interpolate (linear in time; the default, reported on stderr), ffill, drop (skip windows touching one) or error.", valueName: "policy"))
    var missing: MissingPolicy = .interpolate

    @Option(name: .customLong("windows-per-epoch"), help: ArgumentHelp("Sampled epochs for large sets: train on this many windows per epoch, drawn (seeded) uniformly over all windows, and validate on one fixed seeded sample of as many (default: every window).", valueName: "n"))
    var windowsPerEpoch: Int?

    @Option(help: ArgumentHelp("Span training for windowed recurrent models: read this many consecutive windows in one recurrent pass (lookback + span - 1 rows), each position forecasting its window; an epoch draws 4,000 spans at random starts (--windows-per-epoch counts spans). The model file is the windowed model.", valueName: "n"))
    var span: Int?

    @Option(name: .customLong("span-truncation"), help: ArgumentHelp("Span training: backpropagate through at most this many steps before each span's first forecast (the earlier rows run as an inference pass that sets the state).", valueName: "k"))
    var spanTruncation: Int?

    @Flag(name: .customLong("skip-nonfinite"), help: "Skip minibatches whose loss or gradient is not finite instead of stopping.")
    var skipNonFinite = false

    @Flag(name: .customLong("level-norm"), inversion: .prefixedNo, help: "Subtract each window's last value (level normalisation; the default, except for a global model over intermittent series, as for --loss). A model without it streams with a carried state (predict --follow, docs/deploy.md).")
    var levelNorm: Bool?

    @Option(name: .customLong("window-scaling"), help: ArgumentHelp("Per-window scaling of the targets: robust (each window's inputs and targets centred on the median of its inputs and divided by their median absolute deviation; forecasts scaled back; NeuralForecast's robust scaler) or none. Default: robust for a global model over intermittent series when neither --level-norm nor --no-level-norm is given, else none. Exclusive with --level-norm; not with --loss gaussian.", valueName: "name"))
    var windowScaling: WindowScalingChoice?

    @Option(name: .customLong("scaler-scope"), help: ArgumentHelp("Scaling of the targets: series (each series divided by its mean absolute training value first; the default for several series) or global (one scaler per column; the default for one series). Recurrent models.", valueName: "scope"))
    var scalerScope: ScalerScope?

    @Option(name: .customLong("static"), help: ArgumentHelp("Static covariates: columns constant within each series (or of --static-file), comma-separated; text columns are categorical (learned embedding), number columns numeric unless written name:cat. Recurrent models.", valueName: "columns"))
    var statics: String?

    func validate() throws {
        try OptionLimits.requireFinite([("--dropout", Double(dropout)), ("--lr", lr.map(Double.init)),
                                        ("--val-fraction", valFraction), ("--test-fraction", testFraction)])
        try OptionLimits.require([("--layers", layers, ConfigLimits.layers), ("--batch", batch, WindowLimits.batch),
                                  ("--lookback", lookback, WindowLimits.lookback), ("--horizon", horizon, WindowLimits.horizon),
                                  ("--epochs", epochs, OptionLimits.epochs), ("--workers", workers, OptionLimits.workers),
                                  ("--patience", patience, OptionLimits.patience), ("--hidden", hidden, ConfigLimits.hidden)])
        if let l = lookback, l < 1 { throw ValidationError("--lookback must be at least 1") }
        if let h = horizon, h < 1 { throw ValidationError("--horizon must be at least 1") }
        for (name, v) in [("--hidden", hidden), ("--layers", layers), ("--epochs", epochs), ("--batch", batch)] {
            if let v, v < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        if let n = windowsPerEpoch, n < 1 { throw ValidationError("--windows-per-epoch must be at least 1") }
        if let n = span, n < 1 { throw ValidationError("--span must be at least 1") }
        if let k = spanTruncation, k < 0 { throw ValidationError("--span-truncation must be at least 0") }
        if spanTruncation != nil, span == nil {
            // auto applies it with its long-set span default; elsewhere it needs --span.
            guard case .auto = model else { throw ValidationError("--span-truncation needs --span (or --model auto on a long set)") }
        }
        if let n = members {
            guard (1...9).contains(n) else { throw ValidationError("--members must be from 1 to 9, got \(n)") }
            guard case .auto = model else { throw ValidationError("--members needs --model auto, not \(model)") }
        }
        if statics != nil || scalerScope != nil {
            guard case .recurrent = model else { throw ValidationError("--static and --scaler-scope need --model lstm, gru or rnn, not \(model)") }
        }
        if let p = patience, p < 0 { throw ValidationError("--patience must be 0 or more") }
        if !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1)") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        let v = valFraction ?? 0.1, t = testFraction ?? 0.1
        if v < 0 || t < 0 || v + t >= 0.9 { throw ValidationError("--val-fraction and --test-fraction must be non-negative and sum to less than 0.9") }
        if let w = workers, w < 1 { throw ValidationError("--workers must be at least 1") }
        if let q = quantiles {
            if q.values.contains(where: { !($0 > 0 && $0 < 1) }) { throw ValidationError("--quantiles must lie strictly between 0 and 1, got \(q.defaultValueDescription)") }
            if Set(q.values).count != q.values.count { throw ValidationError("--quantiles lists a level twice: \(q.defaultValueDescription)") }
            try OptionLimits.require([("--quantiles", q.values.count, 1...99)])
            switch loss { case .mse, .quantile: break; default: throw ValidationError("--quantiles needs --loss quantile (or no --loss), not \(loss.name)") }
        }
        if (likelihood != nil || samples != nil || lags != nil || scaling != nil || noSpreadCalibration) && model != .deepar {
            throw ValidationError("--likelihood, --samples, --lags, --scaling and --no-spread-calibration need --model deepar")
        }
        if lags != nil && parsedLags() == nil { throw ValidationError("--lags takes steps from 1 to 100000, comma-separated, or none; got '\(lags ?? "")'") }
        if let n = samples { try OptionLimits.require([("--samples", n, 1...100_000)]) }
        if conformalScore != nil && intervals != .conformal { throw ValidationError("--conformal-score needs --intervals conformal") }
        if conformalCalibration != nil && intervals != .conformal { throw ValidationError("--conformal-calibration needs --intervals conformal") }
        if let k = conformalFolds {
            if conformalCalibration == .rolling || conformalCalibration == .windows { throw ValidationError("--conformal-folds needs --conformal-calibration cross") }
            if intervals != .conformal { throw ValidationError("--conformal-folds needs --intervals conformal") }
            try OptionLimits.require([("--conformal-folds", k, 1...ConformalFolds.maximumCount)])
        }
        if intervals == .conformal {
            if quantiles != nil { throw ValidationError("--intervals conformal is for point losses; a quantile head gives its own intervals") }
            switch loss {
            case .gaussian, .quantile: throw ValidationError("--intervals conformal is for point losses (mse, mae, huber); --loss \(loss.name) gives its own intervals")
            default: break
            }
            if model == .seq2seq || model == .deepar || model == .eshybrid {
                throw ValidationError("--intervals conformal is available for --model auto|lstm|gru|rnn; not for \(model)")
            }
        }
        for c in splitList(calendar) where ModelOptions.calendarFeature(c) == nil && !(model == .deepar && c.lowercased() == "none") {
            throw ValidationError("--calendar takes \(CalendarFeature.acceptedNames), got '\(c)'")
        }
        if dilations != nil || tau != nil || learnTau {
            guard let d = parsedDilations() else { throw ValidationError("--dilations takes positive integers, comma-separated, got '\(dilations ?? "")'") }
            // The checks do not depend on the cell.
            let cfg = RecurrentConfig(cell: .leakyRNN, inputSize: 1, hiddenSize: 1, numLayers: layers ?? 1,
                                      dilations: d, tau: tau ?? (learnTau ? 2 : 1), learnsTau: learnTau)
            do { try cfg.validate() } catch { throw ValidationError("\(error)") }
        }
    }

    /// The calendar feature `name` names (the same names as job files' `data.calendar`).
    static func calendarFeature(_ name: String) -> CalendarFeature? { CalendarFeature(name: name) }

    /// Usage check for commands that train a series model: a target is required, except for a
    /// long-format file (`unique_id,ds,y`), whose target is `y`.
    mutating func requireTarget(data: String? = nil) throws {
        if target.isEmpty, let data, LongFormat.recognises(path: data) { target = [LongFormat.target] }
        if target.isEmpty { throw ValidationError("--target is required: the column to forecast") }
    }

    /// `--lags` as steps (empty for none, nil when malformed or not given).
    func parsedLags() -> [Int]? {
        guard let lags else { return nil }
        if lags.lowercased() == "none" { return [] }
        let parts = splitList(lags).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ $0.map { (1...100_000).contains($0) } ?? false }) else { return nil }
        return parts.compactMap { $0 }
    }

    /// `--dilations` as integers (empty when not given), nil when malformed.
    func parsedDilations() -> [Int]? {
        guard let dilations else { return [] }
        let parts = splitList(dilations).map { Int($0) }
        return parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    /// Without `--model` (and `--members`), the LSTM instead of `auto` for a global model over
    /// intermittent series (``IntermittentDefaults``): the ensemble's statistical members (ETS,
    /// Theta) are methods for smooth series, fitted one series at a time. On the 3,000-series
    /// generator file `auto` itself chose its LSTM alone on validation (ETS 0.856, Theta 0.849,
    /// LSTM 0.725) after 688 s and 5 GB, nearly all of it the per-series fits (docs/performance.md).
    mutating func chooseModel(for set: TimeSeriesSet) {
        guard modelChoice == nil, members == nil, model == .auto,
              IntermittentDefaults.applies(set, targets: target, split: SplitSpec(validation: valFraction ?? 0.1, test: testFraction ?? 0.1))
        else { return }
        modelChoice = .recurrent(.lstm)
    }

    /// The library options for training on `set`: ``forecasterOptions()`` with the loss, level
    /// normalisation, window scaling and learning-rate schedule left unset chosen by the data
    /// (``IntermittentDefaults``: MAE, none, robust and cosine for a global model over
    /// intermittent series).
    func forecasterOptions(for set: TimeSeriesSet) -> ForecasterOptions {
        IntermittentDefaults.resolve(forecasterOptions(), set: set, targets: target,
                                     chooseLoss: lossChoice == nil && quantiles == nil, chooseLevelNormalization: levelNorm == nil,
                                     chooseWindowScaling: windowScaling == nil && levelNorm == nil,
                                     chooseSchedule: lrSchedule == nil)
    }

    /// `--model auto`'s options and recurrent members for `set`: with `--members`, `--span` and
    /// `--window-scaling` unset on a long set (``LongSeriesDefaults``), two members trained on
    /// spans; otherwise `options` and `--members` as given.
    func ensembleDefaults(_ options: ForecasterOptions, set: TimeSeriesSet) -> (options: ForecasterOptions, members: Int?) {
        guard members == nil, span == nil, windowScaling == nil,
              LongSeriesDefaults.applies(set, targets: target, options: options) else { return (options, members) }
        var o = options
        o.training.span = LongSeriesDefaults.span
        o.training.spanTruncation = spanTruncation ?? LongSeriesDefaults.truncation
        return (o, LongSeriesDefaults.members)
    }

    /// The library options these flags describe (without the data's defaults, ``forecasterOptions(for:)``).
    func forecasterOptions() -> ForecasterOptions {
        var options = ForecasterOptions()
        if case .recurrent(let cell) = model { options.cell = cell }
        options.hidden = hidden ?? 64
        options.layers = layers ?? 1
        options.bidirectional = bidirectional
        options.dropout = dropout
        options.dilations = parsedDilations() ?? []
        options.tau = tau ?? (learnTau ? 2 : 1)
        options.learnsTau = learnTau
        options.lookback = lookback
        options.horizon = horizon
        options.features = splitList(features)
        options.knownFuture = splitList(knownFuture)
        options.calendar = splitList(calendar).compactMap(ModelOptions.calendarFeature)
        options.split = SplitSpec(validation: valFraction ?? 0.1, test: testFraction ?? 0.1)
        options.missing = missing
        options.levelNormalization = levelNorm ?? true
        options.windowScaling = windowScaling?.scaling
        // --window-scaling robust alone replaces the default level normalisation.
        if options.windowScaling != nil && levelNorm == nil { options.levelNormalization = false }
        options.scalerScope = scalerScope
        options.training.loss = loss
        if let q = quantiles { options.training.loss = .quantile(q.values.map { Float($0) }) }
        options.conformal = intervals == .conformal
        if let c = conformalScore { options.conformalScore = c }
        if let c = conformalCalibration { options.conformalRule = c }
        if let k = conformalFolds { options.conformalFolds = k }
        options.training.epochs = epochs ?? 60
        options.training.batchSize = batch ?? 32
        options.training.learningRate = lr ?? 3e-3
        let p = patience ?? 10
        options.training.patience = p > 0 ? p : nil
        options.training.seed = seed
        options.training.nonFinite = skipNonFinite ? .skip : .stop
        if let w = workers { options.training.workers = w }
        options.training.windowsPerEpoch = windowsPerEpoch
        options.training.span = span
        options.training.spanTruncation = spanTruncation
        if let schedule = lrSchedule { options.training.schedule = schedule }
        return options
    }
}

/// "a,b, c" -> ["a", "b", "c"].
func splitList(_ s: String?) -> [String] {
    guard let s else { return [] }
    return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

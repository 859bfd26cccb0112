import Foundation
import Forecast
import Yams

/// A nightly retraining job, read from a YAML file (see docs/retraining.md for the reference):
///
/// ```yaml
/// data:     { path: drops, time: month, targets: [passengers] }
/// model:    { cell: lstm, hidden: 16, lookback: 24, horizon: 6 }
/// training: { epochs: 60, patience: 10, seed: 42 }
/// retrain:  { mode: warm, warm_epochs: 15, holdout: 12,
///             promotion: { metric: mase, tolerance: 0.02 } }
/// registry: { path: registry, name: air-passengers, keep: 5 }
/// ```
///
/// `model.family` (recurrent, seq2seq or grid) picks the model family; see
/// RetrainJob+Model.swift for the keys of each and RetrainFamilies.swift for what a run does
/// per family.
///
/// Relative paths are relative to the folder holding the job file. `run()` does one night's
/// work and returns a ``RetrainReport`` whose ``RetrainOutcome`` carries the exit code.
public struct RetrainJob: Sendable, Equatable {
    /// Where the data comes from and which columns matter.
    public struct DataSettings: Sendable, Equatable, Codable {
        /// A CSV file, or a folder of CSV drops merged in file-name order (absolute).
        public var path: String
        /// The time column; nil detects it.
        public var time: String?
        public var seriesKey: String?
        /// Field delimiter (one character); nil detects it.
        public var delimiter: String?
        public var targets: [String]
        public var features: [String] = []
        public var knownFuture: [String] = []
        public var calendar: [CalendarFeature] = []
        public var missing: MissingPolicy = .error

        public init(path: String, targets: [String]) { self.path = path; self.targets = targets }
    }

    /// The network and its windows.
    ///
    /// The family-specific parts are optional so that a recurrent job encodes (and hashes)
    /// exactly as before families existed: `family` nil is the recurrent regressor, and
    /// `seq2seq` / `grid` are set only for their family.
    public struct ModelSettings: Sendable, Equatable, Codable {
        /// nil: recurrent (see ``resolvedFamily``).
        public var family: ModelFamily? = nil
        /// Decoder and attention (seq2seq jobs only).
        public var seq2seq: Seq2SeqSettings? = nil
        /// Frames and ConvLSTM (grid jobs only).
        public var grid: GridSettings? = nil
        /// The encoder cell (recurrent and seq2seq).
        public var cell: CellKind = .lstm
        public var hidden = 32
        public var layers = 1
        public var bidirectional = false
        public var dropout: Float = 0
        public var lookback: Int? = nil
        public var horizon: Int? = nil
        /// Loss name: mse, mae, huber, gaussian or quantile.
        public var loss = "mse"
        public var levelNormalization = true
        public init() {}

        /// The family the job trains.
        public var resolvedFamily: ModelFamily { family ?? .recurrent }
    }

    /// The seq2seq decoder (``Seq2SeqOptions``); the encoder is `cell`, `hidden`, `layers`.
    public struct Seq2SeqSettings: Sendable, Equatable, Codable {
        public var attention: AttentionKind = .additive
        /// nil: the encoder's cell and hidden size.
        public var decoderCell: CellKind? = nil
        public var decoderHidden: Int? = nil
        public var teacherForcing: TeacherForcingSchedule = .standard
        public init() {}
    }

    /// The ConvLSTM encoder–forecaster (``NowcastOptions``): `hidden` channels in each of
    /// `layers` layers, and these.
    public struct GridSettings: Sendable, Equatable, Codable {
        public var inFrames = 6
        public var outFrames = 6
        /// Kernel of the recurrent convolutions (odd).
        public var kernel = 3
        /// Space-to-depth patch; nil chooses from the grid size.
        public var patch: Int? = nil
        public var output: EncoderForecaster.OutputActivation = .softplus
        public var transform: FrameScaling.Transform = .linear
        public init() {}
    }

    /// Cold training (and the defaults of warm fine-tuning).
    public struct TrainingSettings: Sendable, Equatable, Codable {
        public var epochs = 60
        public var batchSize = 32
        public var learningRate: Float = 3e-3
        /// Early-stopping patience in epochs; nil trains every epoch.
        public var patience: Int? = 10
        public var seed: UInt64 = 42
        /// Worker threads; nil uses every core. Results do not depend on it.
        public var workers: Int? = nil
        /// Share of every series used for validation (early stopping), before the holdout.
        public var validation = 0.1
        public var clipNorm: Float? = 1
        /// Sampled epochs: this many training windows per epoch (seeded; validation on a fixed
        /// seeded sample of the same size), as `forecast train --windows-per-epoch`; nil visits
        /// every window.
        public var windowsPerEpoch: Int? = nil
        public init() {}
    }

    /// Warm start (fine-tune the champion) or cold retrain (fresh weights).
    public enum Mode: String, Sendable, Equatable, Codable { case warm, cold }

    /// The rows scored to compare champion and challenger: the last `steps` rows of every
    /// series, or the last `fraction` of them. Neither model is trained on them.
    public enum Holdout: Sendable, Equatable, Codable, CustomStringConvertible {
        case steps(Int)
        case fraction(Double)

        /// JSON: a whole number of steps, or a fraction below 1.
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            let v = try c.decode(Double.self)
            self = v < 1 ? .fraction(v) : .steps(Int(v))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .steps(let n): try c.encode(n)
            case .fraction(let f): try c.encode(f)
            }
        }

        /// Rows held out of a series of `rows` rows.
        public func rows(of rows: Int) -> Int {
            switch self {
            case .steps(let n): return n
            case .fraction(let f): return Int((Double(rows) * f).rounded())
            }
        }

        public var description: String {
            switch self {
            case .steps(let n): return "the last \(n) steps"
            case .fraction(let f): return "the last \(Int((f * 100).rounded()))%"
            }
        }
    }

    /// The metric the promotion rule compares (lower is better).
    public enum Metric: String, Sendable, Equatable, Codable, CaseIterable {
        case mase, mae, rmse, smape
        public func value(_ m: Metrics) -> Double {
            switch self {
            case .mase: return m.mase
            case .mae: return m.mae
            case .rmse: return m.rmse
            case .smape: return m.smape
            }
        }

        /// The metric of a grid model's holdout scores (averaged over lead times and cells):
        /// `mase` is the model's MAE over persistence's MAE (below 1: better than repeating the
        /// last frame), `rmse` the square root of the MSE; nil for `smape`, which a grid of
        /// mostly dry (zero) cells does not define.
        public func value(_ r: NowcastReport) -> Double? {
            switch self {
            case .mase: return r.model.mae / r.persistence.mae
            case .mae: return r.model.mae
            case .rmse: return r.model.mse.squareRoot()
            case .smape: return nil
            }
        }
    }

    /// The challenger is promoted when its holdout metric is not worse than the champion's by
    /// more than `tolerance`: `challenger <= champion * (1 + tolerance)` (relative) or
    /// `challenger <= champion + tolerance` (absolute). A negative tolerance demands an
    /// improvement.
    public struct Promotion: Sendable, Equatable, Codable {
        public var metric: Metric = .mase
        public var tolerance = 0.0
        public var relative = true
        public init() {}
    }

    public struct RetrainSettings: Sendable, Equatable, Codable {
        public var mode: Mode = .warm
        /// Epochs of fine-tuning in warm mode.
        public var warmEpochs = 10
        /// Learning rate of fine-tuning; nil uses the training learning rate.
        public var warmLearningRate: Float? = nil
        public var holdout: Holdout = .fraction(0.1)
        public var promotion = Promotion()
        public init() {}
    }

    public struct RegistrySettings: Sendable, Equatable, Codable {
        /// The registry folder (absolute).
        public var path: String
        /// The model's name: its folder in the registry.
        public var name: String
        /// Version files kept (the newest ones; the current champion is always kept).
        public var keep = 5
        public init(path: String, name: String) { self.path = path; self.name = name }
        /// `path/name`.
        public var folder: String { (path as NSString).appendingPathComponent(name) }
    }

    /// The job file (absolute; empty for jobs built in code).
    public var jobPath: String
    public var data: DataSettings
    public var model = ModelSettings()
    public var training = TrainingSettings()
    public var retrain = RetrainSettings()
    public var registry: RegistrySettings
    /// Also write the run report here (absolute); it always goes to `REGISTRY/NAME/last_run.json`.
    public var reportPath: String? = nil

    public init(jobPath: String = "", data: DataSettings, registry: RegistrySettings) {
        self.jobPath = jobPath; self.data = data; self.registry = registry
    }

    // MARK: Loading

    /// Reads and checks a job file. Errors are ``RetrainError/invalidJob(_:)`` naming the file,
    /// the line and the key.
    public static func load(_ path: String) throws -> RetrainJob {
        let text: String
        do {
            // A regular file within the size limit (a FIFO or device is refused, never waited on).
            text = String(decoding: try RegularFile.read(path, maxBytes: JobFileLimits.maxBytes), as: UTF8.self)
        } catch {
            throw RetrainError.invalidJob("\(error)")
        }
        let absolute = absolutePath(path, base: FileManager.default.currentDirectoryPath)
        return try parse(yaml: text, jobPath: absolute)
    }

    /// Parses job YAML; relative paths are resolved against the folder of `jobPath`. Text past
    /// the ``JobFileLimits`` (size, nesting) is refused before it reaches the YAML parser.
    public static func parse(yaml: String, jobPath: String) throws -> RetrainJob {
        let name = jobPath.isEmpty ? "<job>" : jobPath
        try JobFileLimits.check(yaml, file: name)
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw RetrainError.invalidJob("\(name):\(first.replacingOccurrences(of: " error: ", with: " "))")
        }
        guard let root else { throw RetrainError.invalidJob("\(name): the job file is empty") }
        let r = YAMLFields(file: name)
        let base = jobPath.isEmpty ? FileManager.default.currentDirectoryPath : (jobPath as NSString).deletingLastPathComponent
        let top = try r.mapping(root, "the job", keys: ["data", "model", "training", "retrain", "registry", "report"])

        // data
        guard let dataNode = top["data"] else { throw r.error(root, "missing section 'data' (the CSV file or folder of drops, and the target columns)") }
        let d = try r.mapping(dataNode, "data", keys: ["path", "time", "series_key", "delimiter", "targets", "features", "known_future", "calendar", "missing"])
        guard let pathNode = d["path"], let dataPath = try r.string(pathNode, "data.path") else {
            throw r.error(dataNode, "data.path is required: a CSV file or a folder of CSV drops")
        }
        guard let targetsNode = d["targets"] else { throw r.error(dataNode, "data.targets is required: the column(s) to forecast") }
        let targets = try r.stringList(targetsNode, "data.targets")
        if targets.isEmpty { throw r.error(targetsNode, "data.targets names no column") }
        var data = DataSettings(path: absolutePath(dataPath, base: base), targets: targets)
        if let n = d["time"] { data.time = try r.string(n, "data.time") }
        if let n = d["series_key"] { data.seriesKey = try r.string(n, "data.series_key") }
        if let n = d["delimiter"], let s = try r.string(n, "data.delimiter") {
            guard s == "tab" || s == "\\t" || s.utf8.count == 1 else { throw r.error(n, "data.delimiter must be one character or 'tab', got '\(s)'") }
            data.delimiter = s
        }
        if let n = d["features"] { data.features = try r.stringList(n, "data.features") }
        if let n = d["known_future"] { data.knownFuture = try r.stringList(n, "data.known_future") }
        if let n = d["calendar"] {
            data.calendar = try r.stringList(n, "data.calendar").map { s in
                guard let c = CalendarFeature(name: s) else {
                    throw r.error(n, "data.calendar: unknown feature '\(s)' (expected \(CalendarFeature.acceptedNames))")
                }
                return c
            }
        }
        if let n = d["missing"], let s = try r.string(n, "data.missing") {
            guard let m = MissingPolicy(rawValue: s) else { throw r.error(n, "data.missing must be error, drop, ffill or interpolate, got '\(s)'") }
            data.missing = m
        }

        // registry
        guard let regNode = top["registry"] else { throw r.error(root, "missing section 'registry' (path and name of the model registry)") }
        let g = try r.mapping(regNode, "registry", keys: ["path", "name", "keep"])
        guard let rp = g["path"], let regPath = try r.string(rp, "registry.path") else { throw r.error(regNode, "registry.path is required: the registry folder") }
        guard let rn = g["name"], let regName = try r.string(rn, "registry.name") else { throw r.error(regNode, "registry.name is required: the model's name (its folder in the registry)") }
        guard ModelRegistry.isValidName(regName) else {
            throw r.error(rn, "registry.name '\(regName)' must be letters, digits, '.', '_' or '-' and not start with '.'")
        }
        var job = RetrainJob(jobPath: jobPath, data: data, registry: RegistrySettings(path: absolutePath(regPath, base: base), name: regName))
        if let n = g["keep"] { job.registry.keep = try r.int(n, "registry.keep", min: 1) }

        // model
        if let modelNode = top["model"] { job.model = try parseModel(modelNode, r) }
        try job.checkFamilyData(r, dataNode: dataNode)

        // training
        if let trainingNode = top["training"] {
            let t = try r.mapping(trainingNode, "training", keys: ["epochs", "batch_size", "learning_rate", "patience", "seed", "workers", "validation", "clip_norm",
                                                                    "windows_per_epoch"])
            if let n = t["epochs"] { job.training.epochs = try r.int(n, "training.epochs", min: 1) }
            if let n = t["batch_size"] { job.training.batchSize = try r.int(n, "training.batch_size", min: 1) }
            if let n = t["learning_rate"] { job.training.learningRate = try r.positiveFloat(n, "training.learning_rate") }
            if let n = t["patience"] {
                if r.isNull(n) { job.training.patience = nil } else {
                    let p = try r.int(n, "training.patience", min: 0)
                    job.training.patience = p > 0 ? p : nil
                }
            }
            if let n = t["seed"] { job.training.seed = UInt64(try r.int(n, "training.seed", min: 0)) }
            if let n = t["workers"], !r.isNull(n) { job.training.workers = try r.int(n, "training.workers", min: 1) }
            if let n = t["validation"] {
                let v = try r.double(n, "training.validation")
                guard v >= 0, v < 0.9 else { throw r.error(n, "training.validation must be a fraction in [0, 0.9), got \(v)") }
                job.training.validation = v
            }
            if let n = t["clip_norm"] {
                job.training.clipNorm = r.isNull(n) ? nil : try r.positiveFloat(n, "training.clip_norm")
            }
            if let n = t["windows_per_epoch"] {
                job.training.windowsPerEpoch = r.isNull(n) ? nil : try r.int(n, "training.windows_per_epoch", min: 1)
            }
        }

        // retrain
        if let retrainNode = top["retrain"] {
            let t = try r.mapping(retrainNode, "retrain", keys: ["mode", "warm_epochs", "warm_learning_rate", "holdout", "promotion"])
            if let n = t["mode"], let s = try r.string(n, "retrain.mode") {
                guard let mode = Mode(rawValue: s.lowercased()) else { throw r.error(n, "retrain.mode must be warm or cold, got '\(s)'") }
                job.retrain.mode = mode
            }
            if let n = t["warm_epochs"] { job.retrain.warmEpochs = try r.int(n, "retrain.warm_epochs", min: 1) }
            if let n = t["warm_learning_rate"], !r.isNull(n) { job.retrain.warmLearningRate = try r.positiveFloat(n, "retrain.warm_learning_rate") }
            if let n = t["holdout"] {
                if let i = n.int {
                    guard i >= 1 else { throw r.error(n, "retrain.holdout must be at least 1 step (or a fraction like 0.1), got \(i)") }
                    job.retrain.holdout = .steps(i)
                } else if let f = n.float, n.scalar != nil {
                    guard f > 0, f < 0.5 else { throw r.error(n, "retrain.holdout as a fraction must be in (0, 0.5), got \(f)") }
                    job.retrain.holdout = .fraction(f)
                } else {
                    throw r.error(n, "retrain.holdout must be a number of steps (e.g. 12) or a fraction (e.g. 0.1)")
                }
            }
            if let p = t["promotion"] {
                let pm = try r.mapping(p, "retrain.promotion", keys: ["metric", "tolerance", "relative"])
                if let n = pm["metric"], let s = try r.string(n, "retrain.promotion.metric") {
                    guard let metric = Metric(rawValue: s.lowercased()) else { throw r.error(n, "retrain.promotion.metric must be mase, mae, rmse or smape, got '\(s)'") }
                    job.retrain.promotion.metric = metric
                }
                if let n = pm["relative"] { job.retrain.promotion.relative = try r.bool(n, "retrain.promotion.relative") }
                if let n = pm["tolerance"] {
                    let v = try r.double(n, "retrain.promotion.tolerance")
                    guard v.isFinite, !job.retrain.promotion.relative || v > -1 else {
                        throw r.error(n, "retrain.promotion.tolerance must be a finite number (above -1 when relative), got \(v)")
                    }
                    job.retrain.promotion.tolerance = v
                }
            }
        }
        if let n = top["report"], let s = try r.string(n, "report") { job.reportPath = absolutePath(s, base: base) }

        // Combinations.
        if case .steps(let h) = job.retrain.holdout, let horizon = job.model.horizon, h < horizon, job.model.grid == nil {
            throw r.error(top["retrain"] ?? root, "retrain.holdout (\(h) steps) must cover at least one horizon (\(horizon) steps) to score a forecast")
        }
        if let g = job.model.grid {
            if case .steps(let h) = job.retrain.holdout, h < g.inFrames + g.outFrames {
                throw r.error(top["retrain"] ?? root, "retrain.holdout (\(h) frames) must hold at least one window of in_frames + out_frames = \(g.inFrames + g.outFrames) frames to score a forecast")
            }
            if job.retrain.promotion.metric == .smape {
                throw r.error(top["retrain"] ?? root, "retrain.promotion.metric smape is not defined for grid models (use mase: MAE over persistence's MAE, mae or rmse)")
            }
        }
        if case .fraction(let f) = job.retrain.holdout, f + job.training.validation >= 0.9 {
            throw r.error(top["retrain"] ?? root, "retrain.holdout (\(f)) plus training.validation (\(job.training.validation)) leave too few rows for training")
        }
        return job
    }

    // MARK: Derived settings

    /// The settings that decide a model's shape and meaning: a warm start needs a champion
    /// made with the same ones.
    struct ModelIdentity: Codable, Equatable {
        var targets: [String], features: [String], knownFuture: [String], calendar: [CalendarFeature]
        var missing: MissingPolicy, time: String?, seriesKey: String?
        var model: ModelSettings
    }

    /// Everything that decides a run's result apart from the data.
    struct RunIdentity: Codable, Equatable {
        var model: ModelIdentity
        var training: TrainingSettingsForHash
        var mode: Mode, warmEpochs: Int, warmLearningRate: Float?, holdout: Holdout, delimiter: String?
    }

    /// Training settings without `workers` (it does not change results). `windowsPerEpoch` is
    /// left out of the encoding when nil, so jobs without it keep their earlier hash.
    struct TrainingSettingsForHash: Codable, Equatable {
        var epochs: Int, batchSize: Int, learningRate: Float, patience: Int?, seed: UInt64, validation: Double, clipNorm: Float?
        var windowsPerEpoch: Int?
    }

    var modelIdentity: ModelIdentity {
        ModelIdentity(targets: data.targets, features: data.features, knownFuture: data.knownFuture, calendar: data.calendar,
                      missing: data.missing, time: data.time, seriesKey: data.seriesKey, model: model)
    }

    /// SHA-256 of the model-defining settings (warm starts need the champion's to match).
    public var modelSettingsHash: String { canonicalHash(modelIdentity) }

    /// SHA-256 of every setting that changes the result of a run on given data.
    public var runSettingsHash: String {
        let t = training
        return canonicalHash(RunIdentity(
            model: modelIdentity,
            training: TrainingSettingsForHash(epochs: t.epochs, batchSize: t.batchSize, learningRate: t.learningRate, patience: t.patience,
                                              seed: t.seed, validation: t.validation, clipNorm: t.clipNorm,
                                              windowsPerEpoch: t.windowsPerEpoch),
            mode: retrain.mode, warmEpochs: retrain.warmEpochs, warmLearningRate: retrain.warmLearningRate,
            holdout: retrain.holdout, delimiter: data.delimiter))
    }

    /// Options for `Forecaster.fit` with `split`.
    func forecasterOptions(split: SplitSpec) -> ForecasterOptions {
        var o = ForecasterOptions()
        o.cell = model.cell
        o.hidden = model.hidden
        o.layers = model.layers
        o.bidirectional = model.bidirectional
        o.dropout = model.dropout
        o.lookback = model.lookback
        o.horizon = model.horizon
        o.features = data.features
        o.knownFuture = data.knownFuture
        o.calendar = data.calendar
        o.split = split
        o.missing = data.missing
        o.levelNormalization = model.levelNormalization
        o.training = coldTrainingConfig
        return o
    }

    /// The cold-training settings of the recurrent family (the job's training section over the defaults).
    public var coldTrainingConfig: TrainingConfig { trainingConfig(base: TrainingConfig()) }

    /// The job's training section applied over `base`, which supplies what a job file does
    /// not set (schedule, shards: the family's defaults).
    func trainingConfig(base: TrainingConfig) -> TrainingConfig {
        var t = base
        t.epochs = training.epochs
        t.batchSize = training.batchSize
        t.learningRate = training.learningRate
        t.patience = training.patience
        t.seed = training.seed
        t.workers = training.workers ?? defaultWorkers()
        t.clipNorm = training.clipNorm
        t.windowsPerEpoch = training.windowsPerEpoch
        t.loss = LossKind(name: model.loss) ?? .mse
        return t
    }

    /// The warm-start (fine-tuning) settings of the recurrent family.
    public var warmTrainingConfig: TrainingConfig { warmTrainingConfig(base: TrainingConfig()) }

    /// The fine-tuning settings (warm epochs and learning rate) over `base`.
    func warmTrainingConfig(base: TrainingConfig) -> TrainingConfig {
        var t = trainingConfig(base: base)
        t.epochs = retrain.warmEpochs
        if let lr = retrain.warmLearningRate { t.learningRate = lr }
        return t
    }

    /// CSV options from the data settings.
    var csvOptions: CSVOptions {
        var o = CSVOptions()
        if let d = data.delimiter { o.delimiter = (d == "tab" || d == "\\t") ? 0x09 : d.utf8.first }
        return o
    }
}

/// Errors of a retraining run that are not data or training errors.
public enum RetrainError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The job file is missing, not YAML, or has a bad or missing setting.
    case invalidJob(String)
    /// Another run holds the registry's lock.
    case lockHeld(String)
    /// The registry cannot be read or written, or is damaged.
    case registry(String)

    public var description: String {
        switch self {
        case .invalidJob(let m), .lockHeld(let m), .registry(let m): return m
        }
    }
}

// MARK: - Helpers

/// `path` made absolute against `base` (tilde expanded), without resolving symlinks.
func absolutePath(_ path: String, base: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
    return ((base as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
}

/// SHA-256 of the sorted-key JSON of `value`.
func canonicalHash<T: Encodable>(_ value: T) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let bytes = (try? enc.encode(value)) ?? Data()
    return SHA256.hex([UInt8](bytes))
}

/// Typed access to YAML nodes with one-line errors naming file, line and key.
struct YAMLFields {
    let file: String

    func error(_ node: Node, _ message: String) -> RetrainError {
        if let line = node.mark?.line { return .invalidJob("\(file):\(line): \(message)") }
        return .invalidJob("\(file): \(message)")
    }

    func isNull(_ node: Node) -> Bool {
        guard let s = node.scalar else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// A mapping with only `keys`; returns key -> value node.
    func mapping(_ node: Node, _ what: String, keys: [String]) throws -> [String: Node] {
        guard let m = node.mapping else { throw error(node, "\(what) must be a mapping of keys to values") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { throw error(k, "\(what): keys must be text") }
            guard keys.contains(key) else {
                throw error(k, "unknown key '\(key)' in \(what) (known: \(keys.joined(separator: ", ")))")
            }
            if out[key] != nil { throw error(k, "key '\(key)' appears twice in \(what)") }
            out[key] = v
        }
        return out
    }

    func string(_ node: Node, _ key: String) throws -> String? {
        if isNull(node) { return nil }
        guard let s = node.scalar?.string else { throw error(node, "\(key) must be a single value, not a list or mapping") }
        return s
    }

    func stringList(_ node: Node, _ key: String) throws -> [String] {
        if isNull(node) { return [] }
        if let seq = node.sequence {
            return try seq.map { item in
                guard let s = item.scalar?.string, !s.isEmpty else { throw error(item, "\(key) must list column names") }
                return s
            }
        }
        guard let s = node.scalar?.string else { throw error(node, "\(key) must be a column name or a list of them") }
        return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func int(_ node: Node, _ key: String, min: Int) throws -> Int {
        guard node.scalar != nil, let v = node.int else { throw error(node, "\(key) must be a whole number, got \(describe(node))") }
        guard v >= min else { throw error(node, "\(key) must be at least \(min), got \(v)") }
        return v
    }

    func double(_ node: Node, _ key: String) throws -> Double {
        guard node.scalar != nil, let v = node.float, v.isFinite else { throw error(node, "\(key) must be a number, got \(describe(node))") }
        return v
    }

    func positiveFloat(_ node: Node, _ key: String) throws -> Float {
        let v = try double(node, key)
        guard v > 0, Float(v).isFinite else { throw error(node, "\(key) must be a positive number, got \(v)") }
        return Float(v)
    }

    func bool(_ node: Node, _ key: String) throws -> Bool {
        guard node.scalar != nil, let v = node.bool else { throw error(node, "\(key) must be true or false, got \(describe(node))") }
        return v
    }

    func describe(_ node: Node) -> String {
        if let s = node.scalar?.string { return "'\(s)'" }
        return node.sequence != nil ? "a list" : "a mapping"
    }
}

import Foundation

/// `--model auto`: an ensemble of recurrent networks and statistical models, combined by the
/// median, with the combination chosen on the validation split.
///
/// Training (``fit(_:targets:options:dataFile:networkMembers:onEvent:)``):
/// 1. Recurrent members: `networkMembers` windowed LSTMs (``Forecaster``) with lookbacks of
///    2, 1 and 3 seasons and seeds `seed`, `seed + 1`, … (member 0 is exactly the default
///    `--model lstm`). Each is early-stopped on the validation split as usual.
///    On sets of at most 5,000 rows with one target and no covariates, also one ES-hybrid
///    member (``ESHybridForecaster``, exactly the default `--model eshybrid` with the same seed).
/// 2. Statistical members, per series and target: ETS (``ExponentialSmoothing``), Theta
///    (``ThetaMethod``), naive and seasonal naive, fitted on the training rows only.
/// 3. Every candidate of ``EnsembleComponent/candidates`` is scored by MASE on the validation
///    windows (origins in the validation split, forecasts from the history before each origin);
///    the lowest wins. The test split is never looked at.
/// 4. With `options.conformal` (`--intervals conformal`), the chosen combination is calibrated
///    on its validation residuals (``calibrate(_:filled:score:rule:)``, still with the
///    statistical members of step 2).
/// 5. The statistical members are refitted on the training and validation rows.
///
/// Forecasts: each component forecasts every window (the recurrent component is the median of
/// its members), then the chosen components' forecasts are combined by the median per step and
/// target (two components: their mean). Deterministic; the recurrent members are bit-identical
/// for any worker count, and so is the ensemble.
public final class EnsembleForecaster: @unchecked Sendable {
    public let spec: EnsembleSpec
    public let networks: [Forecaster]
    /// The ES-hybrid member, when `spec.eshybrid` is set.
    public let hybrid: ESHybridForecaster?
    public let provenance: Provenance?
    /// Split conformal calibration of the combined forecast (`--intervals conformal`), stored
    /// as the model file's optional `conformal` section; nil without one (files before it).
    public let conformal: ConformalCalibration?

    public init(spec: EnsembleSpec, networks: [Forecaster], hybrid: ESHybridForecaster? = nil, provenance: Provenance?,
                conformal: ConformalCalibration? = nil) {
        self.spec = spec
        self.networks = networks
        self.hybrid = hybrid
        self.provenance = provenance
        self.conformal = conformal
    }

    /// Series sets of at most this many rows in all get ``defaultNetworkMembers(_:)`` 3.
    public static let multiMemberRows = 2_000

    /// The default number of recurrent members for `set`: 3 for series sets of at most
    /// ``multiMemberRows`` (2,000) rows in all (short series: training is cheap there and single
    /// networks are noisy), else 1. Measured on sunspots (2,820 rows, 2026-12-03): 1 member
    /// trains in about half the time of 3 (6.2 s vs 11.7 s) at a test MASE of 0.831 vs 0.826, the
    /// ES-hybrid and statistical members already supplying the diversity a median needs.
    public static func defaultNetworkMembers(_ set: TimeSeriesSet) -> Int {
        set.series.reduce(0) { $0 + $1.count } <= multiMemberRows ? 3 : 1
    }

    /// Whether `fit` trains an ES-hybrid member for `set`: at most 5,000 rows in all (it costs
    /// about as much as one LSTM member there, and more on long files, where the single LSTM
    /// already does well), one target and no covariates (the ES-hybrid model reads the target only).
    public static func trainsHybrid(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions) -> Bool {
        targets.count == 1 && options.features.isEmpty && options.knownFuture.isEmpty && options.calendar.isEmpty
            && set.series.reduce(0) { $0 + $1.count } <= 5_000
    }

    // MARK: Fit

    public static func fit(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions = ForecasterOptions(),
                           dataFile: String? = nil, networkMembers: Int? = nil,
                           onEvent: ((TrainingEvent) -> Void)? = nil) throws -> EnsembleForecaster {
        guard !targets.isEmpty else { throw DataError.invalidArgument("no target column given") }
        let (window, season) = try Forecaster.resolveWindow(set, targets: targets, options: options)
        let count = max(1, networkMembers ?? defaultNetworkMembers(set))
        // 1. Recurrent members.
        let shortest = set.series.map(\.count).min() ?? 0
        let trainRows = Int(Double(shortest) * (1 - options.split.validation - options.split.test))
        let seasonsOrder = [2, 1, 3]
        var networks: [Forecaster] = []
        var seeds: [UInt64] = []
        for i in 0..<count {
            var o = options
            if options.lookback == nil, i > 0 {
                let k = seasonsOrder[i % seasonsOrder.count]
                o.lookback = max(8, min(k * max(season, 4), max(1, (trainRows - window.horizon) / 2)))
            }
            o.horizon = window.horizon
            o.training.seed = options.training.seed &+ UInt64(i)
            o.scalerScope = .global          // the ensemble scores its members on windows of the file's own scaling
            o.conformal = false              // the ensemble calibrates its combination, not each member
            seeds.append(o.training.seed)
            networks.append(try Forecaster.fit(set, targets: targets, options: o, dataFile: dataFile, onEvent: onEvent))
        }
        var hybrid: ESHybridForecaster? = nil
        // The hybrid needs lookback + horizon training rows in every series (as its own fit checks).
        let minTrain = set.series.map { options.split.boundaries(rows: $0.count).validationStart }.min() ?? 0
        if trainsHybrid(set, targets: targets, options: options), window.lookback + window.horizon <= minTrain {
            var h = ESHybridOptions()
            h.base = options
            h.base.conformal = false
            h.base.lookback = window.lookback
            h.base.horizon = window.horizon
            hybrid = try ESHybridForecaster.fit(set, target: targets[0], options: h, dataFile: dataFile, onEvent: onEvent)
        }
        // 2. Statistical members on the training rows; 3. choice on the validation windows.
        let filled = EnsembleForecaster.filledTargets(set, targets: targets)
        var spec = EnsembleSpec(window: window, split: options.split, missing: options.missing, seasonLength: season,
                                timeColumn: set.timeColumn, seriesKey: set.seriesKeyColumn, frequency: set.frequency,
                                seriesKeys: set.series.map(\.key), networks: networks.map(\.spec), networkSeeds: seeds,
                                statistical: [], combination: [.lstm, .ets, .theta], validation: [])
        spec.eshybrid = hybrid?.spec
        spec.statistical = fitStatistical(filled, season: season, split: options.split, throughValidation: false,
                                          workers: options.training.workers)
        let data = try PreparedData(set, spec: window, split: options.split, scaler: .standard, missing: options.missing)
        let candidate = EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: nil)
        if !data.validation.isEmpty {
            let validationWindows = data.validation.materialized()
            let forecasts = try candidate.componentForecasts(set, filled: filled, windows: validationWindows, part: 1)
            var scores: [EnsembleSpec.CandidateScore] = []
            for c in EnsembleComponent.candidates where c.allSatisfy({ forecasts[$0] != nil }) {
                let report = candidate.score(set, windows: validationWindows, scaler: data.scaler, forecasts: combine(forecasts, c))
                scores.append(.init(components: c, mase: report.model.mase))
            }
            spec.validation = scores
            if let chosen = choose(scores) { spec.combination = chosen.components }
        }
        // 4. Calibration of the chosen combination on its validation residuals.
        let extra = options.conformal && options.conformalRule == .cross
            ? try crossResiduals(set, targets: targets, options: options, window: window, networkMembers: count, scaleRows: window.lookback,
                                 model: EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: nil)) : nil
        let calibration = options.conformal
            ? try EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: nil)
                .calibrate(set, filled: filled, score: options.conformalScore, rule: options.conformalRule, extra: extra)
            : nil
        // 5. Final statistical fits on the rows before the test split.
        spec.statistical = fitStatistical(filled, season: season, split: options.split, throughValidation: true,
                                          workers: options.training.workers)
        let untested = EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: nil, conformal: calibration)
        let report = data.test.isEmpty ? nil : try untested.evaluate(set, prepared: data, filled: filled)
        var provenance = networks[0].provenance
        provenance?.testMetrics = report
        return EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: provenance, conformal: calibration)
    }

    /// Relative margin within which a combination of more components is preferred to the
    /// validation winner (``choose(_:)``).
    public static let combinationMargin = 0.05

    /// The candidate kept: among the candidates whose validation MASE is within
    /// ``combinationMargin`` (5%) of the lowest, those combining the most components, and of
    /// them the lowest MASE (the earlier candidate on a tie). A median of three sources is
    /// kept over a single source that validates marginally better: differences of a few
    /// percent on one validation split are mostly noise (air passengers has 4 validation
    /// windows), while the median of different model kinds is the more robust forecast (the
    /// combination results of M3/M4). Nil when no score is finite.
    static func choose(_ scores: [EnsembleSpec.CandidateScore]) -> EnsembleSpec.CandidateScore? {
        let finite = scores.filter { $0.mase.isFinite }
        guard let best = finite.min(by: { $0.mase < $1.mase }) else { return nil }
        let near = finite.filter { $0.mase <= best.mase * (1 + combinationMargin) }
        let size = near.map(\.components.count).max() ?? 1
        return near.filter { $0.components.count == size }.min { $0.mase < $1.mase }
    }

    /// Statistical fits `[kind][series][target]` on each series' rows before the validation
    /// split (or, with `throughValidation`, before the test split).
    /// The fits run on up to `workers` threads; the result does not depend on it.
    static func fitStatistical(_ filled: [[[Double]]], season: Int, split: SplitSpec, throughValidation: Bool,
                               workers: Int = 1) -> [EnsembleSpec.StatisticalFits] {
        StatisticalModel.Kind.allCases.map { kind in
            EnsembleSpec.StatisticalFits(kind: kind, models: filled.map { columns in
                columns.map { y in
                    let b = split.boundaries(rows: y.count)
                    return StatisticalModel.fit(kind, Array(y[0..<(throughValidation ? b.testStart : b.validationStart)]), season: season,
                                                workers: workers)
                }
            })
        }
    }

    /// The targets of every series as Double, missing values filled by linear interpolation
    /// (the first/last known value at the ends): `[series][target][row]`.
    static func filledTargets(_ set: TimeSeriesSet, targets: [String]) -> [[[Double]]] {
        let columns = targets.map { set.columnIndex($0) ?? 0 }
        return set.series.map { series in
            columns.map { c in
                var y = series.values[c].map(Double.init)
                let known = y.indices.filter { y[$0].isFinite }
                guard let first = known.first, let last = known.last else { return y.map { _ in 0 } }
                for i in 0..<first { y[i] = y[first] }
                for i in (last + 1)..<y.count { y[i] = y[last] }
                var prev = first
                for k in known.dropFirst() {
                    if k > prev + 1 {
                        for i in (prev + 1)..<k { y[i] = y[prev] + (y[k] - y[prev]) * Double(i - prev) / Double(k - prev) }
                    }
                    prev = k
                }
                return y
            }
        }
    }

    // MARK: Component forecasts

    /// Forecasts `[window][step][target]` (data units) of every component for `windows`, which
    /// are windows of `spec.window` from split part `part` (1 validation, 2 test).
    func componentForecasts(_ set: TimeSeriesSet, filled: [[[Double]]], windows: Windows, part: Int) throws -> [EnsembleComponent: [[[Float]]]] {
        let H = spec.window.horizon, P = spec.window.targets.count, N = windows.count
        let seriesIndex = try statisticalSeriesIndex(set)
        var out: [EnsembleComponent: [[[Float]]]] = [:]
        // Recurrent members, matched to the windows by (series, last input row).
        var members: [[Int: [[Float]]]] = []
        for net in networks {
            let d = try PreparedData(set, spec: net.spec.window, split: net.spec.split, scaler: .standard, missing: net.spec.missing)
            let w = net.rescale((part == 1 ? d.validation : d.test).materialized(), from: d.scaler)
            let raw = net.predictScaled(w.x, windows: w.count)
            let width = net.spec.outputs
            var byKey: [Int: [[Float]]] = [:]
            for i in 0..<w.count { byKey[w.series[i] &* 1_000_000_007 &+ w.end[i]] = net.decode(raw[(i * width)..<((i + 1) * width)]).values }
            members.append(byKey)
        }
        out[.lstm] = (0..<N).map { i in
            let key = windows.series[i] &* 1_000_000_007 &+ windows.end[i]
            return median(members.compactMap { $0[key] }, steps: H, targets: P)
        }
        if let hybrid {
            // One target (the member is trained only then): [window][step] → [window][step][1].
            let f = try hybrid.forecasts(set, filled: filled.map { $0[0] }, origins: (0..<N).map { (windows.series[$0], windows.end[$0]) })
            out[.eshybrid] = f.map { $0.map { [$0] } }
        }
        for fits in spec.statistical {
            guard let component = EnsembleComponent.allCases.first(where: { $0.statisticalKind == fits.kind }) else { continue }
            out[component] = statisticalForecasts(fits, filled: filled, origins: (0..<N).map { (windows.series[$0], windows.end[$0]) },
                                                  seriesIndex: seriesIndex)
        }
        return out
    }

    /// Forecasts `[origin][step][target]` (data units) of the statistical member `fits` from every
    /// origin (series, last history row), one pass per series and target
    /// (``StatisticalModel/forecasts(history:ends:horizon:)``).
    func statisticalForecasts(_ fits: EnsembleSpec.StatisticalFits, filled: [[[Double]]], origins: [(series: Int, end: Int)],
                              seriesIndex: [Int]) -> [[[Float]]] {
        let H = spec.window.horizon, P = spec.window.targets.count
        var out = [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: .nan, count: P), count: H), count: origins.count)
        var bySeries: [Int: [Int]] = [:]
        for (i, o) in origins.enumerated() { bySeries[o.series, default: []].append(i) }
        for (s, members) in bySeries {
            for p in 0..<P {
                let v = fits.models[seriesIndex[s]][p].forecasts(history: filled[s][p][...], ends: members.map { origins[$0].end }, horizon: H)
                for (k, i) in members.enumerated() { for h in 0..<H { out[i][h][p] = Float(v[k][h]) } }
            }
        }
        return out
    }

    /// For every series of `set`, the index of the series the statistical members were fitted on.
    func statisticalSeriesIndex(_ set: TimeSeriesSet) throws -> [Int] {
        try set.series.map { series in
            if spec.seriesKeys.count == 1, series.key == nil || spec.seriesKeys[0] == nil { return 0 }
            guard let i = spec.seriesKeys.firstIndex(of: series.key) else {
                throw DataError.invalidArgument("\(set.source): series '\(series.key ?? "")' was not in the training data of this ensemble (its statistical members are fitted per series)")
            }
            return i
        }
    }

    /// The element-wise median of `forecasts` (`[member][step][target]`); NaN when empty.
    func median(_ forecasts: [[[Float]]], steps H: Int, targets P: Int) -> [[Float]] {
        (0..<H).map { h in (0..<P).map { p in EnsembleForecaster.median(forecasts.map { $0[h][p] }) } }
    }

    static func median(_ values: [Float]) -> Float {
        let v = values.filter { $0.isFinite }.sorted()
        guard !v.isEmpty else { return .nan }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// The median combination of `components` per window.
    static func combine(_ forecasts: [EnsembleComponent: [[[Float]]]], _ components: [EnsembleComponent]) -> [[[Float]]] {
        let parts = components.compactMap { forecasts[$0] }
        guard let first = parts.first else { return [] }
        return first.indices.map { w in
            first[w].indices.map { h in first[w][h].indices.map { p in median(parts.map { $0[w][h][p] }) } }
        }
    }

    /// Scores combined forecasts `[window][step][target]` like every `forecast evaluate` table;
    /// with `conformal`, the intervals too (`localScales [window][P]` for a locally scaled one).
    func score(_ set: TimeSeriesSet, windows: Windows, scaler: Scaler, forecasts: [[[Float]]],
               conformal: ConformalCalibration? = nil, localScales: [[Float]]? = nil) -> EvaluationReport {
        let H = spec.window.horizon, P = spec.window.targets.count
        let targets = spec.window.targets
        var raw = [Float](repeating: .nan, count: windows.count * H * P)
        for w in 0..<windows.count {
            for h in 0..<H { for p in 0..<P { raw[(w * H + h) * P + p] = scaler.scaler(for: targets[p]).transform(forecasts[w][h][p]) } }
        }
        let outputs = SeriesOutputs(loss: .mse, scaler: scaler, targets: targets, steps: H, conformal: conformal)
        return outputs.score(set, windows: windows.count, origin: { (windows.series[$0], windows.end[$0]) }, outputs: raw, width: H * P,
                             split: spec.split, season: spec.seasonLength, localScales: localScales)
    }

    // MARK: Evaluate and predict

    /// Scores the ensemble and the baselines on the test split of `set`.
    public func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport {
        let data = try PreparedData(set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        return try evaluate(set, prepared: data, filled: EnsembleForecaster.filledTargets(set, targets: spec.window.targets))
    }

    func evaluate(_ set: TimeSeriesSet, prepared data: PreparedData, filled: [[[Double]]]) throws -> EvaluationReport {
        guard !data.test.isEmpty else {
            throw DataError.invalidArgument("\(set.source): the test split holds no complete window (lookback \(spec.window.lookback) + horizon \(spec.window.horizon)); use a longer file or a larger test fraction")
        }
        let test = data.test.materialized()
        let forecasts = try componentForecasts(set, filled: filled, windows: test, part: 2)
        let scales = conformalScales(filled, origins: (0..<test.count).map { (test.series[$0], test.end[$0]) })
        return score(set, windows: test, scaler: data.scaler, forecasts: EnsembleForecaster.combine(forecasts, spec.combination),
                     conformal: conformal, localScales: scales)
    }

    /// Forecasts the `horizon` steps after the end of every series in `set`, with quantiles at
    /// `levels` (default: the levels the model is scored on) when the ensemble holds a conformal
    /// calibration.
    public func predict(_ set: TimeSeriesSet, levels: [Float]? = nil) throws -> [SeriesForecast] {
        let H = spec.window.horizon, P = spec.window.targets.count
        let perMember = try networks.map { try $0.predict(set) }
        let hybridForecasts = spec.combination.contains(.eshybrid) ? try hybrid?.predict(set) : nil
        let filled = EnsembleForecaster.filledTargets(set, targets: spec.window.targets)
        let seriesIndex = try statisticalSeriesIndex(set)
        let qLevels = conformal == nil ? nil : (levels ?? QuantileLevels.standard).sorted()
        let scales = conformalScales(filled, origins: set.series.indices.map { ($0, set.series[$0].count - 1) })
        return perMember[0].indices.map { s in
            var parts: [[[Float]]] = []
            if spec.combination.contains(.lstm) { parts.append(median(perMember.map { $0[s].values }, steps: H, targets: P)) }
            if let h = hybridForecasts { parts.append(h[s].values) }
            for c in spec.combination {
                guard let kind = c.statisticalKind, let fits = spec.statistical.first(where: { $0.kind == kind }) else { continue }
                var f = [[Float]](repeating: [Float](repeating: .nan, count: P), count: H)
                for p in 0..<P {
                    let v = fits.models[seriesIndex[s]][p].forecast(history: filled[s][p][...], horizon: H)
                    for h in 0..<H { f[h][p] = Float(v[h]) }
                }
                parts.append(f)
            }
            var result = perMember[0][s]
            result.values = median(parts.map { $0 }, steps: H, targets: P)
            result.lower = nil; result.upper = nil; result.intervalLevel = nil
            if let qLevels, let q = conformalQuantiles(result.values, levels: qLevels, scales: scales?[s]) {
                result.quantileLevels = qLevels
                result.quantiles = q
            }
            return result
        }
    }

    // MARK: Files

    /// Writes the model file atomically: every recurrent member's tensors prefixed
    /// `member<i>.`, the ``EnsembleSpec`` as `config`.
    public func save(to path: String) throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        for (i, net) in networks.enumerated() {
            tensors += net.params.namedTensors().map { ("member\(i).\($0.name)", $0.tensor) }
        }
        if let hybrid { tensors += hybrid.params.namedTensors().map { ("eshybrid.\($0.name)", $0.tensor) } }
        var archive = ModelArchive(kind: .model, tensors: tensors)
        archive.setFamily(.ensemble)
        try archive.setSection("config", spec)
        if let provenance { try archive.setSection("provenance", provenance) }
        if let conformal { try archive.setSection("conformal", conformal) }
        try archive.write(path: path)
    }

    /// Loads and verifies an ensemble model file (each member's config, tensor names and shapes).
    public static func load(from path: String) throws -> EnsembleForecaster {
        let archive = try ModelArchive.read(path: path, expecting: .model)
        let spec = try archive.section("config", as: EnsembleSpec.self, path: path)
        let provenance = archive.sections["provenance"] == nil ? nil : try archive.section("provenance", as: Provenance.self, path: path)
        do { try spec.check() } catch {
            throw ModelArchive.ArchiveError.badSection(path: path, name: "config", reason: "\(error)")
        }
        let conformal = archive.sections["conformal"] == nil ? nil : try archive.section("conformal", as: ConformalCalibration.self, path: path)
        if let conformal {
            do { try conformal.check(elements: spec.window.horizon * spec.window.targets.count, targets: spec.window.targets.count) } catch {
                throw ModelArchive.ArchiveError.badSection(path: path, name: "conformal", reason: "\(error)")
            }
        }
        var networks: [Forecaster] = []
        for (i, member) in spec.networks.enumerated() {
            let prefix = "member\(i)."
            let own = archive.tensors.filter { $0.name.hasPrefix(prefix) }.map { (name: String($0.name.dropFirst(prefix.count)), tensor: $0.tensor) }
            try ModelFileCheck.check(member, tensors: own, path: path)
            let model = SequenceRegressor(member.architecture)
            let params = ParameterStore(layout: model.layout)
            for e in model.layout.entries {
                guard let t = own.first(where: { $0.name == e.name })?.tensor else {
                    throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "no tensor '\(prefix)\(e.name)'")
                }
                do { try params.assign(e.name, t) }
                catch { throw ModelArchive.ArchiveError.badSection(path: path, name: "tensors", reason: "\(prefix)\(e.name): \(error)") }
            }
            networks.append(Forecaster(spec: member, params: params, provenance: nil))
        }
        var hybrid: ESHybridForecaster? = nil
        if let h = spec.eshybrid {
            let own = archive.tensors.filter { $0.name.hasPrefix("eshybrid.") }.map { (name: String($0.name.dropFirst("eshybrid.".count)), tensor: $0.tensor) }
            hybrid = try ESHybridForecaster.loadMember(spec: h, tensors: own, path: path, prefix: "eshybrid.")
        }
        return EnsembleForecaster(spec: spec, networks: networks, hybrid: hybrid, provenance: provenance, conformal: conformal)
    }

    // MARK: Warm start

    /// Fine-tunes every recurrent member on `set` and refits the statistical members on its rows
    /// before the test split; the combination is kept, a conformal calibration recomputed.
    public func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String? = nil, checkpointPath: String? = nil,
                          resume: Bool = false, onEvent: ((TrainingEvent) -> Void)? = nil) throws -> EnsembleForecaster {
        let tuned = try networks.map { try $0.fineTuned(on: set, training: training, dataFile: dataFile, onEvent: onEvent) }
        let tunedHybrid = try hybrid?.fineTuned(on: set, training: training, dataFile: dataFile, checkpointPath: nil, resume: false, onEvent: onEvent)
        var s = spec
        s.networks = tuned.map(\.spec)
        s.eshybrid = tunedHybrid?.spec
        s.seriesKeys = set.series.map(\.key)
        let filled = EnsembleForecaster.filledTargets(set, targets: spec.window.targets)
        // A calibrated ensemble is recalibrated on the new validation rows with the same score
        // and rule (its residuals change with the members), statistical members on the training rows;
        // a cross calibration becomes rolling (a refit at an earlier origin would start from weights that saw its held-out rows).
        var calibration: ConformalCalibration? = nil
        if let c = conformal {
            s.statistical = EnsembleForecaster.fitStatistical(filled, season: spec.seasonLength, split: spec.split, throughValidation: false, workers: training.workers)
            calibration = try EnsembleForecaster(spec: s, networks: tuned, hybrid: tunedHybrid, provenance: nil)
                .calibrate(set, filled: filled, score: c.score, rule: c.rule == .cross ? .rolling : c.rule)
        }
        s.statistical = EnsembleForecaster.fitStatistical(filled, season: spec.seasonLength, split: spec.split, throughValidation: true, workers: training.workers)
        let untested = EnsembleForecaster(spec: s, networks: tuned, hybrid: tunedHybrid, provenance: nil, conformal: calibration)
        let data = try PreparedData(set, spec: s.window, split: s.split, scaler: .standard, missing: s.missing)
        var provenance = tuned[0].provenance
        provenance?.testMetrics = data.test.isEmpty ? nil : try untested.evaluate(set)
        return EnsembleForecaster(spec: s, networks: tuned, hybrid: tunedHybrid, provenance: provenance, conformal: calibration)
    }
}

extension EnsembleForecaster: SeriesForecasting {
    public var family: ModelFamily { .ensemble }
    public var horizon: Int { spec.window.horizon }
    public func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast] { try predict(set) }
}

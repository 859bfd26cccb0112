import ArgumentParser
import Foundation
import Forecast

/// `forecast backtest`: rolling-origin evaluation.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Rolling-origin evaluation: forecast the last N horizons one at a time, as if in production.",
        discussion: """
        The last folds x horizon rows of every series are cut into consecutive blocks; for each
        block the model sees only earlier rows. Without --refit one model is trained on the first
        fold's history and reused; with --refit a model is trained for every fold. Prints a row per
        fold and the mean (MASE of the model and of the baselines).

        Every model family backtests as itself: --model lstm|gru|rnn (default), --model seq2seq,
        or --grid (ConvLSTM nowcasting, scored against persistence per fold).

        On a file with several series every series is also scored over all folds (MASE on its
        own scale): a summary line and the worst and best --per-series-top series, every one
        with --per-series, all of them to a CSV file with --per-series-out; --json adds
        per_series and series_summary.

        Examples:
          forecast backtest --data air_passengers.csv --target value --folds 3
          forecast backtest --data air_passengers.csv --target value --model seq2seq --folds 2
          forecast backtest --grid --data radar.csv --in-frames 6 --out-frames 6 --folds 3
        """)

    @OptionGroup var input: DataOptions
    @OptionGroup var settings: ModelOptions
    @OptionGroup var seq2seq: Seq2SeqArguments
    @OptionGroup var grid: GridOptions

    @Option(help: "Number of consecutive forecast origins.")
    var folds: Int = 3

    @Flag(help: "Train a new model for every fold (default: train once, reuse).")
    var refit = false

    @Flag(help: "Print one JSON object with every fold and the means.")
    var json = false

    @OptionGroup var perSeries: PerSeriesOptions

    mutating func validate() throws {
        if folds < 1 { throw ValidationError("--folds must be at least 1") }
        try OptionLimits.require([("--folds", folds, OptionLimits.folds)])
        if grid.grid { return }
        try settings.requireTarget(data: input.data)
        try grid.rejectWithoutGrid()
        if settings.model == .seq2seq { try seq2seq.check() }
    }

    func run() throws {
        if grid.grid { return try runGrid() }
        let (set, statics) = try input.loadTrainingSet(statics: splitList(settings.statics))
        var settings = self.settings
        settings.chooseModel(for: set)
        var options = settings.forecasterOptions()
        options.statics = statics
        options.split = SplitSpec(validation: settings.valFraction ?? 0.1, test: 0)
        options = IntermittentDefaults.resolve(options, set: set, targets: settings.target,
                                               chooseLoss: settings.lossChoice == nil && settings.quantiles == nil,
                                               chooseLevelNormalization: settings.levelNorm == nil,
                                               chooseWindowScaling: settings.windowScaling == nil && settings.levelNorm == nil,
                                               chooseSchedule: settings.lrSchedule == nil)
        let onFold: ((Backtest.Fold) -> Void)? = json ? nil : { f in
            Output.note("fold \(f.fold): origin \(f.originTime ?? "row \(f.originRow)")  MASE \(Output.format(f.model.mase))")
        }
        let result: Backtest.Result
        switch settings.model {
        case .recurrent:
            result = try Backtest.run(set, targets: settings.target, options: options, folds: folds, refit: refit, onFold: onFold)
        case .auto:
            let (resolved, members) = settings.ensembleDefaults(options, set: set)
            result = try Backtest.run(set, targets: settings.target, options: resolved, folds: folds, refit: refit, onFold: onFold) { history, o in
                try EnsembleForecaster.fit(history, targets: settings.target, options: o, networkMembers: members)
            }
        case .eshybrid:
            let eo = try ESHybridCLI.options(settings: settings)
            result = try Backtest.run(set, targets: settings.target, options: options, folds: folds, refit: refit, onFold: onFold) { history, o in
                var e = eo
                e.base.lookback = o.lookback
                e.base.horizon = o.horizon
                e.base.split = o.split
                return try ESHybridForecaster.fit(history, target: settings.target[0], options: e)
            }
        case .seq2seq:
            var o = try seq2seq.options(settings: settings)
            o.base.split = options.split
            result = try Backtest.run(set, targets: settings.target, options: o, folds: folds, refit: refit, onFold: onFold)
        case .deepar:
            let ao = AutoregressiveCLI.options(settings: settings, likelihood: settings.likelihood ?? .gaussian, samples: settings.samples)
            result = try Backtest.run(set, targets: settings.target, options: options, folds: folds, refit: refit, onFold: onFold) { history, o in
                var a = ao
                a.context = o.lookback
                a.horizon = o.horizon
                a.split = o.split
                return try AutoregressiveForecaster.fit(history, target: settings.target[0], options: a)
            }
        }
        try ScoreCheck.require(result, source: input.data)
        for f in result.folds { if let note = ScoreCheck.note(f.model, what: "fold \(f.fold)") { Output.note(note) } }
        try perSeries.settings.write(result.perSeries, source: input.data)
        if json {
            Output.json(encodable: result)
            return
        }
        var rows = [["fold", "origin", "model MASE", "naive", "seasonal naive", "drift", "model MAE"]]
        for f in result.folds {
            rows.append(["\(f.fold)", f.originTime ?? "row \(f.originRow)", Output.format(f.model.mase), Output.format(f.naive.mase),
                         Output.format(f.seasonalNaive.mase), Output.format(f.drift.mase), Output.format(f.model.mae)])
        }
        let m = result.mean
        rows.append(["mean", "", Output.format(m["model"]?["mase"] ?? .nan), Output.format(m["naive"]?["mase"] ?? .nan),
                     Output.format(m["seasonal_naive"]?["mase"] ?? .nan), Output.format(m["drift"]?["mase"] ?? .nan),
                     Output.format(m["model"]?["mae"] ?? .nan)])
        print("backtest (\(result.family)): \(result.folds.count) folds x \(result.horizon) steps, season \(result.seasonLength)\(refit ? ", refit every fold" : "")")
        print(TextTable.render(rows))
        if m["model"]?["crps"] != nil {
            var d = [["distribution (mean of folds)", "CRPS", "wQL", "MSIS", "cover 80%", "cover 95%"]]
            for (name, key) in [("model", "model"), ("seasonal naive (empirical)", "seasonal_naive")] {
                let v = m[key] ?? [:]
                d.append([name, Output.format(v["crps"] ?? .nan), Output.format(v["wql"] ?? .nan), v["msis"].map(Output.format) ?? "-",
                          v["coverage_80"].map { Output.format($0 * 100) } ?? "-", v["coverage_95"].map { Output.format($0 * 100) } ?? "-"])
            }
            print(TextTable.render(d))
        }
        if let scores = result.perSeries { print(perSeries.settings.render(scores)) }
    }

    /// `--grid`: rolling origins over the last folds x out-frames frames, model against persistence.
    func runGrid() throws {
        let data = try GridCLI.readGrid(input.data, value: grid.value)
        let options = GridCLI.options(settings: settings, grid: grid)
        let result = try NowcastBacktest.run(data, options: options, folds: folds, refit: refit, dataFile: input.data,
                                             onFold: json ? nil : { f in
                                                 Output.note("fold \(f.fold): origin \(f.originTime ?? "frame \(f.originFrame)")  MSE \(Output.format(f.model.mse)) (persistence \(Output.format(f.persistence.mse)))")
                                             })
        if json {
            Output.json(encodable: result)
            return
        }
        func csi(_ s: NowcastScores) -> Double { s.csi["0.5"].flatMap { $0 } ?? .nan }
        var rows = [["fold", "origin", "model MSE", "persistence MSE", "model MAE", "persistence MAE", "model CSI@0.5", "persistence CSI@0.5"]]
        for f in result.folds {
            rows.append(["\(f.fold)", f.originTime ?? "frame \(f.originFrame)", Output.format(f.model.mse), Output.format(f.persistence.mse),
                         Output.format(f.model.mae), Output.format(f.persistence.mae), Output.format(csi(f.model)), Output.format(csi(f.persistence))])
        }
        let m = result.mean
        rows.append(["mean", "", Output.format(m["model"]?["mse"] ?? .nan), Output.format(m["persistence"]?["mse"] ?? .nan),
                     Output.format(m["model"]?["mae"] ?? .nan), Output.format(m["persistence"]?["mae"] ?? .nan),
                     Output.format(m["model"]?["csi@0.5"] ?? .nan), Output.format(m["persistence"]?["csi@0.5"] ?? .nan)])
        print("backtest (\(ModelFamily.nowcast)): \(result.folds.count) folds x \(result.outFrames) frames\(refit ? ", refit every fold" : "")")
        print(TextTable.render(rows))
    }
}

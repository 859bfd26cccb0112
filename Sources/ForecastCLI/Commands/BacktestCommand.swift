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

        Example:
          forecast backtest --data air_passengers.csv --target value --folds 3
        """)

    @OptionGroup var input: DataOptions
    @OptionGroup var settings: ModelOptions

    @Option(help: "Number of consecutive forecast origins.")
    var folds: Int = 3

    @Flag(help: "Train a new model for every fold (default: train once, reuse).")
    var refit = false

    @Flag(help: "Print one JSON object with every fold and the means.")
    var json = false

    func validate() throws {
        if folds < 1 { throw ValidationError("--folds must be at least 1") }
        try OptionLimits.require([("--folds", folds, OptionLimits.folds)])
        try settings.requireTarget()
    }

    func run() throws {
        let set = try input.load()
        var options = settings.forecasterOptions()
        options.split = SplitSpec(validation: settings.valFraction ?? 0.1, test: 0)
        let result = try Backtest.run(set, targets: settings.target, options: options, folds: folds, refit: refit,
                                      onFold: json ? nil : { f in
                                          Output.note("fold \(f.fold): origin \(f.originTime ?? "row \(f.originRow)")  MASE \(Output.format(f.model.mase))")
                                      })
        try ScoreCheck.require(result, source: input.data)
        for f in result.folds { if let note = ScoreCheck.note(f.model, what: "fold \(f.fold)") { Output.note(note) } }
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
        print("backtest: \(result.folds.count) folds x \(result.horizon) steps, season \(result.seasonLength)\(refit ? ", refit every fold" : "")")
        print(TextTable.render(rows))
    }
}

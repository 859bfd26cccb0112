import ArgumentParser
import Foundation
import Forecast

/// Model and training options shared by `forecast train` and `forecast backtest`.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Column to forecast (repeat for several).", valueName: "column"))
    var target: [String] = []

    @Option(help: ArgumentHelp("Extra input columns, comma-separated (past covariates).", valueName: "columns"))
    var features: String?

    @Option(name: .customLong("known-future"), help: ArgumentHelp("Input columns known in advance, comma-separated (e.g. a holiday flag).", valueName: "columns"))
    var knownFuture: String?

    @Option(help: ArgumentHelp("Recurrent cell: lstm, gru or rnn.", valueName: "cell"))
    var model: String = "lstm"

    @Option(help: "Input steps per window (default: two seasons).")
    var lookback: Int?

    @Option(help: "Steps to forecast (default: one season).")
    var horizon: Int?

    @Option(help: "Hidden units per layer.")
    var hidden: Int = 64

    @Option(help: "Stacked recurrent layers.")
    var layers: Int = 1

    @Flag(help: "Bidirectional layers.")
    var bidirectional = false

    @Option(help: "Dropout between stacked layers (training only).")
    var dropout: Float = 0

    @Option(help: ArgumentHelp("Loss: mse, mae, huber, gaussian (adds 80% intervals) or quantile (0.1/0.5/0.9).", valueName: "loss"))
    var loss: String = "mse"

    @Option(help: "Maximum epochs (early stopping usually ends sooner).")
    var epochs: Int = 60

    @Option(help: "Windows per minibatch.")
    var batch: Int = 32

    @Option(help: "Learning rate (Adam).")
    var lr: Float = 3e-3

    @Option(help: "Epochs without validation improvement before stopping (0 disables early stopping).")
    var patience: Int = 10

    @Option(help: "Dispatch workers (default: number of cores). Results do not depend on it.")
    var workers: Int?

    @Option(help: "Random seed (weights, shuffles, dropout).")
    var seed: UInt64 = 42

    @Option(name: .customLong("val-fraction"), help: "Share of each series for validation (early stopping).")
    var valFraction: Double = 0.1

    @Option(name: .customLong("test-fraction"), help: "Share of each series held out for the test metrics.")
    var testFraction: Double = 0.1

    @Option(help: ArgumentHelp("Missing values in the columns used: interpolate (linear in time; the default, reported on stderr), ffill, drop (skip windows touching one) or error.", valueName: "policy"))
    var missing: String = "interpolate"

    @Flag(name: .customLong("skip-nonfinite"), help: "Skip minibatches whose loss or gradient is not finite instead of stopping.")
    var skipNonFinite = false

    func validate() throws {
        if target.isEmpty { throw ValidationError("--target is required: the column to forecast") }
        if CellKind(name: model) == nil { throw ValidationError("--model must be lstm, gru or rnn, got '\(model)'") }
        if LossKind(name: loss) == nil { throw ValidationError("--loss must be mse, mae, huber, gaussian or quantile, got '\(loss)'") }
        if MissingPolicy(rawValue: missing) == nil { throw ValidationError("--missing must be error, drop, ffill or interpolate, got '\(missing)'") }
        if let l = lookback, l < 1 { throw ValidationError("--lookback must be at least 1") }
        if let h = horizon, h < 1 { throw ValidationError("--horizon must be at least 1") }
        if hidden < 1 || layers < 1 || epochs < 1 || batch < 1 { throw ValidationError("--hidden, --layers, --epochs and --batch must be at least 1") }
        if !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1)") }
        if !(lr > 0) { throw ValidationError("--lr must be positive") }
        if valFraction < 0 || testFraction < 0 || valFraction + testFraction >= 0.9 { throw ValidationError("--val-fraction and --test-fraction must be non-negative and sum to less than 0.9") }
        if let w = workers, w < 1 { throw ValidationError("--workers must be at least 1") }
    }


    /// The library options these flags describe.
    func forecasterOptions() -> ForecasterOptions {
        var options = ForecasterOptions()
        options.cell = CellKind(name: model) ?? .lstm
        options.hidden = hidden
        options.layers = layers
        options.bidirectional = bidirectional
        options.dropout = dropout
        options.lookback = lookback
        options.horizon = horizon
        options.features = splitList(features)
        options.knownFuture = splitList(knownFuture)
        options.split = SplitSpec(validation: valFraction, test: testFraction)
        options.missing = MissingPolicy(rawValue: missing) ?? .error
        options.training.loss = LossKind(name: loss) ?? .mse
        options.training.epochs = epochs
        options.training.batchSize = batch
        options.training.learningRate = lr
        options.training.patience = patience > 0 ? patience : nil
        options.training.seed = seed
        options.training.nonFinite = skipNonFinite ? .skip : .stop
        if let w = workers { options.training.workers = w }
        return options
    }
}

/// "a,b, c" -> ["a", "b", "c"].
func splitList(_ s: String?) -> [String] {
    guard let s else { return [] }
    return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

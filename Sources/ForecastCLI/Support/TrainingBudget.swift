import ArgumentParser
import Foundation
import Forecast

/// Whether a training run's buffers fit in memory, estimated from the options and the data
/// before anything is allocated (``MemoryBudget``: half the memory available). Too large a
/// combination of hidden units, layers, lookback, inputs, minibatch and workers is a usage
/// error (exit 2) naming the options, instead of an abort inside an allocation.
enum TrainingBudget {
    /// A series model (LSTM/GRU/RNN, and the encoder of a seq2seq model).
    static func checkSeries(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions) throws {
        guard let (window, _) = try? Forecaster.resolveWindow(set, targets: targets, options: options) else { return }
        let rc = RecurrentConfig(cell: options.cell, inputSize: max(1, window.inputNames.count), hiddenSize: options.hidden,
                                 numLayers: options.layers, bidirectional: options.bidirectional)
        let floats = MemoryBudget.recurrentTrainingFloats(rc, outputs: window.targetLength * options.training.loss.outputsPerTarget,
                                                          lookback: window.lookback, batch: options.training.batchSize,
                                                          workers: options.training.workers)
        do {
            try MemoryBudget.require(floats: floats, field: "options", what: "training")
        } catch let e as ConfigFieldError {
            throw ValidationError("--hidden \(options.hidden), --layers \(options.layers), --batch \(options.training.batchSize), lookback \(window.lookback) and \(window.inputNames.count) inputs per step are too large together: \(e.message.replacingOccurrences(of: "is too large: ", with: ""))")
        }
    }

    /// A grid model: the ConvLSTM weights (encoder and forecaster) with their gradients and
    /// optimizer moments, per worker, from --hidden, --layers, --kernel and --patch alone.
    static func checkGrid(settings: ModelOptions, grid: GridOptions) throws {
        let h = settings.hidden ?? 32, layers = settings.layers ?? 2, k = grid.kernel, p = grid.patch ?? 4
        try OptionLimits.require([("--hidden", h, ConfigLimits.channels)])
        let workers = settings.workers ?? ProcessInfo.processInfo.activeProcessorCount
        let floats = ConfigLimits.product(4, h, 2 * h + p * p, k, k, layers, 2, 4 + workers, limit: 1 << 56)
        do {
            try MemoryBudget.require(floats: floats, field: "options", what: "the weights")
        } catch let e as ConfigFieldError {
            throw ValidationError("--hidden \(h), --layers \(layers) and --kernel \(k) are too large together with --grid: \(e.message.replacingOccurrences(of: "is too large: ", with: ""))")
        }
    }
}

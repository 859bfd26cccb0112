import ArgumentParser
import Foundation
import Forecast
import ForecastExport
import ForecastRetraining

/// `forecast export`: a trained model in a format other runtimes read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained model to ONNX, for ONNX Runtime and other runtimes.",
        discussion: """
        The ONNX graph takes raw values and returns forecasts in data units: input x
        [batch, lookback, inputs] (the model's input columns in order, calendar inputs as sin/cos),
        outputs forecast [batch, horizon, targets] and, for gaussian/quantile models, lower and
        upper. Scaling and level normalisation are inside the graph; the metadata lists the
        input columns. Recurrent models (LSTM/GRU/RNN, stacked, bidirectional), seq2seq and
        ConvLSTM grid models (x [batch, in-frames, height, width] -> forecast [batch, out-frames,
        height, width]) are exported; leaky units and dilated layers are refused with the reason
        (docs/deploy.md).

        Example:
          forecast export --model air.safetensors --format onnx --out air.onnx
        """)

    @Option(help: ArgumentHelp("The model file, or a registry model folder REGISTRY/NAME (its current version).", valueName: "model"))
    var model: String

    @Option(help: "Output format.")
    var format: ExportFormat = .onnx

    @Option(help: ArgumentHelp("The file to write (atomically).", valueName: "file"))
    var out: String

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        try InputFiles.checkOutput(out, inputs: [path])
        InputFiles.noteModel(path)
        let loaded = try AnyModel.load(from: path)
        switch format {
        case .onnx:
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            try ONNXExport.export(loaded, name: name, to: out)
            Output.note("wrote \(loaded.family) model as ONNX (opset \(ONNXExport.opset)) to \(out)")
        }
    }
}

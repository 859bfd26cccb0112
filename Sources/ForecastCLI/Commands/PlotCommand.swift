import ArgumentParser
import Foundation
import Forecast
import ForecastRetraining

/// `forecast plot`: an SVG chart of history, test forecasts, the forecast and training curves.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw history, test-split forecasts against actuals, the forecast with its interval, and training curves (SVG).",
        discussion: """
        Example:
          forecast plot --model air.safetensors --data air_passengers.csv --out air.svg
        Open the SVG in any browser.
        """)

    @Option(help: ArgumentHelp("The model file, or a registry model folder REGISTRY/NAME (its current version).", valueName: "model"))
    var model: String

    @OptionGroup var input: DataOptions

    @Option(help: ArgumentHelp("The SVG file to write.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Series to draw, by key (default: the first).", valueName: "key"))
    var series: String?

    @Option(help: ArgumentHelp("Target to draw (default: the first).", valueName: "column"))
    var target: String?

    @Flag(help: "For a seq2seq model: draw the attention weights of the forecast as a heat map.")
    var attention = false

    @Option(help: ArgumentHelp("For a --grid model: which test window's frames to draw (default: the one with most rain).", valueName: "n"))
    var window: Int?

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        let forecaster: Forecaster
        try InputFiles.checkOutput(out, inputs: [path, input.data])
        InputFiles.noteModel(path)
        switch try AnyModel.load(from: path) {
        case .nowcast(let m):
            try GridCLI.plot(model: m, data: input.data, out: out, window: window)
            return
        case .seq2seq(let m):
            guard attention else { throw CLIError.data("\(model): a seq2seq model is plotted with --attention") }
            try Seq2SeqCLI.plotAttention(m, model: path, input: input, out: out, series: series)
            return
        case .autoregressive(let m):
            if attention { throw CLIError.data("\(model): --attention needs a seq2seq model") }
            try AutoregressiveCLI.plot(m, input: input, out: out, series: series)
            return
        case .eshybrid:
            throw CLIError.data("\(model): plotting an ES-hybrid model (--model eshybrid) is not supported yet; use predict or evaluate")
        case .ensemble:
            throw CLIError.data("\(model): plotting an ensemble (--model auto) is not supported yet; use predict or evaluate")
        case .recurrent(let m):
            forecaster = m
        }
        if attention { throw CLIError.data("\(model): --attention needs a seq2seq model") }
        let set = try input.load(statics: forecaster.spec.statics)
        var s = 0
        if let key = series {
            guard let i = set.series.firstIndex(where: { $0.key == key }) else {
                throw CLIError.data("\(input.data): no series '\(key)'; series are \(set.series.compactMap(\.key).prefix(10).joined(separator: ", "))")
            }
            s = i
        }
        var p = 0
        if let t = target {
            guard let i = forecaster.spec.window.targets.firstIndex(of: t) else {
                throw CLIError.data("the model forecasts \(forecaster.spec.window.targets.joined(separator: ", ")), not '\(t)'")
            }
            p = i
        }
        let svg = try ForecastPlot.render(forecaster, set, series: s, target: p)
        try AtomicFile.write(svg, to: out)
        Output.note("wrote \(out)")
    }
}

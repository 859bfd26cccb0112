import ArgumentParser
import Foundation
import Forecast
import ForecastRetraining

/// `forecast inspect`: what a model file holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's architecture, parameters, columns, scaler, season, provenance and metrics.")

    @Argument(help: ArgumentHelp("The model file, or a registry model folder REGISTRY/NAME.", valueName: "model"))
    var model: String

    @Flag(help: "Print the model's config and provenance as JSON.")
    var json = false

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        let f: Forecaster
        InputFiles.noteModel(path)
        switch try AnyModel.load(from: path) {
        case .nowcast(let m):
            try GridCLI.inspect(m, path: path, json: json)
            return
        case .seq2seq(let m):
            try Seq2SeqCLI.inspect(m, model: path, json: json)
            return
        case .autoregressive(let m):
            try AutoregressiveCLI.inspect(m, model: path, json: json)
            return
        case .ensemble(let m):
            try EnsembleCLI.inspect(m, path: model, json: json)
            return
        case .eshybrid(let m):
            try ESHybridCLI.inspect(m, path: model, json: json)
            return
        case .recurrent(let m):
            f = m
        }
        let spec = f.spec
        if json {
            struct Doc: Encodable { let family: String; let config: ModelSpec; let provenance: Provenance?; let parameters: Int; let tensors: [String: [Int]] }
            let tensors = Dictionary(uniqueKeysWithValues: f.model.layout.entries.map { ($0.name, $0.shape.dims) })
            Output.json(encodable: Doc(family: ModelFamily.recurrent.rawValue, config: spec, provenance: f.provenance, parameters: f.model.layout.parameterCount, tensors: tensors), pretty: true)
            return
        }
        let rc = spec.architecture.recurrent
        print("model:        \(model)")
        print("family:       \(ModelFamily.recurrent)")
        print("architecture: \(rc.cell.rawValue), \(rc.numLayers) layer(s) x \(rc.hiddenSize) hidden\(rc.bidirectional ? ", bidirectional" : "")\(rc.dropout > 0 ? ", dropout \(rc.dropout)" : ""), head \(rc.outputSize) -> \(spec.architecture.outputs)")
        print("parameters:   \(f.model.layout.parameterCount) in \(f.model.layout.entries.count) tensors")
        for e in f.model.layout.entries { print("  \(e.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(e.shape)") }
        print("loss:         \(spec.loss.name)")
        if let c = f.conformal { print("intervals:    conformal, " + EnsembleCLI.conformalSummary(c, targets: spec.window.targets.count)) }
        print("window:       lookback \(spec.window.lookback), horizon \(spec.window.horizon), stride \(spec.window.stride)\(spec.levelNormalization ? ", level-normalised" : "")\(spec.windowScaling.map { ", window-scaled (\($0.rawValue))" } ?? "")")
        print("targets:      \(spec.window.targets.joined(separator: ", "))")
        print("inputs:       \(spec.inputNames.joined(separator: ", "))")
        if let st = spec.statics {
            print("statics:      " + st.columns.map { c in c.kind == .categorical ? "\(c.name) (categorical: \((c.levels ?? []).prefix(8).joined(separator: ", "))\((c.levels?.count ?? 0) > 8 ? ", …" : ""))" : "\(c.name) (numeric)" }.joined(separator: "; "))
        }
        if let sc = spec.seriesScaling { print("scaling:      per series (mean absolute) of \(sc.columns.joined(separator: ", ")), \(sc.keys.count) series") }
        print("time:         \(spec.timeColumn ?? "row order")\(spec.frequency.map { ", frequency \($0)" } ?? ""), season \(spec.seasonLength)")
        if let key = spec.seriesKey { print("series key:   \(key)") }
        print("scaler:       " + zip(spec.scaler.columns, spec.scaler.scalers).map { "\($0) \($1.kind.rawValue) (offset \(Output.format($1.offset)), scale \(Output.format($1.scale)))" }.joined(separator: "; "))
        print("missing:      \(spec.missing.rawValue)")
        if let p = f.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed)\(InspectLines.spans(p.training))")
            print("data:         \(p.dataFile) (\(p.rows) rows, \(p.series) series\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let line = InspectLines.epochs(p.history, best: p.bestEpoch) { print(line) }
            if let r = p.testMetrics { print(InspectLines.table("test metrics:", EvaluateCommand.table(r))) }
        }
    }
}

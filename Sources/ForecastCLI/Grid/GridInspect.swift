import Foundation
import Forecast

/// `forecast inspect` for a grid (ConvLSTM nowcasting) model: architecture, tensors, grid,
/// frames, scaling and provenance; `--json` prints the config and provenance.
enum GridInspect {
    static func run(model: String, path: String, json: Bool) throws {
        let m = try Nowcaster.load(from: path)
        let spec = m.spec, a = spec.architecture
        if json {
            struct Doc: Encodable { let config: NowcastSpec; let provenance: NowcastProvenance?; let parameters: Int; let tensors: [String: [Int]] }
            let tensors = Dictionary(uniqueKeysWithValues: m.model.layout.entries.map { ($0.name, $0.shape.dims) })
            Output.json(encodable: Doc(config: spec, provenance: m.provenance, parameters: m.model.layout.parameterCount, tensors: tensors), pretty: true)
            return
        }
        print("model:        \(model)")
        print("architecture: ConvLSTM encoder-forecaster, \(a.hidden.count) layer(s) x \(a.hidden.map(String.init).joined(separator: "/")) channels, kernel \(a.kernel), patch \(a.patch), output \(a.output.rawValue)")
        print("parameters:   \(m.model.layout.parameterCount) in \(m.model.layout.entries.count) tensors")
        for e in m.model.layout.entries { print("  \(e.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(e.shape)") }
        print("grid:         \(a.height)x\(a.width), \(a.channels) channel(s); value '\(spec.value)' (columns \(spec.timeColumn), \(spec.yColumn), \(spec.xColumn))")
        print("frames:       in \(a.inFrames), out \(a.outFrames)\(spec.frequency.map { ", frequency \($0)" } ?? "")")
        print("scaling:      \(spec.scaling.transform.rawValue), scale \(Output.format(spec.scaling.scale))")
        if let p = m.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed)")
            print("data:         \(p.dataFile) (\(p.frames) frames\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print("windows:      train \(p.trainWindows), validation \(p.validationWindows), test \(p.testWindows)")
        }
    }
}

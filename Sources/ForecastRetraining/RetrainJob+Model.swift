import Foundation
import Forecast
import Yams

/// The `model` section of a job file, per family (docs/retraining.md, "Model families"):
///
/// ```yaml
/// model: { family: recurrent, cell: lstm, hidden: 32, lookback: 24, horizon: 12 }      # default family
/// model: { family: seq2seq, cell: gru, hidden: 16, lookback: 48, horizon: 12,
///          attention: additive, decoder_hidden: 16, teacher_forcing: linear }
/// model: { family: grid, hidden: 8, layers: 1, in_frames: 4, out_frames: 4, kernel: 3,
///          patch: 2, output: softplus, transform: linear }
/// ```
///
/// Every name is parsed by the library type the CLI's options parse into (``ModelFamily``,
/// ``CellKind``, ``LossKind``, ``AttentionKind``, ``TeacherForcingSchedule``,
/// ``EncoderForecaster/OutputActivation``, ``FrameScaling/Transform``), so a job file and the
/// command line accept the same words; a key of another family is an error naming the family.
extension RetrainJob {
    /// Keys of the `model` section every family has.
    static let commonModelKeys = ["family", "hidden", "layers"]
    /// Keys of the series families' encoder and windows.
    static let seriesModelKeys = ["cell", "bidirectional", "dropout", "lookback", "horizon", "loss", "level_normalization"]
    static let seq2seqModelKeys = ["attention", "decoder_cell", "decoder_hidden", "teacher_forcing"]
    static let gridModelKeys = ["in_frames", "out_frames", "kernel", "patch", "output", "transform"]

    static func modelKeys(_ family: ModelFamily) -> [String] {
        switch family {
        case .recurrent: return commonModelKeys + seriesModelKeys
        case .seq2seq: return commonModelKeys + seriesModelKeys + seq2seqModelKeys
        case .nowcast: return commonModelKeys + gridModelKeys
        // Not named by job files (ModelFamily(name:) does not accept them).
        case .autoregressive, .ensemble, .eshybrid: return commonModelKeys
        }
    }

    /// Parses the `model` mapping: `family` first, then the keys of that family.
    static func parseModel(_ node: Node, _ r: YAMLFields) throws -> ModelSettings {
        var family = ModelFamily.recurrent
        if let n = node.mapping?.first(where: { $0.key.string == "family" })?.value, let s = try r.string(n, "model.family") {
            guard let f = ModelFamily(name: s) else { throw r.error(n, "model.family must be \(ModelFamily.acceptedNames), got '\(s)'") }
            family = f
        }
        let m: [String: Node]
        do { m = try r.mapping(node, "model", keys: modelKeys(family)) } catch RetrainError.invalidJob(let message) {
            // Name the family when the unknown key belongs to another one.
            let other = ModelFamily.allCases.filter { $0 != family }
                .first { f in modelKeys(f).contains { message.contains("unknown key '\($0)'") } }
            throw RetrainError.invalidJob(other.map { "\(message); it is a key of \(name(of: $0)) models, and this job's model.family is \(name(of: family))" } ?? message)
        }
        var model = ModelSettings()
        // Recurrent jobs leave `family` nil: their settings hash as before families existed.
        model.family = family == .recurrent ? nil : family
        if let n = m["hidden"] { model.hidden = try r.int(n, "model.hidden", min: 1) }
        if let n = m["layers"] { model.layers = try r.int(n, "model.layers", min: 1) }
        if family != .nowcast { try parseSeriesModel(m, into: &model, r, family: family) }
        if family == .seq2seq { model.seq2seq = try parseSeq2Seq(m, r) }
        if family == .nowcast { model.grid = try parseGrid(m, r) }
        return model
    }

    /// The name of `family` in job files.
    static func name(of family: ModelFamily) -> String { family == .nowcast ? "grid" : family.rawValue }

    static func parseSeriesModel(_ m: [String: Node], into model: inout ModelSettings, _ r: YAMLFields, family: ModelFamily) throws {
        if let n = m["cell"], let s = try r.string(n, "model.cell") {
            guard let c = CellKind(name: s) else { throw r.error(n, "model.cell must be lstm, gru or rnn, got '\(s)'") }
            if family == .seq2seq, c != .lstm, c != .gru {
                throw r.error(n, "model.cell of a seq2seq model must be lstm or gru (the encoder), got '\(s)'")
            }
            model.cell = c
        }
        if let n = m["bidirectional"] { model.bidirectional = try r.bool(n, "model.bidirectional") }
        if let n = m["dropout"] {
            let v = try r.double(n, "model.dropout")
            guard v >= 0, v < 1 else { throw r.error(n, "model.dropout must be in [0, 1), got \(v)") }
            model.dropout = Float(v)
        }
        if let n = m["lookback"], !r.isNull(n) { model.lookback = try r.int(n, "model.lookback", min: 1) }
        if let n = m["horizon"], !r.isNull(n) { model.horizon = try r.int(n, "model.horizon", min: 1) }
        if let n = m["loss"], let s = try r.string(n, "model.loss") {
            guard LossKind(name: s) != nil else { throw r.error(n, "model.loss must be mse, mae, huber, gaussian or quantile, got '\(s)'") }
            model.loss = s.lowercased()
        }
        if let n = m["level_normalization"] { model.levelNormalization = try r.bool(n, "model.level_normalization") }
    }

    static func parseSeq2Seq(_ m: [String: Node], _ r: YAMLFields) throws -> Seq2SeqSettings {
        var s = Seq2SeqSettings()
        if let n = m["attention"], let v = try r.string(n, "model.attention") {
            guard let a = AttentionKind(name: v) else { throw r.error(n, "model.attention must be additive, luong or none, got '\(v)'") }
            s.attention = a
        }
        if let n = m["decoder_cell"], let v = try r.string(n, "model.decoder_cell") {
            guard let c = CellKind(name: v), c == .lstm || c == .gru else { throw r.error(n, "model.decoder_cell must be lstm or gru, got '\(v)'") }
            s.decoderCell = c
        }
        if let n = m["decoder_hidden"], !r.isNull(n) { s.decoderHidden = try r.int(n, "model.decoder_hidden", min: 1) }
        if let n = m["teacher_forcing"], let v = try r.string(n, "model.teacher_forcing") {
            guard let t = TeacherForcingSchedule(parsing: v) else {
                throw r.error(n, "model.teacher_forcing must be teacher, free, constant:P, linear[:MAX[:EPOCHS]] or inverse-sigmoid[:K], got '\(v)'")
            }
            s.teacherForcing = t
        }
        return s
    }

    static func parseGrid(_ m: [String: Node], _ r: YAMLFields) throws -> GridSettings {
        var g = GridSettings()
        if let n = m["in_frames"] { g.inFrames = try r.int(n, "model.in_frames", min: 1) }
        if let n = m["out_frames"] { g.outFrames = try r.int(n, "model.out_frames", min: 1) }
        if let n = m["kernel"] {
            g.kernel = try r.int(n, "model.kernel", min: 1)
            guard g.kernel % 2 == 1 else { throw r.error(n, "model.kernel must be odd, got \(g.kernel)") }
        }
        if let n = m["patch"], !r.isNull(n) { g.patch = try r.int(n, "model.patch", min: 1) }
        if let n = m["output"], let v = try r.string(n, "model.output") {
            guard let o = EncoderForecaster.OutputActivation(name: v) else { throw r.error(n, "model.output must be softplus, relu or linear, got '\(v)'") }
            g.output = o
        }
        if let n = m["transform"], let v = try r.string(n, "model.transform") {
            guard let t = FrameScaling.Transform(rawValue: v.lowercased()) else { throw r.error(n, "model.transform must be linear or log1p, got '\(v)'") }
            g.transform = t
        }
        return g
    }

    /// The data settings a grid job cannot use: a grid is one long-format table
    /// `time,y,x,value` with one value column (`data.targets`), no covariates.
    func checkFamilyData(_ r: YAMLFields, dataNode: Node) throws {
        guard model.resolvedFamily == .nowcast else { return }
        guard data.targets.count == 1 else {
            throw r.error(dataNode, "data.targets of a grid job names the one value column forecast (e.g. [rain_mmh]), got \(data.targets.count)")
        }
        let unused = [("series_key", data.seriesKey != nil), ("features", !data.features.isEmpty), ("known_future", !data.knownFuture.isEmpty),
                      ("calendar", !data.calendar.isEmpty), ("missing", data.missing != .error)].filter(\.1).map(\.0)
        if !unused.isEmpty {
            throw r.error(dataNode, "data.\(unused.joined(separator: ", data.")) cannot be used by a grid job (long-format frames time,y,x,value with one value column)")
        }
    }

    /// Options for ``Seq2SeqForecaster/fit(_:targets:options:dataFile:checkpointPath:resume:onEvent:)`` with `split`.
    func seq2seqOptions(split: SplitSpec) -> Seq2SeqOptions {
        var o = Seq2SeqOptions(base: forecasterOptions(split: split))
        let s = model.seq2seq ?? Seq2SeqSettings()
        o.attention = s.attention
        o.decoderCell = s.decoderCell
        o.decoderHidden = s.decoderHidden
        o.teacherForcing = s.teacherForcing
        return o
    }

    /// Options for ``Nowcaster/fit(_:options:dataFile:checkpointPath:resume:onEvent:)`` with
    /// `split`: the job's training section over the nowcasting defaults (cosine schedule, 4
    /// fixed shards), MSE in model units.
    func nowcastOptions(split: FrameSplit) -> NowcastOptions {
        var o = NowcastOptions()
        let g = model.grid ?? GridSettings()
        o.value = data.targets.first
        o.inFrames = g.inFrames
        o.outFrames = g.outFrames
        o.hidden = Array(repeating: model.hidden, count: model.layers)
        o.kernel = g.kernel
        o.patch = g.patch
        o.output = g.output
        o.transform = g.transform
        o.split = split
        o.training = trainingConfig(base: o.training)
        o.training.loss = .mse
        return o
    }
}

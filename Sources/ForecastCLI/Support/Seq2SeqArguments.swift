import ArgumentParser
import Forecast

/// Options of `--model seq2seq` (encoder–decoder with attention), shared by `forecast train`
/// and `forecast backtest`. Values are typed: a bad name is a usage error listing the choices.
struct Seq2SeqArguments: ParsableArguments {
    @Option(help: ArgumentHelp("With --model seq2seq: attention additive (Bahdanau), luong (general) or none.", valueName: "kind"))
    var attention: AttentionKind = .additive

    @Option(name: .customLong("teacher-forcing"), help: ArgumentHelp("With --model seq2seq: scheduled sampling, e.g. linear (default), linear:0.5:10, inverse-sigmoid, constant:P.", valueName: "schedule"))
    var teacherForcing: TeacherForcingSchedule = .standard

    @Option(help: ArgumentHelp("With --model seq2seq: encoder (and decoder) cell, lstm or gru.", valueName: "cell"))
    var cell: CellKind = .lstm

    @Option(name: .customLong("decoder-hidden"), help: ArgumentHelp("With --model seq2seq: decoder hidden units (default: the encoder's).", valueName: "n"))
    var decoderHidden: Int?

    @Option(name: .customLong("attention-size"), help: ArgumentHelp("With --model seq2seq: additive attention width.", valueName: "n"))
    var attentionSize: Int?

    @Option(help: ArgumentHelp("With --model seq2seq: encoder-to-decoder state bridge, identity, sum or linear.", valueName: "kind"))
    var bridge: BridgeKind?

    /// What the types allow but seq2seq does not (exit code 2).
    func check() throws {
        if cell != .lstm && cell != .gru { throw ValidationError("--cell must be lstm or gru for seq2seq, got '\(cell.rawValue)'") }
        try OptionLimits.require([("--decoder-hidden", decoderHidden, ConfigLimits.hidden), ("--attention-size", attentionSize, ConfigLimits.hidden)])
        if let h = decoderHidden, h < 1 { throw ValidationError("--decoder-hidden must be at least 1") }
        if let a = attentionSize, a < 1 { throw ValidationError("--attention-size must be at least 1") }
    }

    /// The library options: the shared model flags (window, sizes, training) for the encoder,
    /// plus these.
    func options(settings: ModelOptions) throws -> Seq2SeqOptions {
        try check()
        var base = settings.forecasterOptions()
        base.cell = cell
        var o = Seq2SeqOptions(base: base)
        o.attention = attention
        o.teacherForcing = teacherForcing
        o.decoderHidden = decoderHidden
        o.attentionSize = attentionSize
        o.bridge = bridge
        return o
    }
}

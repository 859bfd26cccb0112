import Foundation

/// Settings for ``Seq2SeqForecaster/fit(_:targets:options:dataFile:onEvent:)``: the
/// ``ForecasterOptions`` of the direct model (cell, sizes, window, covariates, split, scaling,
/// training) plus the decoder, attention and teacher-forcing settings.
///
/// `base.cell`, `base.hidden`, `base.layers`, `base.bidirectional` and `base.dropout` describe
/// the encoder. `base.knownFuture` columns and `base.calendar` features are fed to the decoder
/// at every forecast step (and, with every other input, to the encoder); `base.features` are
/// past-only (encoder only).
public struct Seq2SeqOptions: Sendable {
    public var base: ForecasterOptions
    /// Decoder cell (nil: the encoder's) and hidden size (nil: the encoder's).
    public var decoderCell: CellKind? = nil
    public var decoderHidden: Int? = nil
    public var attention: AttentionKind = .additive
    /// Width of the additive attention layer (nil: the decoder's hidden size).
    public var attentionSize: Int? = nil
    /// nil: identity or sum when the sizes allow, else linear.
    public var bridge: BridgeKind? = nil
    public var teacherForcing: TeacherForcingSchedule = .standard

    public init(base: ForecasterOptions = ForecasterOptions()) {
        self.base = base
    }
}

/// The seq2seq network of its model file's spec: `architecture` is always `"seq2seq"` (the
/// recurrent regressor's `config` holds its network config there), which is how a file is
/// recognised.
public struct Seq2SeqNetworkSpec: Codable, Sendable, Equatable {
    public var architecture: String = "seq2seq"
    public var model: Seq2SeqConfig
    /// The decoder's known-future inputs per step: indices into `inputNames`, and their names.
    public var futureInputIndices: [Int]
    public var futureInputNames: [String]
    public var teacherForcing: TeacherForcingSchedule

    public init(model: Seq2SeqConfig, futureInputIndices: [Int], futureInputNames: [String], teacherForcing: TeacherForcingSchedule) {
        self.model = model; self.futureInputIndices = futureInputIndices
        self.futureInputNames = futureInputNames; self.teacherForcing = teacherForcing
    }
}

/// Everything needed to turn a CSV file into seq2seq inputs and outputs back into forecasts:
/// the `config` section of a seq2seq model file (the shared ``SeriesDataSpec`` and the
/// ``Seq2SeqNetworkSpec``).
public typealias Seq2SeqSpec = SeriesModelSpec<Seq2SeqNetworkSpec>

extension FamilyRecord where Shared == SeriesDataSpec, Own == Seq2SeqNetworkSpec {
    /// Head values per window: `K * horizon * P`.
    public var outputs: Int { own.model.outputs }
}

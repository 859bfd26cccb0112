/// How a decoder step looks at the encoder outputs.
public enum AttentionKind: String, Codable, Sendable, CaseIterable {
    /// Bahdanau et al. (2014): `score_j = vᵀ tanh(W_q s + W_k h_j + b_k)`.
    case additive
    /// Luong et al. (2015), "general": `score_j = sᵀ W h_j`.
    case luong
    /// No attention: the decoder sees only the bridged final encoder state.
    case none

    /// Parses `additive` (or `bahdanau`), `luong` (or `general`, `multiplicative`), `none`.
    public init?(name: String) {
        switch name.lowercased() {
        case "additive", "bahdanau": self = .additive
        case "luong", "general", "multiplicative": self = .luong
        case "none", "off": self = .none
        default: return nil
        }
    }
}

/// How the encoder's final state becomes the decoder's initial state.
public enum BridgeKind: String, Codable, Sendable, CaseIterable {
    /// The top encoder layer's final state is the decoder's initial state (needs a
    /// unidirectional encoder with the decoder's hidden size).
    case identity
    /// Forward and reverse final states of a bidirectional top layer are summed (needs the
    /// decoder's hidden size).
    case sum
    /// `h0 = tanh(W_h [h_fwd; h_rev] + b_h)` and, for an LSTM decoder, `c0 = W_c [c_fwd; c_rev] + b_c`
    /// (the encoder's h when the encoder is a GRU). Works for any sizes and directions.
    case linear

    /// The bridge used when none is requested: identity or sum when the sizes allow, else linear.
    public static func automatic(encoder: RecurrentConfig, decoderHidden: Int) -> BridgeKind {
        guard encoder.hiddenSize == decoderHidden else { return .linear }
        return encoder.bidirectional ? .sum : .identity
    }
}

/// Hyper-parameters of a ``Seq2Seq`` model. Codable: stored in the model file's `config` section.
///
///     encoder inputs  F   (every input of the window: targets, covariates, calendar)
///     encoder         RecurrentConfig (LSTM/GRU, L layers, D directions, H_e units) -> C = D*H_e per step
///     decoder input   [y_prev (P), known-future covariates of the step (F_k), context (C if attention)]
///     decoder         one LSTM/GRU layer of H_d units, one step at a time
///     head            Linear([s_k; context_k] -> P*K)   (K = the loss's outputs per target)
public struct Seq2SeqConfig: Codable, Sendable, Equatable {
    public var encoder: RecurrentConfig
    public var decoderCell: CellKind
    public var decoderHidden: Int
    public var attention: AttentionKind
    /// Width A of the additive attention's hidden layer (ignored otherwise).
    public var attentionSize: Int
    public var bridge: BridgeKind
    /// Targets per step P (fed back and predicted).
    public var targets: Int
    /// Known-future inputs per decoder step F_k.
    public var futureInputs: Int
    /// Decoder steps (the horizon).
    public var horizon: Int
    /// Head values per target: 1 (point losses), 2 (Gaussian: mean then log-variance), K quantiles.
    public var outputsPerTarget: Int
    /// Which of the K blocks is the point forecast that is fed back (mean, or the median quantile).
    public var pointBlock: Int

    public init(encoder: RecurrentConfig, decoderCell: CellKind? = nil, decoderHidden: Int? = nil,
                attention: AttentionKind = .additive, attentionSize: Int? = nil, bridge: BridgeKind? = nil,
                targets: Int, futureInputs: Int, horizon: Int, outputsPerTarget: Int = 1, pointBlock: Int = 0) {
        self.encoder = encoder
        self.decoderCell = decoderCell ?? encoder.cell
        self.decoderHidden = decoderHidden ?? encoder.hiddenSize
        self.attention = attention
        self.attentionSize = attentionSize ?? (decoderHidden ?? encoder.hiddenSize)
        self.bridge = bridge ?? BridgeKind.automatic(encoder: encoder, decoderHidden: decoderHidden ?? encoder.hiddenSize)
        self.targets = targets
        self.futureInputs = futureInputs
        self.horizon = horizon
        self.outputsPerTarget = outputsPerTarget
        self.pointBlock = pointBlock
    }

    /// Width C of one encoder output step (and of the context vector): D*H_e.
    public var encoderWidth: Int { encoder.outputSize }
    /// Width of the context vector fed to the decoder and head (0 without attention).
    public var contextWidth: Int { attention == .none ? 0 : encoderWidth }
    /// Decoder input width: P + F_k + context.
    public var decoderInputSize: Int { targets + futureInputs + contextWidth }
    /// Head input width: H_d + context.
    public var headInputSize: Int { decoderHidden + contextWidth }
    /// Head outputs per step: P*K.
    public var stepOutputs: Int { targets * outputsPerTarget }
    /// Values per window prediction: K*horizon*P, laid out `[K, horizon, P]` (blocks of M = horizon*P).
    public var outputs: Int { stepOutputs * horizon }

    public enum ConfigError: Error, CustomStringConvertible, Sendable {
        case invalid(String)
        public var description: String { switch self { case .invalid(let m): return "invalid seq2seq configuration: \(m)" } }
    }

    /// Checks sizes and combinations.
    public func validate() throws {
        guard encoder.cell == .lstm || encoder.cell == .gru else { throw ConfigError.invalid("the encoder must be an LSTM or GRU (got \(encoder.cell.rawValue))") }
        guard decoderCell == .lstm || decoderCell == .gru else { throw ConfigError.invalid("the decoder must be an LSTM or GRU (got \(decoderCell.rawValue))") }
        guard encoder.inputSize >= 1, encoder.hiddenSize >= 1, encoder.numLayers >= 1 else { throw ConfigError.invalid("encoder sizes must be at least 1") }
        guard decoderHidden >= 1, targets >= 1, horizon >= 1, outputsPerTarget >= 1, futureInputs >= 0 else { throw ConfigError.invalid("decoder hidden size, targets, horizon and outputs must be at least 1") }
        guard pointBlock >= 0 && pointBlock < outputsPerTarget else { throw ConfigError.invalid("point block \(pointBlock) outside 0..<\(outputsPerTarget)") }
        if attention == .additive && attentionSize < 1 { throw ConfigError.invalid("the attention size must be at least 1") }
        switch bridge {
        case .identity:
            guard !encoder.bidirectional, encoder.hiddenSize == decoderHidden else {
                throw ConfigError.invalid("bridge 'identity' needs a unidirectional encoder with the decoder's hidden size (\(encoder.hiddenSize) vs \(decoderHidden)); use 'sum' or 'linear'")
            }
        case .sum:
            guard encoder.hiddenSize == decoderHidden else {
                throw ConfigError.invalid("bridge 'sum' needs equal encoder and decoder hidden sizes (\(encoder.hiddenSize) vs \(decoderHidden)); use 'linear'")
            }
        case .linear: break
        }
    }
}

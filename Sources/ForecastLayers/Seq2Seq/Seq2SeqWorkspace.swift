/// Everything one forward pass of a ``Seq2Seq`` model keeps for its backward pass, plus the
/// scratch both passes use. Sized once for a (batch, lookback) pair; no time loop allocates.
/// Sequence buffers are time-major: encoder `[T, B, *]`, decoder `[S, B, *]` (S = horizon).
///
/// One workspace per thread (inference callers, training shards).
public final class Seq2SeqWorkspace: @unchecked Sendable {
    public let batch: Int
    public let length: Int
    public let horizon: Int
    /// The encoder's cache; `encoder.x` `[T, B, F]` is written by the forward pass.
    public let encoder: RecurrentCache

    // Forward.
    /// Attention keys `[T, B, A]` (additive: `W_k h_j + b_k`) or `[T, B, H_d]` (Luong: `W h_j`).
    let keys: FloatBuffer
    /// Decoder initial state s0 `[B, H_d]` and cell c0 `[B, H_d]` (LSTM decoder).
    let s0: FloatBuffer
    let c0: FloatBuffer
    /// Linear bridge: its inputs `[B, C]` (top layer's final h, and c or h for the cell).
    let bridgeSrcH: FloatBuffer
    let bridgeSrcC: FloatBuffer
    /// Decoder inputs per step `[S, B, P + F_k + C]`: fed-back target, known-future inputs, context.
    let decX: FloatBuffer
    /// Decoder gates per step `[S, B, G*H_d]` (activations after the forward pass).
    let decGates: FloatBuffer
    /// LSTM decoder cell states `[S, B, H_d]`; GRU hidden-side n pre-activations `[S, B, H_d]`.
    let decC: FloatBuffer
    let decHn: FloatBuffer
    /// Head inputs per step `[S, B, H_d + C]`: the decoder state s_k (columns 0..<H_d, which
    /// is also where the decoder writes it) and the context (columns H_d..<H_d+C).
    let headIn: FloatBuffer
    /// Attention weights `[S, B, T]`.
    let attn: FloatBuffer
    /// Additive attention: projected queries `W_q s_{k-1}` per step `[S, B, A]`.
    let queries: FloatBuffer
    /// Additive attention scratch: `Q + K_j` and its tanh for one batch row `[T, A]`.
    let preU: FloatBuffer
    let u: FloatBuffer
    /// One step's hidden projection `[B, G*H_d]`.
    let stepHH: FloatBuffer
    /// Head outputs per step `[S, B, P*K]`.
    let out: FloatBuffer
    /// Predictions, batch-first `[B, K, S, P]` (blocks of M = S*P, as ``LossKind`` expects).
    public let pred: FloatBuffer

    // Backward (allocated on first use).
    var dOut: FloatBuffer?        // [S, B, P*K]
    var dHeadIn: FloatBuffer?     // [S, B, H_d + C]
    var dG: FloatBuffer?          // [S, B, G*H_d]
    var dGh: FloatBuffer?         // [S, B, G*H_d] (GRU hidden side)
    var dXin: FloatBuffer?        // [B, P + F_k + C]
    var dCtx: FloatBuffer?        // [B, C]
    var dS: FloatBuffer?          // [B, H_d]
    var dCc: FloatBuffer?         // [B, H_d]
    var dEnc: FloatBuffer?        // [T, B, C]
    var dKeys: FloatBuffer?       // [T, B, A or H_d]
    var dQuery: FloatBuffer?      // [B, A] (additive) or [B, H_d]
    var dScore: FloatBuffer?      // [T]
    var dhN: FloatBuffer?         // [L*D, B, H_e]
    var dcN: FloatBuffer?         // [L*D, B, H_e]
    var dBridge: FloatBuffer?     // [B, H_d]
    var dSrc: FloatBuffer?        // [B, C]

    public init(model: Seq2Seq, batch B: Int, length T: Int) {
        let cfg = model.config
        batch = B
        length = T
        let S = cfg.horizon
        horizon = S
        let C = cfg.encoderWidth, Hd = cfg.decoderHidden, G = cfg.decoderCell.gates
        let A = cfg.attentionSize
        encoder = RecurrentCache(config: cfg.encoder, batch: B, length: T)
        switch cfg.attention {
        case .additive: keys = FloatBuffer(count: T * B * A)
        case .luong: keys = FloatBuffer(count: T * B * Hd)
        case .none: keys = FloatBuffer(count: 0)
        }
        s0 = FloatBuffer(count: B * Hd)
        c0 = FloatBuffer(count: cfg.decoderCell == .lstm ? B * Hd : 0)
        bridgeSrcH = FloatBuffer(count: cfg.bridge == .linear ? B * C : 0)
        bridgeSrcC = FloatBuffer(count: cfg.bridge == .linear ? B * C : 0)
        decX = FloatBuffer(count: S * B * cfg.decoderInputSize)
        decGates = FloatBuffer(count: S * B * G * Hd)
        decC = FloatBuffer(count: cfg.decoderCell == .lstm ? S * B * Hd : 0)
        decHn = FloatBuffer(count: cfg.decoderCell == .gru ? S * B * Hd : 0)
        headIn = FloatBuffer(count: S * B * cfg.headInputSize)
        attn = FloatBuffer(count: cfg.attention == .none ? 0 : S * B * T)
        queries = FloatBuffer(count: cfg.attention == .additive ? S * B * A : 0)
        preU = FloatBuffer(count: cfg.attention == .additive ? T * A : 0)
        u = FloatBuffer(count: cfg.attention == .additive ? T * A : 0)
        stepHH = FloatBuffer(count: B * G * Hd)
        out = FloatBuffer(count: S * B * cfg.stepOutputs)
        pred = FloatBuffer(count: B * cfg.outputs)
    }

    /// The attention weights of the last forward pass, batch-first `[B, S, T]` (each row sums
    /// to 1); empty for a model without attention.
    public func attentionWeights() -> [Float] {
        let B = batch, S = horizon, T = length
        guard attn.count == S * B * T else { return [] }
        var w = [Float](repeating: 0, count: B * S * T)
        for k in 0..<S { for b in 0..<B { for j in 0..<T { w[(b * S + k) * T + j] = attn.pointer[(k * B + b) * T + j] } } }
        return w
    }

    func prepareBackward(_ cfg: Seq2SeqConfig) {
        if dOut != nil { return }
        let B = batch, T = length, S = horizon
        let C = cfg.encoderWidth, Hd = cfg.decoderHidden, GH = cfg.decoderCell.gates * Hd
        let L = cfg.encoder.numLayers, D = cfg.encoder.directions, He = cfg.encoder.hiddenSize
        dOut = FloatBuffer(count: S * B * cfg.stepOutputs)
        dHeadIn = FloatBuffer(count: S * B * cfg.headInputSize)
        dG = FloatBuffer(count: S * B * GH)
        dGh = cfg.decoderCell == .gru ? FloatBuffer(count: S * B * GH) : nil
        dXin = FloatBuffer(count: B * cfg.decoderInputSize)
        dCtx = FloatBuffer(count: B * C)
        dS = FloatBuffer(count: B * Hd)
        dCc = FloatBuffer(count: B * Hd)
        dEnc = FloatBuffer(count: T * B * C)
        dKeys = FloatBuffer(count: keys.count)
        dQuery = FloatBuffer(count: B * max(cfg.attentionSize, Hd))
        dScore = FloatBuffer(count: T)
        dhN = FloatBuffer(count: L * D * B * He)
        dcN = FloatBuffer(count: cfg.encoder.cell == .lstm ? L * D * B * He : 0)
        dBridge = FloatBuffer(count: B * Hd)
        dSrc = FloatBuffer(count: B * C)
    }
}

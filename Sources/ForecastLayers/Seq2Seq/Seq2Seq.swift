import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An encoder–decoder (seq2seq) forecaster with attention.
///
///     x [B, T, F] ─encoder (stacked, opt. bidirectional LSTM/GRU)→ Y [T, B, C]   C = D*H_e
///                  final states ─bridge→ s_0 (and c_0)
///     for k in 0..<S (the horizon), one decoder step at a time:
///         a_k      = softmax_j score(s_{k-1}, Y_j)               attention weights [B, T]
///         ctx_k    = Σ_j a_kj Y_j                                 [B, C]
///         s_k      = cell([y_{k-1}; f_k; ctx_k], s_{k-1})         decoder LSTM/GRU, [B, H_d]
///         out_k    = head([s_k; ctx_k])                           [B, P*K]
///
/// `y_{k-1}` is the previous step's target: at k = 0 the last observed value (the target
/// inputs of x's last step), later the true value (teacher forcing) or the model's own point
/// forecast (scheduled sampling, free running at inference). The fed-back forecast is treated
/// as a constant (no gradient through it, as `.detach()` in PyTorch). `f_k` are the step's
/// known-future inputs. Scores: additive `vᵀ tanh(W_q s + W_k h_j + b_k)`, Luong
/// `sᵀ W h_j`; without attention the context is absent (C = 0 in the decoder and head inputs).
///
/// Parameter names (a PyTorch module with these attributes has the same `state_dict`):
///
///     encoder.weight_ih_l{k}[_reverse] …   nn.LSTM/nn.GRU(F, H_e, L, batch_first=True, bidirectional=)
///     bridge.h.weight [H_d, C], bridge.h.bias        linear bridge only (nn.Linear)
///     bridge.c.weight [H_d, C], bridge.c.bias        linear bridge, LSTM decoder
///     attention.W_q.weight [A, H_d]                  additive (nn.Linear, bias=False)
///     attention.W_k.weight [A, C], attention.W_k.bias [A]
///     attention.v.weight [1, A]                      (nn.Linear, bias=False)
///     attention.W.weight [H_d, C]                    Luong (nn.Linear(C, H_d, bias=False))
///     decoder.weight_ih_l0 [G*H_d, P+F_k+C], decoder.weight_hh_l0, decoder.bias_ih_l0, decoder.bias_hh_l0
///                                                    nn.LSTM/nn.GRU(P+F_k+C, H_d) stepped one step at a time
///     head.weight [P*K, H_d+C], head.bias [P*K]
///
/// Like every layer here, the model is a description (offsets into a ``ParameterStore``); all
/// state of a pass lives in a ``Seq2SeqWorkspace``.
public struct Seq2Seq: Sendable {
    public let config: Seq2SeqConfig
    public let layout: ParameterLayout
    public let encoder: Recurrent
    /// One layer; used for its parameter offsets and initialisation.
    let decoder: Recurrent
    public let head: Linear
    let bridgeH: Linear?
    let bridgeC: Linear?
    /// Additive: `attention.W_k` (weight and bias) as a Linear; offsets of W_q and v.
    let keyProjection: Linear?
    let attQ: Int
    let attV: Int
    /// Luong: offset of `attention.W`.
    let attW: Int

    public init(_ config: Seq2SeqConfig) {
        self.config = config
        var layout = ParameterLayout()
        let C = config.encoderWidth, Hd = config.decoderHidden, A = config.attentionSize
        encoder = Recurrent(config.encoder, prefix: "encoder", layout: &layout)
        if config.bridge == .linear {
            bridgeH = Linear(inFeatures: C, outFeatures: Hd, prefix: "bridge.h", layout: &layout)
            bridgeC = config.decoderCell == .lstm ? Linear(inFeatures: C, outFeatures: Hd, prefix: "bridge.c", layout: &layout) : nil
        } else {
            bridgeH = nil
            bridgeC = nil
        }
        switch config.attention {
        case .additive:
            attQ = layout.add("attention.W_q.weight", [A, Hd])
            keyProjection = Linear(inFeatures: C, outFeatures: A, prefix: "attention.W_k", layout: &layout)
            attV = layout.add("attention.v.weight", [1, A])
            attW = -1
        case .luong:
            attW = layout.add("attention.W.weight", [Hd, C])
            keyProjection = nil; attQ = -1; attV = -1
        case .none:
            keyProjection = nil; attQ = -1; attV = -1; attW = -1
        }
        decoder = Recurrent(RecurrentConfig(cell: config.decoderCell, inputSize: config.decoderInputSize, hiddenSize: Hd),
                            prefix: "decoder", layout: &layout)
        head = Linear(inFeatures: config.headInputSize, outFeatures: config.stepOutputs, prefix: "head", layout: &layout)
        self.layout = layout
    }

    /// A parameter store with PyTorch's default initialisation (uniform ±1/√fan, per module).
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        encoder.initialize(store, rng: &rng)
        bridgeH?.initialize(store, rng: &rng)
        bridgeC?.initialize(store, rng: &rng)
        let C = config.encoderWidth, Hd = config.decoderHidden, A = config.attentionSize
        func fill(_ off: Int, _ n: Int, fanIn: Int) {
            let k = 1 / Float(fanIn).squareRoot()
            for i in 0..<n { store.base[off + i] = rng.nextFloat(in: -k, k) }
        }
        switch config.attention {
        case .additive:
            fill(attQ, A * Hd, fanIn: Hd)
            keyProjection?.initialize(store, rng: &rng)
            fill(attV, A, fanIn: A)
        case .luong:
            fill(attW, Hd * C, fanIn: C)
        case .none: break
        }
        decoder.initialize(store, rng: &rng)
        head.initialize(store, rng: &rng)
        store.markModified()
        return store
    }

    // MARK: Forward

    /// Runs encoder, bridge and the S decoder steps.
    ///
    /// - Parameters:
    ///   - x: `[B, T, F]` encoder inputs, batch-first; its first P inputs are the targets.
    ///   - future: `[B, S, F_k]` known-future inputs of the decoder steps (nil when F_k = 0).
    ///   - teacher: `[B, S*P]` true targets, step-major, for teacher forcing; nil: free running.
    ///   - feedback: `[B, S]`, 1 where step k (k ≥ 1) takes the model's own forecast of step
    ///     k-1 instead of the teacher's value (scheduled sampling); nil: all teacher.
    /// - Returns: `ws.pred` `[B, K, S, P]`.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, future: UnsafePointer<Float>?, teacher: UnsafePointer<Float>?,
                        feedback: UnsafePointer<UInt8>? = nil, workspace ws: Seq2SeqWorkspace, params: ParameterStore,
                        training: Bool = false, rng: inout SeededGenerator) -> FloatBuffer {
        let cfg = config
        let B = ws.batch, T = ws.length, S = ws.horizon
        let F = cfg.encoder.inputSize, P = cfg.targets, Fk = cfg.futureInputs
        let C = cfg.encoderWidth, Cx = cfg.contextWidth, Hd = cfg.decoderHidden, GH = cfg.decoderCell.gates * Hd
        let Din = cfg.decoderInputSize, E = cfg.headInputSize, PK = cfg.stepOutputs
        let p = params.base

        // Encoder.
        let cache = ws.encoder
        transposeBatchTime(x, cache.x.pointer, batch: B, time: T, features: F)
        cache.useInitialState = false
        encoder.forward(cache, params: params, training: training, rng: &rng)
        let Y = UnsafePointer(cache.output.pointer)                      // [T, B, C]

        // Attention keys for the whole window.
        switch cfg.attention {
        case .additive:
            keyProjection!.forward(Y, rows: T * B, into: ws.keys.pointer, params: params)   // [T*B, A]
        case .luong:
            gemm(transB: true, m: T * B, n: Hd, k: C, a: Y, lda: C, b: p + attW, ldb: C, c: ws.keys.pointer, ldc: Hd)
        case .none: break
        }

        bridgeForward(ws, params)

        let s0 = UnsafePointer(ws.s0.pointer)
        let headIn = ws.headIn.pointer                                   // [S, B, E]
        let decX = ws.decX.pointer                                       // [S, B, Din]
        let out = ws.out.pointer                                         // [S, B, PK]
        let dslot = decoder.slots[0]
        for k in 0..<S {
            // Query: s_{k-1}.
            let q: UnsafePointer<Float> = k == 0 ? s0 : UnsafePointer(headIn + (k - 1) * B * E)
            let ldq = k == 0 ? Hd : E
            let xin = decX + k * B * Din
            // Fed-back target.
            for b in 0..<B {
                let row = xin + b * Din
                if k == 0 {
                    row.update(from: cache.x.pointer + ((T - 1) * B + b) * F, count: P)
                } else if let teacher, feedback.map({ $0[b * S + k] == 0 }) ?? true {
                    row.update(from: teacher + b * S * P + (k - 1) * P, count: P)
                } else {
                    row.update(from: out + ((k - 1) * B + b) * PK + cfg.pointBlock * P, count: P)
                }
                if Fk > 0, let future { (row + P).update(from: future + (b * S + k) * Fk, count: Fk) }
            }
            // Attention -> context, written into the decoder input and the head input.
            if cfg.attention != .none {
                attentionForward(step: k, query: q, ldq: ldq, Y: Y, ws: ws, params: params)
                let ctxHead = headIn + k * B * E + Hd
                for b in 0..<B { (xin + b * Din + P + Fk).update(from: ctxHead + b * E, count: Cx) }
            }
            // Decoder step.
            let g = ws.decGates.pointer + k * B * GH
            gemm(transB: true, m: B, n: GH, k: Din, a: xin, lda: Din, b: p + dslot.weightIH, ldb: Din, c: g, ldc: GH)
            gemm(transB: true, m: B, n: GH, k: Hd, a: q, lda: ldq, b: p + dslot.weightHH, ldb: Hd, c: ws.stepHH.pointer, ldc: GH)
            let hOut = headIn + k * B * E
            switch cfg.decoderCell {
            case .lstm:
                let cPrev: UnsafePointer<Float> = k == 0 ? UnsafePointer(ws.c0.pointer) : UnsafePointer(ws.decC.pointer + (k - 1) * B * Hd)
                LSTMKernels.forward(B: B, H: Hd, gates: g, hh: ws.stepHH.pointer, bih: p + dslot.biasIH, bhh: p + dslot.biasHH,
                                    cPrev: cPrev, c: ws.decC.pointer + k * B * Hd, h: hOut, hStride: E)
            case .gru:
                GRUKernels.forward(B: B, H: Hd, gates: g, hh: ws.stepHH.pointer, bih: p + dslot.biasIH, bhh: p + dslot.biasHH,
                                   hPrev: q, hPrevStride: ldq, hn: ws.decHn.pointer + k * B * Hd, h: hOut, hStride: E)
            case .rnnTanh, .rnnRelu, .leakyRNN:
                preconditionFailure("Seq2SeqConfig.validate admits LSTM and GRU decoders only")
            }
            // Head.
            head.forward(hOut, ldx: E, rows: B, into: out + k * B * PK, params: params)
        }
        // Scatter [S, B, K*P] -> [B, K, S, P].
        let K = cfg.outputsPerTarget, M = S * P
        let pred = ws.pred.pointer
        for k in 0..<S { for b in 0..<B { for kk in 0..<K { for pp in 0..<P {
            pred[b * K * M + kk * M + k * P + pp] = out[(k * B + b) * PK + kk * P + pp]
        } } } }
        return ws.pred
    }

    /// Top layer's final states -> s0 (and c0).
    func bridgeForward(_ ws: Seq2SeqWorkspace, _ params: ParameterStore) {
        let cfg = config
        let B = ws.batch, He = cfg.encoder.hiddenSize, D = cfg.encoder.directions, L = cfg.encoder.numLayers
        let Hd = cfg.decoderHidden, C = cfg.encoderWidth
        let hN = ws.encoder.hN.pointer, cN = ws.encoder.cN.pointer     // [L*D, B, He]
        let encLSTM = cfg.encoder.cell == .lstm, decLSTM = cfg.decoderCell == .lstm
        func state(_ buf: UnsafeMutablePointer<Float>, _ d: Int, _ b: Int) -> UnsafeMutablePointer<Float> { buf + ((L - 1) * D + d) * B * He + b * He }
        switch cfg.bridge {
        case .identity, .sum:
            for b in 0..<B {
                let s = ws.s0.pointer + b * Hd
                s.update(from: state(hN, 0, b), count: Hd)
                if D == 2 { let r = state(hN, 1, b); for i in 0..<Hd { s[i] += r[i] } }
                if decLSTM {
                    let c = ws.c0.pointer + b * Hd
                    if encLSTM {
                        c.update(from: state(cN, 0, b), count: Hd)
                        if D == 2 { let r = state(cN, 1, b); for i in 0..<Hd { c[i] += r[i] } }
                    } else {
                        c.update(repeating: 0, count: Hd)
                    }
                }
            }
        case .linear:
            let srcH = ws.bridgeSrcH.pointer, srcC = ws.bridgeSrcC.pointer  // [B, C]
            for b in 0..<B {
                for d in 0..<D {
                    (srcH + b * C + d * He).update(from: state(hN, d, b), count: He)
                    (srcC + b * C + d * He).update(from: encLSTM ? state(cN, d, b) : state(hN, d, b), count: He)
                }
            }
            bridgeH!.forward(srcH, rows: B, into: ws.s0.pointer, params: params)
            for i in 0..<(B * Hd) { ws.s0.pointer[i] = tanhf(ws.s0.pointer[i]) }
            if decLSTM { bridgeC!.forward(srcC, rows: B, into: ws.c0.pointer, params: params) }
        }
    }

    /// Scores, softmax and context of decoder step k; writes `ws.attn[k]` and the context
    /// into `ws.headIn[k, :, H_d...]`.
    func attentionForward(step k: Int, query q: UnsafePointer<Float>, ldq: Int, Y: UnsafePointer<Float>,
                          ws: Seq2SeqWorkspace, params: ParameterStore) {
        let cfg = config
        let B = ws.batch, T = ws.length, C = cfg.encoderWidth, Hd = cfg.decoderHidden, A = cfg.attentionSize, E = cfg.headInputSize
        let p = params.base
        let keys = UnsafePointer(ws.keys.pointer)
        let attn = ws.attn.pointer + k * B * T                           // [B, T]
        switch cfg.attention {
        case .additive:
            let Q = ws.queries.pointer + k * B * A                       // [B, A]
            gemm(transB: true, m: B, n: A, k: Hd, a: q, lda: ldq, b: p + attQ, ldb: Hd, c: Q, ldc: A)
            let v = p + attV
            let pre = ws.preU.pointer, u = ws.u.pointer                  // [T, A]
            for b in 0..<B {
                let qb = Q + b * A
                for j in 0..<T {
                    let kj = keys + (j * B + b) * A, r = pre + j * A
                    for a in 0..<A { r[a] = qb[a] + kj[a] }
                }
                fk_tanh(Int32(T * A), pre, u)
                let e = attn + b * T
                for j in 0..<T {
                    let r = u + j * A
                    var s: Float = 0
                    for a in 0..<A { s += v[a] * r[a] }
                    e[j] = s
                }
            }
        case .luong:
            for b in 0..<B {
                // e[b, :] = K[:, b] q_b : [T, H_d] (rows B*H_d apart) x [H_d]
                gemm(m: 1, n: T, k: Hd, a: q + b * ldq, lda: Hd, b: keys + b * Hd, ldb: B * Hd, transBFlag: true, c: attn + b * T)
            }
        case .none: return
        }
        // Softmax over j, then the context.
        for b in 0..<B {
            let e = attn + b * T
            var mx = -Float.infinity
            for j in 0..<T { mx = max(mx, e[j]) }
            var sum: Float = 0
            for j in 0..<T { let w = expf(e[j] - mx); e[j] = w; sum += w }
            let inv = 1 / sum
            for j in 0..<T { e[j] *= inv }
            // ctx_b = Σ_j a_j Y[j, b] : [1, T] x [T, C] (rows B*C apart)
            gemm(m: 1, n: C, k: T, a: e, lda: T, b: Y + b * C, ldb: B * C, c: ws.headIn.pointer + (k * B + b) * E + Hd, ldc: C)
        }
    }

    // MARK: Backward

    /// Backpropagates `dPred` (`[B, K, S, P]`, the gradient of the loss with respect to
    /// `ws.pred`) through head, decoder steps (BPTT), attention, bridge and encoder.
    /// Accumulates (`+=`) parameter gradients into `grads`; leaves `ws.encoder.dX` `[T, B, F]`
    /// (time-major) holding the gradient with respect to `x`.
    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Seq2SeqWorkspace, params: ParameterStore, grads: ParameterStore) {
        let cfg = config
        ws.prepareBackward(cfg)
        let B = ws.batch, T = ws.length, S = ws.horizon
        let P = cfg.targets, Fk = cfg.futureInputs, K = cfg.outputsPerTarget, M = S * P
        let C = cfg.encoderWidth, Cx = cfg.contextWidth, Hd = cfg.decoderHidden, GH = cfg.decoderCell.gates * Hd
        let Din = cfg.decoderInputSize, E = cfg.headInputSize, PK = cfg.stepOutputs
        let L = cfg.encoder.numLayers, D = cfg.encoder.directions, He = cfg.encoder.hiddenSize
        let p = params.base, gp = grads.base
        let dslot = decoder.slots[0]
        let headIn = UnsafePointer(ws.headIn.pointer)
        let Y = UnsafePointer(ws.encoder.output.pointer)                 // [T, B, C]

        // Head, all steps at once: dHeadIn [S*B, E] = dOut W; dW += dOutᵀ headIn.
        let dOut = ws.dOut!.pointer
        for k in 0..<S { for b in 0..<B { for kk in 0..<K { for pp in 0..<P {
            dOut[(k * B + b) * PK + kk * P + pp] = dPred[b * K * M + kk * M + k * P + pp]
        } } } }
        let dHeadIn = ws.dHeadIn!.pointer
        head.backward(dOut, x: headIn, rows: S * B, dx: dHeadIn, params: params, grads: grads)

        let dG = ws.dG!.pointer
        let dGh = ws.dGh?.pointer ?? dG
        let dS = ws.dS!.pointer, dCc = ws.dCc!.pointer                   // [B, H_d]
        let dXin = ws.dXin!.pointer, dCtx = ws.dCtx!.pointer
        dS.update(repeating: 0, count: B * Hd)
        dCc.update(repeating: 0, count: B * Hd)
        let dEnc = ws.dEnc!.pointer
        dEnc.update(repeating: 0, count: T * B * C)
        if ws.dKeys!.count > 0 { ws.dKeys!.zero() }
        let s0 = UnsafePointer(ws.s0.pointer)

        for k in stride(from: S - 1, through: 0, by: -1) {
            let q: UnsafePointer<Float> = k == 0 ? s0 : headIn + (k - 1) * B * E
            let ldq = k == 0 ? Hd : E
            let g = UnsafePointer(ws.decGates.pointer + k * B * GH)
            let dg = dG + k * B * GH
            let dy = UnsafePointer(dHeadIn + k * B * E)                  // dL/ds_k from the head, stride E
            switch cfg.decoderCell {
            case .lstm:
                let cPrev: UnsafePointer<Float> = k == 0 ? UnsafePointer(ws.c0.pointer) : UnsafePointer(ws.decC.pointer + (k - 1) * B * Hd)
                LSTMKernels.backward(B: B, H: Hd, gates: g, c: ws.decC.pointer + k * B * Hd, cPrev: cPrev,
                                     dy: dy, dyStride: E, carryH: dS, carryC: dCc, dG: dg)
                // dS <- dG W_hh : gradient for s_{k-1} through the recurrence.
                gemm(m: B, n: Hd, k: GH, a: dg, lda: GH, b: p + dslot.weightHH, ldb: Hd, c: dS, ldc: Hd)
            case .gru:
                let dgh = dGh + k * B * GH
                GRUKernels.backward(B: B, H: Hd, gates: g, hn: ws.decHn.pointer + k * B * Hd, hPrev: q, hPrevStride: ldq,
                                    dy: dy, dyStride: E, carryH: dS, dGx: dg, dGh: dgh)
                gemm(m: B, n: Hd, k: GH, a: dgh, lda: GH, b: p + dslot.weightHH, ldb: Hd, beta: 1, c: dS, ldc: Hd)
            case .rnnTanh, .rnnRelu, .leakyRNN:
                preconditionFailure("Seq2SeqConfig.validate admits LSTM and GRU decoders only")
            }
            // Decoder input gradient [B, Din] = dG W_ih.
            gemm(m: B, n: Din, k: GH, a: dg, lda: GH, b: p + dslot.weightIH, ldb: Din, c: dXin, ldc: Din)
            if cfg.attention != .none {
                // Context gradient: from the decoder input and from the head.
                for b in 0..<B {
                    let dc = dCtx + b * Cx, a = dXin + b * Din + P + Fk, h = dy + b * E + Hd
                    for i in 0..<Cx { dc[i] = a[i] + h[i] }
                }
                attentionBackward(step: k, query: q, ldq: ldq, Y: Y, ws: ws, params: params, grads: grads)
            }
        }

        // Decoder weights: dW_ih += dGᵀ X, dW_hh += Σ_k dGh_kᵀ s_{k-1}, biases.
        gemm(transA: true, m: GH, n: Din, k: S * B, a: dG, lda: GH, b: ws.decX.pointer, ldb: Din, beta: 1, c: gp + dslot.weightIH, ldc: Din)
        if S > 1 {
            gemm(transA: true, m: GH, n: Hd, k: (S - 1) * B, a: dGh + B * GH, lda: GH, b: headIn, ldb: E, beta: 1, c: gp + dslot.weightHH, ldc: Hd)
        }
        gemm(transA: true, m: GH, n: Hd, k: B, a: dGh, lda: GH, b: s0, ldb: Hd, beta: 1, c: gp + dslot.weightHH, ldc: Hd)
        fk_column_sums(Int32(S * B), Int32(GH), dG, Int32(GH), gp + dslot.biasIH)
        fk_column_sums(Int32(S * B), Int32(GH), dGh, Int32(GH), gp + dslot.biasHH)

        // Keys: dEnc += dKeys W_k (or W), weight gradients.
        switch cfg.attention {
        case .additive:
            keyProjection!.backward(ws.dKeys!.pointer, x: Y, rows: T * B, dx: dEnc, accumulate: true, params: params, grads: grads)
        case .luong:
            gemm(transA: true, m: Hd, n: C, k: T * B, a: ws.dKeys!.pointer, lda: Hd, b: Y, ldb: C, beta: 1, c: gp + attW, ldc: C)
            gemm(m: T * B, n: C, k: Hd, a: ws.dKeys!.pointer, lda: Hd, b: p + attW, ldb: C, beta: 1, c: dEnc, ldc: C)
        case .none: break
        }

        // Bridge -> gradients for the encoder's final states.
        let dhN = ws.dhN!.pointer, dcN = ws.dcN!.pointer
        dhN.update(repeating: 0, count: L * D * B * He)
        if ws.dcN!.count > 0 { dcN.update(repeating: 0, count: L * D * B * He) }
        let encLSTM = cfg.encoder.cell == .lstm, decLSTM = cfg.decoderCell == .lstm
        func state(_ buf: UnsafeMutablePointer<Float>, _ d: Int, _ b: Int) -> UnsafeMutablePointer<Float> { buf + ((L - 1) * D + d) * B * He + b * He }
        switch cfg.bridge {
        case .identity, .sum:
            for b in 0..<B {
                for d in 0..<D {
                    state(dhN, d, b).update(from: dS + b * Hd, count: Hd)
                    if decLSTM && encLSTM { state(dcN, d, b).update(from: dCc + b * Hd, count: Hd) }
                }
            }
        case .linear:
            let dPre = ws.dBridge!.pointer, dSrc = ws.dSrc!.pointer
            for i in 0..<(B * Hd) { let h = ws.s0.pointer[i]; dPre[i] = dS[i] * (1 - h * h) }
            bridgeH!.backward(dPre, x: ws.bridgeSrcH.pointer, rows: B, dx: dSrc, params: params, grads: grads)
            for b in 0..<B { for d in 0..<D { state(dhN, d, b).update(from: dSrc + b * C + d * He, count: He) } }
            if decLSTM {
                bridgeC!.backward(dCc, x: ws.bridgeSrcC.pointer, rows: B, dx: dSrc, params: params, grads: grads)
                for b in 0..<B {
                    for d in 0..<D {
                        let dst = encLSTM ? state(dcN, d, b) : state(dhN, d, b), src = dSrc + b * C + d * He
                        for i in 0..<He { dst[i] += src[i] }
                    }
                }
            }
        }

        encoder.backward(ws.encoder, dTop: cfg.attention == .none ? nil : UnsafePointer(dEnc), dhN: UnsafePointer(dhN),
                         dcN: encLSTM ? UnsafePointer(dcN) : nil, params: params, grads: grads)
        // Step 0's fed-back value is x[:, T-1, :P]: add its gradient (dXin still holds step 0's).
        if let dX = ws.encoder.dX {
            let F = cfg.encoder.inputSize
            for b in 0..<B { for i in 0..<P { dX.pointer[((T - 1) * B + b) * F + i] += dXin[b * Din + i] } }
        }
    }

    /// Attention backward of step k, given `ws.dCtx` `[B, C]`: adds to `ws.dEnc` (through the
    /// weighted sum), `ws.dKeys`, `ws.dS` (the query s_{k-1}) and the W_q / v gradients.
    func attentionBackward(step k: Int, query q: UnsafePointer<Float>, ldq: Int, Y: UnsafePointer<Float>,
                           ws: Seq2SeqWorkspace, params: ParameterStore, grads: ParameterStore) {
        let cfg = config
        let B = ws.batch, T = ws.length, C = cfg.encoderWidth, Hd = cfg.decoderHidden, A = cfg.attentionSize
        let p = params.base, gp = grads.base
        let attn = UnsafePointer(ws.attn.pointer + k * B * T)
        let dCtx = UnsafePointer(ws.dCtx!.pointer), dEnc = ws.dEnc!.pointer, dKeys = ws.dKeys!.pointer
        let de = ws.dScore!.pointer                                      // [T]
        let keys = UnsafePointer(ws.keys.pointer)
        let dS = ws.dS!.pointer
        let dQ = ws.dQuery!.pointer
        if cfg.attention == .additive { dQ.update(repeating: 0, count: B * A) }
        for b in 0..<B {
            let a = attn + b * T, dc = dCtx + b * C
            // Through ctx = Σ a_j Y_j: dY_j += a_j dctx, da_j = dctx · Y_j.
            var dot: Float = 0
            for j in 0..<T {
                let yj = Y + (j * B + b) * C, dyj = dEnc + (j * B + b) * C
                let aj = a[j]
                var s: Float = 0
                for i in 0..<C { dyj[i] += aj * dc[i]; s += dc[i] * yj[i] }
                de[j] = s
                dot += aj * s
            }
            // Softmax: de_j = a_j (da_j - Σ a da).
            for j in 0..<T { de[j] = a[j] * (de[j] - dot) }
            switch cfg.attention {
            case .additive:
                let Qb = UnsafePointer(ws.queries.pointer + (k * B + b) * A)
                let pre = ws.preU.pointer, u = ws.u.pointer
                for j in 0..<T {
                    let kj = keys + (j * B + b) * A, r = pre + j * A
                    for i in 0..<A { r[i] = Qb[i] + kj[i] }
                }
                fk_tanh(Int32(T * A), pre, u)
                let v = p + attV, dv = gp + attV, dq = dQ + b * A
                for j in 0..<T {
                    let w = de[j], r = u + j * A, dk = dKeys + (j * B + b) * A
                    for i in 0..<A {
                        let du = w * v[i] * (1 - r[i] * r[i])
                        dv[i] += w * r[i]
                        dq[i] += du
                        dk[i] += du
                    }
                }
            case .luong:
                let qb = q + b * ldq, ds = dS + b * Hd
                for j in 0..<T {
                    let w = de[j], kj = keys + (j * B + b) * Hd, dk = dKeys + (j * B + b) * Hd
                    for i in 0..<Hd { ds[i] += w * kj[i]; dk[i] += w * qb[i] }
                }
            case .none: break
            }
        }
        if cfg.attention == .additive {
            // dS += dQ W_q ; dW_q += dQᵀ q.
            gemm(m: B, n: Hd, k: A, a: dQ, lda: A, b: p + attQ, ldb: Hd, beta: 1, c: dS, ldc: Hd)
            gemm(transA: true, m: A, n: Hd, k: B, a: dQ, lda: A, b: q, ldb: ldq, beta: 1, c: gp + attQ, ldc: Hd)
        }
    }
}

/// `c[1, n] = a[1, k] · Bᵀ` with B stored `[n, k]` rows `ldb` apart (Luong scores).
@inline(__always)
private func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  transBFlag: Bool, c: UnsafeMutablePointer<Float>) {
    gemm(transB: transBFlag, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: n)
}

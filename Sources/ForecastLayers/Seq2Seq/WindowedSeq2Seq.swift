/// A ``Seq2Seq`` model bound to its window length and teacher-forcing schedule: the seq2seq
/// family as a ``TrainableModel``.
///
///     input  [B, T*F + S*F_k]   the encoder window x [T, F] followed by the decoder's
///                               known-future inputs [S, F_k] (absent when F_k = 0)
///     target [B, S*P]           step-major true targets, read for teacher forcing
///     pred   [B, K, S, P]       as ``Seq2Seq/forward(_:future:teacher:feedback:workspace:params:training:rng:)``
///
/// Training passes feed each decoder step k ≥ 1 the model's own forecast of step k−1 with
/// probability `teacherForcing.samplingProbability(epoch:)` (scheduled sampling), drawn per
/// sample and step from `rng.fork(Self.feedbackStream)`; otherwise the true value. Inference
/// passes run free (no target).
public struct WindowedSeq2Seq: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        public var model: Seq2SeqConfig
        /// Encoder window length T (the lookback).
        public var length: Int
        public var teacherForcing: TeacherForcingSchedule
        public init(model: Seq2SeqConfig, length: Int, teacherForcing: TeacherForcingSchedule = .standard) {
            self.model = model
            self.length = length
            self.teacherForcing = teacherForcing
        }
    }

    /// The fork of a pass's generator that draws the feedback mask (dropout uses the generator itself).
    public static let feedbackStream: UInt64 = 0x5EED_0000

    public let config: Config
    public let model: Seq2Seq

    public init(_ config: Config) {
        self.config = config
        model = Seq2Seq(config.model)
    }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.model, field: field + ".model")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
    }

    public var layout: ParameterLayout { model.layout }
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore { model.makeParameters(rng: &rng) }

    var windowCount: Int { config.length * config.model.encoder.inputSize }
    var futureCount: Int { config.model.horizon * config.model.futureInputs }
    public var inputCount: Int { windowCount + futureCount }
    public var predictionCount: Int { config.model.horizon * config.model.stepOutputs }
    public var evaluationBatch: Int { 64 }

    /// The seq2seq workspace plus the de-interleaved inputs and the feedback mask.
    public final class Workspace: @unchecked Sendable {
        public let inner: Seq2SeqWorkspace
        let x: FloatBuffer          // [B, T, F]
        let future: FloatBuffer     // [B, S, F_k]
        let maskBuffer: UnsafeMutablePointer<UInt8>   // [B, S]
        init(_ m: WindowedSeq2Seq, batch B: Int) {
            inner = Seq2SeqWorkspace(model: m.model, batch: B, length: m.config.length)
            x = FloatBuffer(count: B * m.windowCount)
            future = FloatBuffer(count: max(1, B * m.futureCount))
            maskBuffer = .allocate(capacity: max(1, B * m.config.model.horizon))
            maskBuffer.initialize(repeating: 0, count: max(1, B * m.config.model.horizon))
        }
        deinit { maskBuffer.deallocate() }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(self, batch: batch) }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace ws: Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let B = ws.inner.batch, W = windowCount, Fc = futureCount, S = config.model.horizon
        for b in 0..<B {
            (ws.x.pointer + b * W).update(from: input + b * inputCount, count: W)
            if Fc > 0 { (ws.future.pointer + b * Fc).update(from: input + b * inputCount + W, count: Fc) }
        }
        var feedback: UnsafePointer<UInt8>? = nil
        if pass.training, target != nil {
            let p = config.teacherForcing.samplingProbability(epoch: pass.epoch)
            var draws = rng.fork(Self.feedbackStream)
            for i in 0..<(B * S) { ws.maskBuffer[i] = (i % S) > 0 && draws.nextUnitFloat() < p ? 1 : 0 }
            feedback = UnsafePointer(ws.maskBuffer)
        }
        return model.forward(ws.x.pointer, future: Fc > 0 ? ws.future.pointer : nil, teacher: pass.training ? target : nil,
                             feedback: feedback, workspace: ws.inner, params: params, training: pass.training, rng: &rng).pointer
    }

    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        model.backward(dPred, workspace: ws.inner, params: params, grads: grads)
    }
}

import CKernels

/// A 1x1 convolution (`nn.Conv2d(C, P, 1)`) over channels-last pixel rows: per pixel,
/// `y = W x + b`. The usual readout of a ConvLSTM.
///
///     {prefix}.weight [P, C, 1, 1]
///     {prefix}.bias   [P]
public struct Conv1x1: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let prefix: String
    let weight: Int, bias: Int

    public init(inChannels: Int, outChannels: Int, prefix: String = "head", layout: inout ParameterLayout) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.prefix = prefix
        weight = layout.add("\(prefix).weight", [outChannels, inChannels, 1, 1])
        bias = layout.add("\(prefix).bias", [outChannels])
    }

    /// PyTorch's `nn.Conv2d` default: uniform in `[-1/√C, 1/√C]`.
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator) {
        let k = 1 / Float(inChannels).squareRoot()
        for i in 0..<(inChannels * outChannels) { params.base[weight + i] = rng.nextFloat(in: -k, k) }
        for i in 0..<outChannels { params.base[bias + i] = rng.nextFloat(in: -k, k) }
        params.markModified()
    }

    /// `y [N, P] = x [N, C] Wᵀ + b` over N pixel rows.
    public func forward(_ x: UnsafePointer<Float>, rows N: Int, into y: UnsafeMutablePointer<Float>, params: ParameterStore) {
        let p = params.base, P = outChannels
        for r in 0..<N { (y + r * P).update(from: p + bias, count: P) }
        gemm(transB: true, m: N, n: P, k: inChannels, a: x, lda: inChannels, b: p + weight, ldb: inChannels,
             beta: 1, c: y, ldc: P)
    }

    /// Given `dy [N, P]` and the forward input `x [N, C]`: `dW += dyᵀ x`, `db += Σ_rows dy`, and
    /// `dx [N, C] = dy W` when `dx` is given (added when `accumulate`).
    public func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows N: Int, dx: UnsafeMutablePointer<Float>?,
                         accumulate: Bool = false, params: ParameterStore, grads: ParameterStore) {
        let g = grads.base, P = outChannels, C = inChannels
        gemm(transA: true, m: P, n: C, k: N, a: dy, lda: P, b: x, ldb: C, beta: 1, c: g + weight, ldc: C)
        fk_column_sums(Int32(N), Int32(P), dy, Int32(P), g + bias)
        if let dx {
            gemm(m: N, n: C, k: P, a: dy, lda: P, b: params.base + weight, ldb: C, beta: accumulate ? 1 : 0, c: dx, ldc: C)
        }
    }
}

/// Layout changes between PyTorch's batch-first, channels-first grids and the time-major,
/// channels-last maps inside ``ConvLSTM``.
public enum GridLayout {
    /// `src [B, T, C, H*W]` (batch-first, channels-first) to `dst [T, B*H*W, C]`.
    public static func toTimeMajorChannelsLast(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                               batch B: Int, time T: Int, channels C: Int, pixels P: Int) {
        for t in 0..<T {
            for b in 0..<B {
                fk_channels_last(1, Int32(C), Int32(P), src + (b * T + t) * C * P, dst + (t * B + b) * P * C)
            }
        }
    }

    /// `src [T, B*H*W, C]` to `dst [B, T, C, H*W]` (the inverse of ``toTimeMajorChannelsLast``).
    public static func toBatchFirstChannelsFirst(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                                 batch B: Int, time T: Int, channels C: Int, pixels P: Int) {
        for t in 0..<T {
            for b in 0..<B {
                fk_channels_first(1, Int32(C), Int32(P), src + (t * B + b) * P * C, dst + (b * T + t) * C * P)
            }
        }
    }
}

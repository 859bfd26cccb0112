/// A fully connected layer, `y = x Wᵀ + b`, as `torch.nn.Linear`:
///
///     {prefix}.weight [out, in]
///     {prefix}.bias   [out]
public struct Linear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let prefix: String
    let weight: Int, bias: Int

    public init(inFeatures: Int, outFeatures: Int, prefix: String = "head", layout: inout ParameterLayout) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.prefix = prefix
        weight = layout.add("\(prefix).weight", [outFeatures, inFeatures])
        bias = layout.add("\(prefix).bias", [outFeatures])
    }

    /// PyTorch's default: weight and bias uniform in `[-1/√in, 1/√in]`.
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator) {
        let k = 1 / Float(inFeatures).squareRoot()
        for i in 0..<(inFeatures * outFeatures) { params.base[weight + i] = rng.nextFloat(in: -k, k) }
        for i in 0..<outFeatures { params.base[bias + i] = rng.nextFloat(in: -k, k) }
        params.markModified()
    }

    /// `y[N, out] = x[N, in] Wᵀ + b`; `x` rows are `ldx` floats apart.
    public func forward(_ x: UnsafePointer<Float>, ldx: Int? = nil, rows N: Int, into y: UnsafeMutablePointer<Float>, params: ParameterStore) {
        let p = params.base
        for r in 0..<N { (y + r * outFeatures).update(from: p + bias, count: outFeatures) }
        gemm(transB: true, m: N, n: outFeatures, k: inFeatures, a: x, lda: ldx ?? inFeatures,
             b: p + weight, ldb: inFeatures, beta: 1, c: y, ldc: outFeatures)
    }

    /// Given `dy[N, out]` and the forward input `x[N, in]`: `dW += dyᵀ x`, `db += Σ_rows dy`,
    /// and, when `dx` is given, `dx[N, in] = dy W` (rows `lddx` apart; added when `accumulate`).
    public func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, ldx: Int? = nil, rows N: Int,
                         dx: UnsafeMutablePointer<Float>?, lddx: Int? = nil, accumulate: Bool = false,
                         params: ParameterStore, grads: ParameterStore) {
        let g = grads.base
        gemm(transA: true, m: outFeatures, n: inFeatures, k: N, a: dy, lda: outFeatures, b: x, ldb: ldx ?? inFeatures,
             beta: 1, c: g + weight, ldc: inFeatures)
        for r in 0..<N { for k in 0..<outFeatures { g[bias + k] += dy[r * outFeatures + k] } }
        if let dx {
            gemm(m: N, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures, b: params.base + weight, ldb: inFeatures,
                 beta: accumulate ? 1 : 0, c: dx, ldc: lddx ?? inFeatures)
        }
    }
}

/// One categorical input of a ``SequenceRegressor``: raw input column `column` holds a category
/// index (a whole number stored as a Float) in `0 ..< cardinality`; the network reads its
/// learned `dimension`-vector instead.
public struct EmbeddingInput: Codable, Sendable, Equatable {
    /// Column of the raw input row holding the index.
    public var column: Int
    /// Rows of the table, the unknown row included.
    public var cardinality: Int
    public var dimension: Int

    public init(column: Int, cardinality: Int, dimension: Int) {
        self.column = column; self.cardinality = cardinality; self.dimension = dimension
    }

    /// The dimension rule: `min(16, ⌈√levels⌉ + 1)` for `levels` known categories. It grows
    /// slowly, so a rare category has few free parameters to fit, and stops at 16, so even an
    /// item id with thousands of levels widens the recurrent input (the `4H × I` input GEMM)
    /// by 16 floats at most: 3 levels → 3, 10 → 5, 100 → 11, 3,049 → 16.
    public static func dimension(levels: Int) -> Int {
        min(16, Int(Double(max(1, levels)).squareRoot().rounded(.up)) + 1)
    }
}

/// Learned embeddings of the categorical inputs of a window, each as `torch.nn.Embedding`:
///
///     {prefix}.{k}.weight [V_k, d_k]       one table per categorical input k
///
/// Expands raw input rows into the network's input rows:
///
///     raw [N, I_raw]   column c_k of a row holds the index i_k (a Float, rounded; outside
///                      0 ..< V_k it reads the last row, the "unknown" row)
///     x   [N, I]       I = I_raw - K + Σ d_k: the raw columns other than the c_k, in order,
///                      then E_k[i_k] for k = 1 … K
///
/// Backward scatters the gradient of those last Σ d_k columns into the tables:
/// `dE_k[i_k] += dx[n, off_k ..< off_k + d_k]` for every row n, in row order.
public struct CategoricalEmbedding: Sendable {
    public let inputs: [EmbeddingInput]
    /// Raw input width I_raw and expanded width I.
    public let rawWidth: Int
    public let width: Int
    let tables: [Int]
    /// The raw columns copied through, in order.
    let passColumns: [Int]

    public init(_ inputs: [EmbeddingInput], rawWidth: Int, prefix: String = "embed", layout: inout ParameterLayout) {
        self.inputs = inputs
        self.rawWidth = rawWidth
        let indexColumns = Set(inputs.map(\.column))
        passColumns = (0..<rawWidth).filter { !indexColumns.contains($0) }
        width = passColumns.count + inputs.reduce(0) { $0 + $1.dimension }
        tables = inputs.enumerated().map { k, e in layout.add("\(prefix).\(k).weight", [e.cardinality, e.dimension]) }
    }

    /// The raw width that expands to `width` with `inputs`.
    public static func rawWidth(expanded width: Int, inputs: [EmbeddingInput]) -> Int {
        width - inputs.reduce(0) { $0 + $1.dimension } + inputs.count
    }

    /// PyTorch's default: every entry standard normal.
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator) {
        for (k, e) in inputs.enumerated() {
            for i in 0..<(e.cardinality * e.dimension) { params.base[tables[k] + i] = rng.nextNormal() }
        }
        params.markModified()
    }

    /// The table row of index value `v` for input `k` (the unknown row when out of range or not finite).
    @inline(__always) func row(_ v: Float, _ k: Int) -> Int {
        let V = inputs[k].cardinality
        guard v.isFinite else { return V - 1 }
        let i = Int(v.rounded())
        return i >= 0 && i < V ? i : V - 1
    }

    /// `x[n] = (raw[n] without the index columns, E_1[i_1], …, E_K[i_K])` for rows
    /// `n < N`; raw row `n` is read at `raw + rawOffset(n)`, x row `n` written at `x + n * width`.
    /// The table rows used are written to `indices[n * K + k]` for ``backward``.
    public func forward(_ raw: UnsafePointer<Float>, rows N: Int, rawOffset: (Int) -> Int, into x: UnsafeMutablePointer<Float>,
                        indices: UnsafeMutablePointer<Int32>, params: ParameterStore) {
        let p = params.base, K = inputs.count
        for n in 0..<N {
            let r = raw + rawOffset(n), o = x + n * width
            var j = 0
            for c in passColumns { o[j] = r[c]; j += 1 }
            for (k, e) in inputs.enumerated() {
                let i = row(r[e.column], k)
                indices[n * K + k] = Int32(i)
                (o + j).update(from: p + tables[k] + i * e.dimension, count: e.dimension)
                j += e.dimension
            }
        }
    }

    /// `dE_k[indices[n*K+k]] += dx[n, off_k ..< off_k + d_k]` for rows `n < N` of `dx [N, width]`.
    public func backward(_ dx: UnsafePointer<Float>, rows N: Int, indices: UnsafePointer<Int32>, grads: ParameterStore) {
        let g = grads.base, K = inputs.count
        for n in 0..<N {
            var j = passColumns.count
            let d = dx + n * width
            for (k, e) in inputs.enumerated() {
                let t = g + tables[k] + Int(indices[n * K + k]) * e.dimension
                for m in 0..<e.dimension { t[m] += d[j + m] }
                j += e.dimension
            }
        }
    }
}

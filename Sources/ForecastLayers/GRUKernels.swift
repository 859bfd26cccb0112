/// Fused elementwise GRU step (PyTorch form, gates stacked `r, z, n`, reset after the matmul).
///
/// Forward, with x-projections `x_*` (incl. `b_i*`) and hidden projections `h_*` (incl. `b_h*`):
///
///     r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r * h_n)
///     h' = (1 - z) * n + z * h
///
/// Backward, with dh the gradient reaching h':
///
///     dn = dh (1 - z)          dz = dh (h - n)          dh_prev = dh z  (+ hidden matmul below)
///     da_n = dn (1 - n²)       da_r = da_n h_n r(1-r)   da_z = dz z(1-z)
///     input-side gradients  [da_r, da_z, da_n]
///     hidden-side gradients [da_r, da_z, da_n * r]
enum GRUKernels {
    /// - Parameters:
    ///   - gates: `[B, 3H]` input projection on entry; activated `r, z, n` on return.
    ///   - hh: `[B, 3H]` hidden projection without bias, or nil when h_prev is zero.
    ///   - hPrev: previous hidden state (row stride `hPrevStride`), or nil for zeros.
    ///   - hn: `[B, H]` saved `W_hn h + b_hn` for backward.
    @inline(__always)
    static func forward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        hPrev: UnsafePointer<Float>?, hPrevStride: Int, hn: UnsafeMutablePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        let G = 3 * H
        for b in 0..<B {
            let g = gates + b * G
            let p = hh.map { $0 + b * G }
            for j in 0..<H {
                let hr = (p?[j] ?? 0) + bhh[j]
                let hz = (p?[H + j] ?? 0) + bhh[H + j]
                let hnj = (p?[2 * H + j] ?? 0) + bhh[2 * H + j]
                let r = fastSigmoid(g[j] + bih[j] + hr)
                let z = fastSigmoid(g[H + j] + bih[H + j] + hz)
                let n = fastTanh(g[2 * H + j] + bih[2 * H + j] + r * hnj)
                let hp: Float = hPrev.map { $0[b * hPrevStride + j] } ?? 0
                g[j] = r; g[H + j] = z; g[2 * H + j] = n
                hn[b * H + j] = hnj
                h[b * hStride + j] = (1 - z) * n + z * hp
            }
        }
    }

    /// - Parameters:
    ///   - carryH: `[B, H]` gradient carried into h' from step t+1; replaced by the direct part
    ///     of the gradient for h_prev (`dh * z`); the caller then adds `dGh · W_hh`.
    ///   - dGx, dGh: `[B, 3H]` input-side and hidden-side pre-activation gradients (written).
    @inline(__always)
    static func backward(B: Int, H: Int, gates: UnsafePointer<Float>, hn: UnsafePointer<Float>,
                         hPrev: UnsafePointer<Float>?, hPrevStride: Int,
                         dy: UnsafePointer<Float>?, dyStride: Int,
                         carryH: UnsafeMutablePointer<Float>,
                         dGx: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>) {
        let G = 3 * H
        for b in 0..<B {
            let g = gates + b * G, dx = dGx + b * G, dhh = dGh + b * G
            for j in 0..<H {
                let r = g[j], z = g[H + j], n = g[2 * H + j]
                var dh = carryH[b * H + j]
                if let dy { dh += dy[b * dyStride + j] }
                let hp: Float = hPrev.map { $0[b * hPrevStride + j] } ?? 0
                let dan = dh * (1 - z) * (1 - n * n)
                let dar = dan * hn[b * H + j] * r * (1 - r)
                let daz = dh * (hp - n) * z * (1 - z)
                dx[j] = dar; dx[H + j] = daz; dx[2 * H + j] = dan
                dhh[j] = dar; dhh[H + j] = daz; dhh[2 * H + j] = dan * r
                carryH[b * H + j] = dh * z
            }
        }
    }
}

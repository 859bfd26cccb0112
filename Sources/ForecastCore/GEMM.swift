import CBLAS

/// Single-precision matrix multiply, row-major, through OpenBLAS:
///
///     C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
///
/// `op(X)` is `X` or `Xᵀ` (`transA`, `transB`). Leading dimensions are row strides in floats,
/// so sub-blocks of larger buffers (one time step of a `[T, B, F]` sequence, one direction of a
/// bidirectional output) are used in place without copies. With `beta == 1` the product
/// accumulates, which is how gradients are summed. Every matrix product in the toolkit goes
/// through here. A single-row product is routed to `sgemv`, which is cheaper for it.
@inline(__always)
public func gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
        return
    }
    if m == 1 && !transA {
        // c[1, n] = a[1, k] * op(B): y = op(B)ᵀ x, with B stored [k, n] (or [n, k] when transposed).
        cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                    Int32(transB ? n : k), Int32(transB ? k : n), alpha, b, Int32(ldb),
                    a, 1, beta, c, 1)
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

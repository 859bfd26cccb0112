/// Global-norm gradient clipping (`torch.nn.utils.clip_grad_norm_`): when
/// ‖g‖₂ over all parameters exceeds `maxNorm`, every gradient is scaled by maxNorm / (‖g‖₂ + 1e-6).
public enum GradientClipping {
    /// Returns the norm before clipping (in Double; non-finite when any gradient is).
    @discardableResult
    public static func clipGlobalNorm(_ grads: ParameterStore, maxNorm: Float) -> Double {
        let n = globalNorm(grads)
        if n.isFinite && n > Double(maxNorm) {
            let scale = Float(Double(maxNorm) / (n + 1e-6))
            let g = grads.base
            for i in 0..<grads.layout.count { g[i] *= scale }
            grads.markModified()
        }
        return n
    }

    /// ‖g‖₂ over the whole flat buffer.
    public static func globalNorm(_ grads: ParameterStore) -> Double {
        var s = 0.0
        let g = grads.base
        for i in 0..<grads.layout.count { s += Double(g[i]) * Double(g[i]) }
        return s.squareRoot()
    }
}

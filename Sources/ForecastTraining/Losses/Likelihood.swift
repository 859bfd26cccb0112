#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conditional likelihoods of an autoregressive probabilistic model (DeepAR, Salinas et al.
/// 2020): the network's raw outputs `u` at a step give the parameters of P(y_t | y_<t), the
/// training loss is −log P(y_t), and forecasts draw from it.
///
/// Every series has a scale ν > 0 (1 + the mean of its |values| over the context, DeepAR's
/// "mean scaling"); the network sees values divided by ν. Raw outputs `u [K]` per element map
/// to parameters with softplus(x) = log(1 + eˣ) for positive ones:
///
/// | likelihood | K | parameters | −log p(y) |
/// |---|---|---|---|
/// | gaussian | 2 | μ = ν u₀, σ = ν (softplus(u₁) + ε) | log σ + ½ log 2π + ½ z², z = (y − μ)/σ |
/// | student_t | 3 | μ, σ as gaussian, d = 2 + softplus(u₂) | −lnΓ((d+1)/2) + lnΓ(d/2) + ½ ln(πd) + ln σ + (d+1)/2 · ln(1 + z²/d) |
/// | negative_binomial | 2 | m = ν (softplus(u₀) + ε), α = (softplus(u₁) + ε)/√ν | −[lnΓ(y+r) − lnΓ(y+1) − lnΓ(r) + r ln(r/(r+m)) + y ln(m/(r+m))], r = 1/α |
///
/// The negative binomial has mean m and variance m + α m² (counts; y ≥ 0). ε = 1e-4.
/// Values and gradients are computed in Double per element and stored as Float.
public enum Likelihood: String, Codable, Sendable, CaseIterable {
    case gaussian
    case studentT = "student_t"
    case negativeBinomial = "negative_binomial"

    /// Raw outputs per target element.
    public var parameterCount: Int {
        switch self {
        case .gaussian, .negativeBinomial: return 2
        case .studentT: return 3
        }
    }

    /// Parses `gaussian`/`normal`, `student_t`/`student-t`/`t`, `negative_binomial`/`negbin`/`nb`.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "-", with: "_") {
        case "gaussian", "normal": self = .gaussian
        case "student_t", "studentt", "t": self = .studentT
        case "negative_binomial", "negbin", "nb": self = .negativeBinomial
        default: return nil
        }
    }

    static let epsilon = 1e-4

    /// The distribution's parameters from raw outputs `u [K]` and scale ν: (location or mean,
    /// scale σ or dispersion α, degrees of freedom d — 0 when unused).
    public func parameters(_ u: [Float], scale nu: Float) -> (Double, Double, Double) {
        let v = Double(nu)
        switch self {
        case .gaussian: return (v * Double(u[0]), v * (softplus(Double(u[1])) + Self.epsilon), 0)
        case .studentT: return (v * Double(u[0]), v * (softplus(Double(u[1])) + Self.epsilon), 2 + softplus(Double(u[2])))
        case .negativeBinomial: return (v * (softplus(Double(u[0])) + Self.epsilon), (softplus(Double(u[1])) + Self.epsilon) / v.squareRoot(), 0)
        }
    }

    /// −log p(y) of one element, and its gradient with respect to the raw outputs written into
    /// `dU[k]` (multiplied by `weight`, e.g. 1/normalizer) when given.
    public func negativeLogLikelihood(_ u: [Float], y: Float, scale nu: Float, weight: Float = 1, dU: UnsafeMutablePointer<Float>? = nil) -> Double {
        let v = Double(nu), w = Double(weight), yd = Double(y)
        switch self {
        case .gaussian:
            let mu = v * Double(u[0]), sp = softplus(Double(u[1])), sigma = v * (sp + Self.epsilon)
            let z = (yd - mu) / sigma
            if let dU {
                dU[0] = Float(w * (-z / sigma) * v)
                dU[1] = Float(w * (1 / sigma - z * z / sigma) * v * sigmoid(Double(u[1])))
            }
            return log(sigma) + 0.5 * log(2 * Double.pi) + 0.5 * z * z
        case .studentT:
            let mu = v * Double(u[0]), sigma = v * (softplus(Double(u[1])) + Self.epsilon), d = 2 + softplus(Double(u[2]))
            let z = (yd - mu) / sigma, z2 = z * z
            if let dU {
                dU[0] = Float(w * (-(d + 1) * z / (sigma * (d + z2))) * v)
                dU[1] = Float(w * (1 / sigma - (d + 1) * z2 / (sigma * (d + z2))) * v * sigmoid(Double(u[1])))
                let dd = -0.5 * digamma((d + 1) / 2) + 0.5 * digamma(d / 2) + 1 / (2 * d) + 0.5 * log1p(z2 / d) - (d + 1) * z2 / (2 * d * (d + z2))
                dU[2] = Float(w * dd * sigmoid(Double(u[2])))
            }
            return -lgamma((d + 1) / 2) + lgamma(d / 2) + 0.5 * log(Double.pi * d) + log(sigma) + (d + 1) / 2 * log1p(z2 / d)
        case .negativeBinomial:
            let m = v * (softplus(Double(u[0])) + Self.epsilon)
            let alpha = (softplus(Double(u[1])) + Self.epsilon) / v.squareRoot()
            let r = 1 / alpha
            let logp = lgamma(yd + r) - lgamma(yd + 1) - lgamma(r) + r * log(r / (r + m)) + yd * log(m / (r + m))
            if let dU {
                let dm = yd / m - (r + yd) / (r + m)                                        // ∂ log p / ∂m
                let dr = digamma(yd + r) - digamma(r) + log(r / (r + m)) + 1 - (r + yd) / (r + m) // ∂ log p / ∂r
                dU[0] = Float(-w * dm * v * sigmoid(Double(u[0])))
                dU[1] = Float(-w * dr * (-1 / (alpha * alpha)) * sigmoid(Double(u[1])) / v.squareRoot())
            }
            return -logp
        }
    }

    /// One draw from the distribution of raw outputs `u [K]` with scale ν.
    public func sample(_ u: [Float], scale nu: Float, rng: inout SeededGenerator) -> Float {
        let (a, b, d) = parameters(u, scale: nu)
        switch self {
        case .gaussian:
            return Float(a + b * Double(rng.nextNormal()))
        case .studentT:
            let chi2 = 2 * Likelihood.gamma(shape: d / 2, rng: &rng)
            return Float(a + b * Double(rng.nextNormal()) / (chi2 / d).squareRoot())
        case .negativeBinomial:
            let r = 1 / b
            let lambda = Likelihood.gamma(shape: r, rng: &rng) * a / r          // Gamma(r, m/r): mean m
            return Float(Likelihood.poisson(lambda, rng: &rng))
        }
    }

    /// The mean of the distribution (the point forecast of one step).
    public func mean(_ u: [Float], scale nu: Float) -> Float {
        let (a, _, _) = parameters(u, scale: nu)
        return Float(a)
    }

    // MARK: Special functions and samplers

    static func softplus(_ x: Double) -> Double { x > 30 ? x : log1p(exp(x)) }
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    private func softplus(_ x: Double) -> Double { Likelihood.softplus(x) }
    private func sigmoid(_ x: Double) -> Double { Likelihood.sigmoid(x) }

    /// ψ(x) = d/dx ln Γ(x) for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 6, then the
    /// asymptotic series (error below 1e-10).
    public static func digamma(_ x: Double) -> Double {
        var x = x, acc = 0.0
        while x < 6 { acc -= 1 / x; x += 1 }
        let f = 1 / (x * x)
        return acc + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))))
    }

    private func digamma(_ x: Double) -> Double { Likelihood.digamma(x) }

    private static func unit(_ rng: inout SeededGenerator) -> Double {
        Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 via Gamma(shape + 1) · U^(1/shape)).
    static func gamma(shape: Double, rng: inout SeededGenerator) -> Double {
        if shape < 1 {
            let g = gamma(shape: shape + 1, rng: &rng)
            return g * pow(max(unit(&rng), 1e-300), 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = Double(rng.nextNormal())
            let t = 1 + c * x
            if t <= 0 { continue }
            let v = t * t * t
            let u = max(unit(&rng), 1e-300)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Poisson(λ): multiplication of uniforms below λ = 10, Hörmann's PTRS above.
    static func poisson(_ lambda: Double, rng: inout SeededGenerator) -> Double {
        guard lambda > 0, lambda.isFinite else { return lambda.isFinite ? 0 : .nan }
        if lambda < 10 {
            let limit = exp(-lambda)
            var k = 0.0, p = unit(&rng)
            while p > limit { k += 1; p *= unit(&rng) }
            return k
        }
        let slam = lambda.squareRoot(), loglam = log(lambda)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = unit(&rng) - 0.5, v = unit(&rng)
            let us = 0.5 - abs(u)
            let k = floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invalpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1) { return k }
        }
    }
}
